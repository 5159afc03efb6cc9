import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildInstanceId, whatIfInstanceId } from "../../lib/api/instance-ids";
import { Orchestrations } from "../../lib/function-names";
import { DEFAULT_EVICTION_POLICY } from "../../lib/ops/eviction";
import type { EvictionWatchInput } from "../../lib/ops/reactions";
import { buildDeploymentUnits } from "../../lib/plan/units";
import { defaultSpec } from "../../lib/spec";
import { adapterRef, deploymentsFor } from "../../orchestrations/shared/arm";
import { startSink, type Sink } from "../helpers/sink";
import { startApiHarness, type ApiHarness } from "./harness";

/**
 * Issue 16 on the local host (the HTTP API, the real orchestrations, the durable driver, the sandbox ARM):
 * cancel stops the whole tree of a build, a build starts once however many POSTs race, and a route's `{env}`
 * only ever reaches that environment's own build.
 */

const ENV = defaultSpec.name;
const PROVISION = `environments/${ENV}/provision`;

interface StatusBody {
  runtimeStatus: string;
  progress?: { stage: string; deployments: { name: string; state: string; error?: { code: string } }[] };
  canceled?: {
    cancelledInArm: string[];
    awaited: string[];
    notStarted: string[];
    requestedBy?: string;
    request?: string;
  };
}

/** The cancel messages each channel received: exactly what a person reads in Teams and Slack. */
async function cancelMessages(sink: Sink): Promise<Record<"teams" | "slack", string[]>> {
  // Both channels hear it; give the notify activity a moment to deliver.
  await sink.waitForRequests(2, 10_000);
  const cancelled = (prefix: string) =>
    sink
      .requestsTo(prefix)
      .map((r) => r.body)
      .filter((b) => b.includes("cancelled"));
  return { teams: cancelled("/teams"), slack: cancelled("/slack") };
}

