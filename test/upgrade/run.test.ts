import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AksAdapter, type ArmConnection } from "../../lib/azure";
import { handleUpgradeAction, handleUpgrades, upgradeInstanceId, type UpgradeInstances } from "../../lib/api/upgrades";
import type { ApiRequest } from "../../lib/api/http";
import { CUSTOM_STATUS_LIMIT_BYTES, customStatusBytes } from "../../lib/custom-status";
import { defaultSpec, type PlatformSpec } from "../../lib/spec";
import type { SandboxArm } from "../../local/sandbox";
import { driverUpgradeInstances } from "../../local/upgrade/instances";
import { asEnvironments } from "../../local/cli/target-environments";
import type { UpgradeRunStatus } from "../../orchestrations/upgrade/contracts";
import { planUpgradeRun } from "../../orchestrations/upgrade/planRun";
import { handleEventGridEvent } from "../../functions/eventgrid";
import { EventClassifier } from "../../lib/events";
import { driverReactionClient } from "../../lib/ops/reactions-dispatch";
import { buildPlatform, type Platform } from "../helpers/platform";

// Issue 20 end to end on the sandbox: a platform built by the real provisioning orchestration (Istio pinned to
// asm-1-26, so that a canary to asm-1-27 exists), then upgrade runs through the local durable driver: the Istio
// canary and its rollback, Kubernetes 1.34 stage by stage with a blocked drain in app1, resume after the fix.

const TIME_SCALE = 1200;
let platform: Platform;
let sandbox: SandboxArm;
let connection: ArmConnection;
let spec: PlatformSpec;
let upgrades: UpgradeInstances;
let runs = 0;

beforeAll(async () => {
  platform = await buildPlatform({
    spec: {
      ...defaultSpec,
      istio: { revision: "asm-1-26" },
      upgrades: {
        stages: defaultSpec.clusters.map((c) => ({ name: c.name, clusters: [c.name], soakMinutes: 10 })),
        maxSurge: "50%",
        maxPendingPods: 0,
      },
    },
    timeScale: TIME_SCALE,
    sandbox: { startTime: "2026-11-20T03:00:00Z", kubernetesVersions: ["1.33.2", "1.33.5", "1.34.1", "1.35.0"] },
  });
  ({ sandbox, connection, spec } = platform);
  upgrades = driverUpgradeInstances(platform.driver);
}, 300_000);

afterAll(async () => {
  await platform?.stop();
});

const instanceId = () => upgradeInstanceId(spec.name);
/** The registry as the API reads it: the environment built above. */
const environments = () => asEnvironments(new Map([[spec.name, spec]]));

function request(method: string, params: Record<string, string>, body?: unknown): ApiRequest {
  return {
    method,
    url: `http://localhost/api/environments/${params.env}/upgrades${params.id ? `/${params.id}` : ""}${params.action ? `/${params.action}` : ""}`,
    params,
    query: new URLSearchParams(),
    headers: { get: () => null },
    text: () => Promise.resolve(body === undefined ? "" : JSON.stringify(body)),
  };
}

async function start(target: Record<string, unknown>, approved: boolean): Promise<string> {
  runs += 1;
  const res = await handleUpgrades(
    request("POST", { env: spec.name }, { target, approved }),
    upgrades,
    environments(),
    () => new Date(Date.UTC(2026, 10, 20, 4, runs)),
  );
  expect(res.status, JSON.stringify(res.jsonBody)).toBe(202);
  return (res.jsonBody as { runId: string }).runId;
}

async function until(
  what: string,
  done: (s: UpgradeRunStatus | undefined, runtimeStatus: string) => boolean,
  timeoutMs = 120_000,
): Promise<UpgradeRunStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await upgrades.get(instanceId());
    const s = view?.customStatus as UpgradeRunStatus | undefined;
    if (done(s, view?.runtimeStatus ?? "")) return s!;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; status ${JSON.stringify(s)?.slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function act(runId: string, action: string) {
  return handleUpgradeAction(request("POST", { env: spec.name, id: runId, action }), upgrades, environments());
}

/** An AKS NodePoolRolling* event of `cluster`'s system pool, delivered through the event function's handler. */
async function deliverRolling(cluster: string, id: string, phase: "Started" | "Succeeded" | "Failed") {
  const c = spec.clusters.find((x) => x.name === cluster)!;
  const event = {
    id,
    eventType: `Microsoft.ContainerService.NodePoolRolling${phase}`,
    subject: c.aksName,
    eventTime: "2026-11-20T05:00:00Z",
    dataVersion: "1",
    metadataVersion: "1",
    topic: `/subscriptions/${spec.subscriptionId}/resourceGroups/${c.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${c.aksName}`,
    data: { nodePoolName: "system" },
  };
  const { outcomes } = await handleEventGridEvent(
    event,
    driverReactionClient(platform.driver),
    new EventClassifier({ spec }),
    () => ({ spec }),
  );
  return outcomes[0]!;
}

const clusterOf = (name: string) => sandbox.state.cluster(spec.clusters.find((c) => c.name === name)!.aksName);
const upgradeOf = (name: string) => clusterOf(name).upgrade!;

describe("upgrade plan", () => {
  it("refuses a Kubernetes version the cluster's Istio revision does not support, naming the revision that would", async () => {
    const plan = await planUpgradeRun({ spec, target: { kubernetesVersion: "1.34" } }, new AbortController().signal);
    // One problem per cluster with the Istio add-on (AKS-12: not app2).
    expect(plan.problems).toHaveLength(spec.clusters.filter((c) => c.addons.istioIngressGateway).length);
    expect(plan.problems[0]).toMatch(
      /^mgmt: Kubernetes 1\.34 is not supported by Istio revision asm-1-26 \(it supports 1\.31, 1\.32, 1\.33\); upgrade Istio too \(--istio-revision asm-1-27\)/,
    );
    const both = await planUpgradeRun(
      { spec, target: { kubernetesVersion: "1.34", istioRevision: "asm-1-27" } },
      new AbortController().signal,
    );
    expect(both.problems).toEqual([]);
    // Istio first (asm-1-27 runs on 1.33), then the control plane, then the system pool before the ingress pool.
    expect(both.clusters[0]!.steps.map((s) => s.kind + ("pool" in s ? `:${s.pool}` : ""))).toEqual([
      "istio-canary",
      "control-plane",
      "pool:system",
      "pool:ingress",
    ]);
    expect(both.clusters.map((c) => c.stage)).toEqual(["mgmt", "app1", "app2"]);
    expect(both.approvalReasons).toContain("Istio revision asm-1-26 → asm-1-27");
  });
});

describe("Istio canary with rollback", () => {
  it("adds the canary, moves the workloads, fails the gate, moves them back and removes the canary; app1 is untouched", async () => {
    sandbox.state.setUpgradeFaults("aks-k8s-demo-mgmt", { istioCanaryUnhealthy: true });
    const runId = await start({ istioRevision: "asm-1-27" }, true);
    const blocked = await until("the rollback", (s) => s?.state === "blocked");
    const mgmt = blocked.stages[0]!.clusters[0]!;
    expect(mgmt.state).toBe("rolled-back");
    expect(mgmt.steps.map((s) => `${s.label}: ${s.state}`)).toEqual([
      "Istio: add canary asm-1-27 beside asm-1-26: succeeded",
      "Istio: move workloads to asm-1-27: rolled-back",
      "Istio: roll back to asm-1-26: succeeded",
    ]);
    expect(mgmt.reason).toMatch(/canary failed its gates and was rolled back to asm-1-26/);
    expect(mgmt.gates.find((g) => g.gate === "istio-control-plane")?.evidence).toContain(
      "deployment aks-istio-system/istiod-asm-1-27: 0/2 ready",
    );
    expect(upgradeOf("mgmt").istioRevisions).toEqual(["asm-1-26"]);
    expect(upgradeOf("mgmt").namespaceRevisions.apps).toBe("asm-1-26");
    expect(upgradeOf("mgmt").history.map((h) => h.target)).toEqual(["asm-1-26,asm-1-27", "asm-1-26"]);
    expect(upgradeOf("app1").history).toEqual([]);
    // A run re-posted while this one waits gets 409.
    const again = await handleUpgrades(
      request("POST", { env: spec.name }, { target: { istioRevision: "asm-1-27" } }),
      upgrades,
      environments(),
      () => new Date(),
    );
    expect(again.status).toBe(409);
    expect(JSON.stringify(again.jsonBody)).toContain(runId);
    expect((await act(runId, "approve")).status).toBe(409);
    expect((await act(runId, "cancel")).status).toBe(202);
    const stopped = await until("the stop", (_s, rs) => rs === "Completed");
    expect(stopped.state).toBe("stopped");
    sandbox.state.setUpgradeFaults("aks-k8s-demo-mgmt", { istioCanaryUnhealthy: false });
  }, 180_000);
});

describe("Kubernetes and Istio, stage by stage", () => {
  it("waits for approval, waits out a busy cluster, stops after app1's blocked pool with the evidence, and resumes after the fix", async () => {
    sandbox.state.setUpgradeFaults("aks-k8s-demo-app1", { blockedDrain: { pool: "system" } });
    const runId = await start({ kubernetesVersion: "1.34", istioRevision: "asm-1-27" }, false);
    const waiting = await until("approval", (s) => s?.waitingFor === "approval");
    expect(waiting.approvalReasons).toEqual(
      expect.arrayContaining(["Kubernetes minor upgrade 1.33 → 1.34.1", "Istio revision asm-1-26 → asm-1-27"]),
    );
    // Something else runs on mgmt (a node image upgrade someone started): the run waits it out (AKS answers 409 OperationNotAllowed).
    const aks = new AksAdapter(connection, sandbox.subscriptionId);
    const mgmtSpec = spec.clusters[0]!;
    expect((await aks.startNodeImageUpgrade(mgmtSpec.resourceGroup, mgmtSpec.aksName, "ingress")).ok).toBe(true);
    const busy = await aks.startPoolUpgrade(mgmtSpec.resourceGroup, mgmtSpec.aksName, "system", "1.33.5", "1");
    expect(busy.ok ? "" : busy.error.code).toBe("OperationNotAllowed");
    expect((await act(runId, "approve")).status).toBe(202);

    // AKS's NodePoolRolling of app1 while the run works on app1 is that run's progress, not a separate message.
    await until("app1 to start", (s) => s?.stages[1]?.clusters[0]?.state === "running", 240_000);
    // Event Grid redelivers an event the function could not take yet (the cluster's upgrade is being created).
    let redeliveries = 0;
    const delivered = async (): Promise<Awaited<ReturnType<typeof deliverRolling>>> => {
      try {
        return await deliverRolling("app1", "evt-rolling-app1", "Started");
      } catch (err) {
        if (!/does not exist yet; redeliver/.test(String(err)) || ++redeliveries > 50) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
        return delivered();
      }
    };
    expect(await delivered()).toMatchObject({
      action: "joined",
      instanceId: `${instanceId()}:app1:1`,
    });

    const blocked = await until("app1 to block", (s) => s?.state === "blocked", 240_000);
    const app1 = blocked.stages[1]!.clusters[0]!;
    expect(app1.poolEvents).toEqual([
      expect.objectContaining({ eventId: "evt-rolling-app1", pool: "system", phase: "started" }),
    ]);
    // Now the run reports app1 itself; app2, which it has not reached, rolling is someone else's: a message.
    expect((await deliverRolling("app1", "evt-rolling-app1-failed", "Failed")).action).toBe("none");
    expect(await deliverRolling("app2", "evt-rolling-app2", "Started")).toMatchObject({
      action: "started",
      instanceId: expect.stringMatching(/^cluster-lifecycle-/),
    });
    expect(blocked.stages.map((s) => s.state)).toEqual(["succeeded", "blocked", "pending"]);
    expect(app1.state).toBe("blocked");
    expect(app1.reason).toMatch(
      /^pool system 1\.33\.2 → 1\.34\.1 \(surge 50%\): UpgradeFailed: Drain node .* blocked by pdb payments/,
    );
    const pdbGate = app1.gates.find((g) => g.gate === "pdb-not-blocking")!;
    expect(pdbGate.ok).toBe(false);
    expect(pdbGate.evidence[0]).toMatch(/^PodDisruptionBudget apps\/payments allows 0 disruptions/);
    expect(upgradeOf("app2").history).toEqual([]);
    expect(upgradeOf("app2").controlPlane).toBe("1.33.2");

    sandbox.state.setUpgradeFaults("aks-k8s-demo-app1", { blockedDrain: null });
    expect((await act(runId, "resume")).status).toBe(202);
    const done = await until("the end", (_s, rs) => rs === "Completed", 480_000);
    expect(done.state).toBe("succeeded");
    for (const name of ["mgmt", "app1", "app2"]) {
      const m = upgradeOf(name);
      expect([
        name,
        m.controlPlane,
        m.istioRevisions,
        Object.values(m.pools).map((p) => p.orchestratorVersion),
      ]).toEqual([
        name,
        "1.34.1",
        // AKS-12: app2 has no Istio add-on, so no revision to move.
        name === "app2" ? [] : ["asm-1-27"],
        Object.values(m.pools).map(() => "1.34.1"),
      ]);
    }
    // Never two operations on one cluster, and never two stages at once.
    const spans = ["mgmt", "app1", "app2"].map((name) =>
      upgradeOf(name).history.filter((h) => h.kind !== "node-image" || name !== "mgmt"),
    );
    for (const history of ["mgmt", "app1", "app2"].map((n) => upgradeOf(n).history))
      for (let i = 1; i < history.length; i++)
        expect(history[i]!.startedAt).toBeGreaterThanOrEqual(history[i - 1]!.finishAt);
    const mgmtOps = spans[0]!;
    expect(Math.max(...mgmtOps.map((h) => h.finishAt))).toBeLessThan(Math.min(...spans[1]!.map((h) => h.startedAt)));
    expect(Math.max(...spans[1]!.map((h) => h.finishAt))).toBeLessThan(Math.min(...spans[2]!.map((h) => h.startedAt)));
    // The final gates checked every node on 1.34.1.
    expect(done.stages[2]!.clusters[0]!.gates.find((g) => g.gate === "nodes-on-version")?.ok).toBe(true);
    // The finished 3-stage run's status (stages × clusters × steps × gates × pool events, a block and its resume)
    // stays well within Durable's 16 KB custom-status cap.
    expect(customStatusBytes(done)).toBeLessThan(0.75 * CUSTOM_STATUS_LIMIT_BYTES);
  }, 900_000);

  it("refuses a next minor that the new Istio revision does not support either", async () => {
    const plan = await planUpgradeRun({ spec, target: { kubernetesVersion: "1.35" } }, new AbortController().signal);
    expect(plan.problems[0]).toMatch(
      /^mgmt: Kubernetes 1\.35 is not supported by Istio revision asm-1-27 \(it supports 1\.32, 1\.33, 1\.34\); no Istio revision offered to this cluster supports it/,
    );
  });
});