describe("cancel, single flight and route parameters (local host + sandbox ARM)", () => {
  let h: ApiHarness;
  let sink: Sink;
  let saved: (readonly [string, string | undefined])[] = [];
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const status = async () => (await (await h.api(PROVISION)).json()) as StatusBody;
  /** The next `times` builds plan slowly (their Istio look-up waits 1.5 s), so a cancel finds them planning. */
  const slowPlanning = (times: number) =>
    h.sandbox.faults.add({
      match: { method: "GET", path: "meshRevisionProfiles" },
      effect: { kind: "latency", ms: 1500 },
      times,
    });

  beforeAll(async () => {
    sink = await startSink();
    const settings = {
      AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS: sink.host,
      AKS_PLATFORM_TEAMS_WEBHOOK_URL: `${sink.url}/teams`,
      AKS_PLATFORM_SLACK_WEBHOOK_URL: `${sink.url}/slack`,
    };
    saved = Object.keys(settings).map((k) => [k, process.env[k]] as const);
    Object.assign(process.env, settings);
    h = await startApiHarness({ taskHub: "e2ecancel" });
  });

  afterAll(async () => {
    await h?.stop();
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await sink?.close();
  });

  it("refuses route parameters that are not environment or cluster names, naming the parameter", async () => {
    const badEnv = await h.api("environments/Not_An_Env/provision", { method: "POST" });
    expect(badEnv.status).toBe(400);
    expect(await badEnv.json()).toMatchObject({ parameter: "env" });
    const badCluster = await h.api(`environments/${ENV}/clusters/APP1`, { method: "DELETE" });
    expect(badCluster.status).toBe(400);
    expect(await badCluster.json()).toMatchObject({ parameter: "cluster" });
    // Every route that takes {env} or {cluster} (before: the environment removal, the upgrade routes and the ops
    // page took any text, e.g. another kind's instance id, and answered 404 or a page for it).
    const routes: [string, string, "env" | "cluster"][] = [
      ["DELETE", "environments/build:k8s-demo", "env"],
      ["DELETE", "environments/Not_An_Env", "env"],
      ["GET", "environments/Not_An_Env/provision", "env"],
      ["POST", "environments/whatif:k8s-demo/provision/cancel", "env"],
      ["GET", "environments/Not_An_Env/plan", "env"],
      ["GET", "environments/Not_An_Env/ops", "env"],
      ["GET", "environments/Not_An_Env/ops/clusters", "env"],
      ["GET", "environments/upgrade:k8s-demo/upgrades", "env"],
      ["POST", "environments/Not_An_Env/upgrades", "env"],
      ["GET", "environments/Not_An_Env/upgrades/run1", "env"],
      ["POST", "environments/Not_An_Env/upgrades/run1/cancel", "env"],
      ["GET", "environments/Not_An_Env/clusters/app1", "env"],
      ["POST", `environments/${ENV}/clusters/app1:x/teardown/cancel`, "cluster"],
      ["POST", `environments/${ENV}/clusters/Not_A_Cluster/restore`, "cluster"],
    ];
    for (const [method, route, parameter] of routes) {
      const answer = await h.api(route, { method });
      expect(answer.status, `${method} ${route}`).toBe(400);
      expect(await answer.json(), `${method} ${route}`).toMatchObject({ parameter });
    }
    expect(h.sandbox.counters.snapshot().writes).toBe(0);
  });

  it("cannot reach an instance of another kind: an eviction watch survives a cancel posted with its id", async () => {
    // The id a real eviction watch gets (lib/events classify: eviction-<env>-<cluster>-<window>), and a look-alike
    // that passes as an environment name: neither route may touch the watch.
    for (const id of ["eviction-k8s-demo-app1-20261124T0600", "eviction-app1-0600"]) {
      // A watch still collecting evictions (for a long simulated while): it waits on its timer and events.
      const first = { dedupeKey: id, vmName: "aks-spot-0", resourceId: "/vm", occurredAt: new Date().toISOString() };
      // A whole watch input: the watch checks it against its contract before anything else.
      const app1 = defaultSpec.clusters.find((c) => c.name === "app1")!;
      const input: EvictionWatchInput = {
        watchKey: id,
        environment: ENV,
        cluster: "app1",
        subscriptionId: defaultSpec.subscriptionId,
        resourceGroup: app1.resourceGroup,
        aksName: app1.aksName,
        windowStart: first.occurredAt,
        first,
        spotPool: "spot",
        collectMinutes: 10_000,
        policy: DEFAULT_EVICTION_POLICY,
        notifications: defaultSpec.notifications,
      };
      await h.host.driver.startNew(Orchestrations.evictionWatch, { instanceId: id, input });
      const cancel = await h.api(`environments/${id}/provision/cancel`, { method: "POST" });
      // Not an environment name (400), or no environment the registry knows (404).
      expect([400, 404]).toContain(cancel.status);
      await sleep(300);
      expect((await h.host.driver.getStatus(id))?.runtimeStatus).toBe("Running");
      await h.host.driver.terminate(id, "test clean-up").catch(() => undefined);
    }
  });

  it("cancel while the shared deployments run: no sub-orchestration starts and nothing is left running", async () => {
    expect((await h.api(PROVISION, { method: "POST" })).status).toBe(202);
    for (let i = 0; ; i++) {
      const s = await status();
      if (s.progress?.stage === "shared" && s.progress.deployments.some((d) => d.state === "running")) break;
      if (i > 600) throw new Error("the shared deployments never started");
      await sleep(50);
    }
    sink.reset();
    const byWhom = { "x-ms-client-principal-name": "ops@example.com" };
    expect((await h.api(`${PROVISION}/cancel`, { method: "POST", headers: byWhom })).status).toBe(202);
    const final = (await h.waitForRun(PROVISION)) as unknown as StatusBody & { progress: { children: unknown[] } };
    expect(final.runtimeStatus).toBe("Canceled");
    expect(final.progress.children).toEqual([]);
    expect(final.progress.deployments.filter((d) => d.state === "running" || d.state === "pending")).toEqual([]);
    expect(final.canceled!.notStarted, JSON.stringify(final.canceled)).toContain(`${ENV}-addons-app1`);
    expect(final.canceled).toMatchObject({
      requestedBy: "ops@example.com",
      request: `POST /api/${PROVISION}/cancel`,
    });
    // One message per channel (before: none): cancelled, by whom, what never started, how to resume, OPS-1.
    const sent = await cancelMessages(sink);
    for (const bodies of [sent.teams, sent.slack]) {
      expect(bodies).toHaveLength(1);
      for (const text of [
        "ops@example.com",
        `${ENV}-aks-app1`,
        "Never started",
        "Post the build again",
        "ops-1-provisioning",
      ])
        expect(bodies[0]).toContain(text);
    }
    expect(sink.requests.filter((r) => r.body.includes("failed"))).toEqual([]);
    const writes = h.sandbox.counters.snapshot().writes;
    await sleep(1000);
    expect(h.sandbox.counters.snapshot().writes).toBe(writes);
  });

  it("six simultaneous POSTs start one build: one 202 and five 409s naming it and its status URL", async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const r = await h.api(PROVISION, { method: "POST" });
        return { status: r.status, body: (await r.json()) as Record<string, unknown> };
      }),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409, 409, 409, 409, 409]);
    for (const refused of answers.filter((a) => a.status === 409)) {
      expect(refused.body).toMatchObject({ instanceId: buildInstanceId(ENV) });
      expect(String(refused.body.statusUrl)).toMatch(new RegExp(`/api/${PROVISION}$`));
      expect(String(refused.body.error)).toContain("already running");
    }
    const running = (await h.host.driver.list()).filter(
      (s) => s.name === Orchestrations.provisionPlatform && ["Pending", "Running"].includes(s.runtimeStatus),
    );
    expect(running).toHaveLength(1);
  });

  it("cancel mid-build stops the whole tree: no ARM write after it, every instance terminal, a rebuild conflicts with nothing", async () => {
    // The build started by the previous test: wait until the clusters' sub-orchestrations are deploying.
    for (let i = 0; ; i++) {
      const s = await status();
      const running = s.progress?.deployments.filter((d) => d.state === "running").map((d) => d.name) ?? [];
      if (s.progress?.stage === "clusters" && running.some((n) => n.startsWith(`${ENV}-aks-`))) break;
      expect(s.runtimeStatus, "the build ended before the clusters were being deployed").toBe("Running");
      if (i > 600) throw new Error("the clusters never started deploying");
      await sleep(100);
    }

    sink.reset();
    const cancel = await h.api(`${PROVISION}/cancel`, { method: "POST" });
    expect(cancel.status).toBe(202);
    const answer = (await cancel.json()) as { cancelling: string[]; statusUrl: string };
    // The build and its sub-orchestrations (one per cluster and the platform group) all got the cancel.
    expect(answer.cancelling.length).toBeGreaterThan(1);
    expect(answer.cancelling[0]).toBe(buildInstanceId(ENV));

    // Until the tree is quiet, a new build is refused.
    const early = await h.api(PROVISION, { method: "POST" });
    expect(early.status).toBe(409);

    const final = (await h.waitForRun(PROVISION)) as unknown as StatusBody;
    expect(final.runtimeStatus).toBe("Canceled");
    expect(final.canceled!.cancelledInArm.length + final.canceled!.awaited.length).toBeGreaterThan(0);
    expect(final.canceled!.notStarted.length).toBeGreaterThan(0);
    const deployments = final.progress!.deployments;
    expect(deployments.filter((d) => d.state === "running" || d.state === "pending")).toEqual([]);
    expect(deployments.some((d) => d.error?.code === "BuildCanceled")).toBe(true);
    // One warning per channel naming what ARM cancelled or what was awaited (no caller named: a function key alone).
    const sent = await cancelMessages(sink);
    const named = [...final.canceled!.cancelledInArm, ...final.canceled!.awaited][0]!;
    for (const bodies of [sent.teams, sent.slack]) {
      expect(bodies).toHaveLength(1);
      expect(bodies[0]).toContain(named);
      expect(bodies[0]).not.toContain("Requested by");
    }

    // What the cancel kept from starting never reached ARM (not even a deployment record).
    const units = new Map(buildDeploymentUnits(defaultSpec).map((u) => [u.name, u]));
    const arm = deploymentsFor(defaultSpec.subscriptionId);
    const built = await arm.status(adapterRef(units.get(`${ENV}-rg`)!));
    expect(built.ok && built.value.provisioningState).toBe("Succeeded");
    for (const name of final.canceled!.notStarted) {
      const found = await arm.status(adapterRef(units.get(name)!));
      expect(found.ok ? found.value.provisioningState : "absent", name).toBe("absent");
    }

    const tree = (await h.host.driver.list()).filter((s) => s.instanceId.startsWith(buildInstanceId(ENV)));
    expect(tree.length).toBeGreaterThan(1);
    expect(tree.filter((s) => ["Pending", "Running"].includes(s.runtimeStatus))).toEqual([]);

    // Nothing of the cancelled build writes to ARM any more: 600 simulated seconds per real second pass.
    const writesAtEnd = h.sandbox.counters.snapshot().writes;
    await sleep(1500);
    expect(h.sandbox.counters.snapshot().writes).toBe(writesAtEnd);

    const conflictsBefore = h.sandbox.counters.snapshot().conflicts;
    expect((await h.api(PROVISION, { method: "POST" })).status).toBe(202);
    const rebuilt = await h.waitForRun(PROVISION);
    expect(rebuilt.runtimeStatus, JSON.stringify(rebuilt.failure)).toBe("Completed");
    expect(h.sandbox.counters.snapshot().conflicts).toBe(conflictsBefore);
  });

  it("cancel while planning: the build starts no sub-orchestration, even when every deployment before them is reused", async () => {
    // The platform is built (previous test), so the first stage reuses everything without a single wait: the
    // cancel must still be heard before the clusters' sub-orchestrations start (before: it was heard only after,
    // they ran to the end and the build said Canceled over a finished platform). The Istio look-up is slowed so
    // the cancel arrives while the build plans.
    slowPlanning(1);
    expect((await h.api(PROVISION, { method: "POST" })).status).toBe(202);
    expect((await status()).progress?.stage).toBe("planning");
    const cancel = await h.api(`${PROVISION}/cancel`, { method: "POST" });
    expect(cancel.status).toBe(202);
    const final = (await h.waitForRun(PROVISION)) as unknown as StatusBody & { progress: { children: unknown[] } };
    expect(final.runtimeStatus).toBe("Canceled");
    expect(final.progress.children).toEqual([]);
    expect(final.canceled!.notStarted, JSON.stringify(final.canceled)).toContain(`${ENV}-addons-app1`);
    const tree = (await h.host.driver.list()).filter((s) => s.instanceId.startsWith(`${buildInstanceId(ENV)}:`));
    expect(tree.filter((s) => ["Pending", "Running"].includes(s.runtimeStatus))).toEqual([]);
  });

  it("cancel of a what-if stops the what-if, never the build running beside it", async () => {
    // Both plan slowly (the Istio look-up), so both are running when the cancel comes.
    slowPlanning(2);
    expect((await h.api(PROVISION, { method: "POST" })).status).toBe(202);
    expect((await h.api(`${PROVISION}?mode=whatif`, { method: "POST" })).status).toBe(202);
    expect((await h.api(`${PROVISION}/cancel?mode=bogus`, { method: "POST" })).status).toBe(400);
    const cancel = await h.api(`${PROVISION}/cancel?mode=whatif`, { method: "POST" });
    expect(cancel.status).toBe(202);
    expect(await cancel.json()).toMatchObject({
      instanceId: whatIfInstanceId(ENV),
      terminated: [whatIfInstanceId(ENV)],
    });
    const whatIf = (await (await h.api(`${PROVISION}?mode=whatif`)).json()) as StatusBody;
    expect(whatIf.runtimeStatus).toBe("Terminated");
    // Before: the cancel ignored ?mode and cancelled the build.
    const build = await h.waitForRun(PROVISION);
    expect(build.runtimeStatus, JSON.stringify(build.failure)).toBe("Completed");
    const again = await h.api(`${PROVISION}/cancel?mode=whatif`, { method: "POST" });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ runtimeStatus: "Terminated" });
  });
});
