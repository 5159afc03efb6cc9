import { BlobServiceClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentSummary } from "../../lib/api/environments";
import { storageFromConnectionString } from "../../lib/azure";
import { DEFAULT_REPORT_CONTAINER } from "../../lib/backup";
import { EnvironmentRegistry } from "../../lib/environments";
import { runCli } from "../helpers/cli";
import { slackOnly, specNamed } from "../helpers/specs";
import { startSink, type Sink } from "../helpers/sink";
import { evictionEvent } from "../reactions/helpers";
import { startApiHarness, type ApiHarness } from "./harness";

/**
 * Two environments side by side on the local host, both built through the HTTP API from what was posted: the seed
 * (`k8s-demo`, an empty body, its subscription from AKS_PLATFORM_SUBSCRIPTION_ID) and `lab` (two clusters, its own
 * Slack channel, no digest). Every trigger reads the registry: an eviction in lab reaches only lab's channel, the
 * nightly verification writes one report per environment, lab's summary kept during a Slack outage is delivered
 * later to lab's webhook, and a lab cluster is restored and torn down through the API. A build whose subscription
 * ARM does not know is refused at once with one alert.
 */

const SUBSCRIPTION = "11111111-2222-4333-8444-555555555555";
const UNKNOWN_SUBSCRIPTION = "99999999-9999-4999-8999-999999999999";

const lab = specNamed("lab", (raw) => {
  raw["subscriptionId"] = SUBSCRIPTION;
  raw["clusters"] = (raw["clusters"] as { name: string }[]).filter((c) => c.name !== "app2");
  raw["notifications"] = slackOnly("lab-slack", "LAB_SLACK_WEBHOOK_URL");
});
const ghost = specNamed("ghost", (raw) => {
  raw["subscriptionId"] = UNKNOWN_SUBSCRIPTION;
  raw["notifications"] = slackOnly("ghost-slack", "GHOST_SLACK_WEBHOOK_URL");
});

describe("two environments side by side (local host + sandbox ARM + Azurite + webhook sink)", () => {
  let h: ApiHarness;
  let sink: Sink;
  const api = (route: string, init?: RequestInit) => h.api(route, init);
  const bodies = (path: string) => sink.requestsTo(path).map((r) => r.body);
  const seedBodies = () => [...bodies("/seed-teams"), ...bodies("/seed-slack")];
  const post = (route: string, body?: unknown) =>
    api(route, {
      method: "POST",
      headers: { "content-type": "application/json" },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  const environments = async () =>
    ((await (await api("environments")).json()) as { environments: EnvironmentSummary[] }).environments;
  /** Runs a timer function now, as Core Tools' admin endpoint does. */
  const runTimer = async (name: string) => {
    const response = await fetch(`${h.host.url}/admin/functions/${name}`, {
      method: "POST",
      headers: { "x-functions-key": h.key, "content-type": "application/json" },
      body: "{}",
    });
    expect(response.status).toBe(202);
  };
  const until = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000) => {
    for (const end = Date.now() + timeoutMs; Date.now() < end;) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  beforeAll(async () => {
    sink = await startSink();
    h = await startApiHarness({
      taskHub: "environmentse2e",
      sandbox: { subscriptionId: SUBSCRIPTION, startTime: "2026-11-20T03:00:00Z" },
      values: {
        AKS_PLATFORM_SUBSCRIPTION_ID: SUBSCRIPTION,
        AKS_PLATFORM_TEAMS_WEBHOOK_URL: `${sink.url}/seed-teams`,
        AKS_PLATFORM_SLACK_WEBHOOK_URL: `${sink.url}/seed-slack`,
        LAB_SLACK_WEBHOOK_URL: `${sink.url}/lab-slack`,
        GHOST_SLACK_WEBHOOK_URL: `${sink.url}/ghost-slack`,
        AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS: sink.host,
      },
    });
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
    await sink?.close();
  });

  it("a fresh install offers the seed; an empty-body POST builds it in AKS_PLATFORM_SUBSCRIPTION_ID", async () => {
    expect(await environments()).toEqual([
      expect.objectContaining({ name: "k8s-demo", state: "offered", subscriptionId: SUBSCRIPTION }),
    ]);
    // The sandbox knows only SUBSCRIPTION: a build that kept the placeholder would be refused.
    expect((await post("environments/k8s-demo/provision")).status).toBe(202);
    const build = await h.waitForRun("environments/k8s-demo/provision");
    expect(build.runtimeStatus).toBe("Completed");
    expect(await environments()).toEqual([
      expect.objectContaining({ name: "k8s-demo", state: "built", subscriptionId: SUBSCRIPTION, running: [] }),
    ]);
  }, 180_000);

  it("builds lab from its posted spec beside it; both are listed, by the API and by `env list`", async () => {
    expect((await post("environments/lab/provision", lab)).status).toBe(202);
    expect((await h.waitForRun("environments/lab/provision")).runtimeStatus).toBe("Completed");
    const listed = await environments();
    expect(listed.map((e) => [e.name, e.state, e.clusters])).toEqual([
      ["k8s-demo", "built", ["mgmt", "app1", "app2"]],
      ["lab", "built", ["mgmt", "app1"]],
    ]);
    const cli = await runCli(["env", "list", "--host", h.host.url, "--key", h.key]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/^NAME\s+STATE\s+SUBSCRIPTION/);
    expect(cli.stdout).toMatch(/\nlab\s+built\s+11111111-2222-4333-8444-555555555555\s+mgmt,app1\s/);
    // The plan and the ops page of lab are lab's; an unknown environment is a 404 naming the known ones.
    const plan = (await (await api("environments/lab/plan")).json()) as {
      environment: string;
      phases: { deployments: { cluster?: string }[] }[];
    };
    expect(plan.environment).toBe("lab");
    const planned = plan.phases.flatMap((p) => p.deployments.flatMap((d) => (d.cluster ? [d.cluster] : [])));
    expect(new Set(planned)).toEqual(new Set(["mgmt", "app1"]));
    const unknown = await api("environments/nowhere/plan");
    expect([unknown.status, ((await unknown.json()) as { error: string }).error]).toEqual([
      404,
      "unknown environment nowhere (known: k8s-demo, lab)",
    ]);
  }, 180_000);

  it("refuses at once, with one alert naming the cause, a build whose subscription ARM does not know", async () => {
    const refused = await post("environments/ghost/provision", ghost);
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { cause: string }).cause).toBe(
      `subscription ${UNKNOWN_SUBSCRIPTION} is unknown to ARM (SubscriptionNotFound)`,
    );
    await until("the ghost alert", () => bodies("/ghost-slack").length > 0);
    expect(bodies("/ghost-slack")).toHaveLength(1);
    expect(bodies("/ghost-slack")[0]).toContain("SubscriptionNotFound");
    // Nothing was started, so nothing retries; the registry says why.
    expect((await api("environments/ghost/provision")).status).toBe(404);
    expect((await environments()).find((e) => e.name === "ghost")).toMatchObject({
      state: "failed",
      lastError: expect.stringContaining("SubscriptionNotFound"),
    });
    expect((await api("environments/ghost", { method: "DELETE" })).status).toBe(200);
  }, 60_000);

  it("an eviction on a lab node pool reaches only lab's channel", async () => {
    sink.reset();
    const mgmt = lab.clusters.find((c) => c.name === "mgmt")!;
    const [node] = h.sandbox.state.evict(mgmt.aksName, { count: 1 });
    const event = evictionEvent("mgmt", node!.name, new Date().toISOString(), "lab-eviction-1", {
      spec: lab,
      subscription: SUBSCRIPTION,
    });
    const delivered = await fetch(`${h.host.url}/runtime/webhooks/eventgrid?functionName=eventgridHealth`, {
      method: "POST",
      headers: { "content-type": "application/json", "aeg-event-type": "Notification", "x-functions-key": h.key },
      body: JSON.stringify([event]),
    });
    expect(delivered.status).toBe(200);
    await until("lab's recovery message", () => bodies("/lab-slack").some((b) => b.includes("recovered")), 120_000);
    expect(bodies("/lab-slack").filter((b) => b.includes("Spot node evicted in mgmt"))).toHaveLength(1);
    expect(seedBodies()).toEqual([]);
    const watches = (await h.host.driver.list({})).filter((s) => s.instanceId.startsWith("eviction-"));
    expect(watches.map((w) => w.instanceId)).toEqual([expect.stringMatching(/^eviction-lab-mgmt-/)]);
    // The ops page of each environment shows its own events only.
    const events = async (env: string) =>
      ((await (await api(`environments/${env}/ops/events`)).json()) as { data?: unknown[] }).data ?? [];
    expect(await events("lab")).toHaveLength(1);
    expect(await events("k8s-demo")).toEqual([]);
  }, 150_000);

  let outageEndedAt = 0;

  it("the nightly verification writes a report per environment; lab's summary waits out a Slack outage", async () => {
    sink.reset();
    sink.script(
      Array.from({ length: 20 }, () => ({ status: 503, body: "unavailable" })),
      { path: "/lab-slack" },
    );
    await runTimer("backupVerifyTimer");
    const day = new Date().toISOString().slice(0, 10);
    for (const env of ["k8s-demo", "lab"]) {
      const id = `backup-verify:${env}:${day}`;
      await until(`verification ${id}`, async () => (await h.host.driver.getStatus(id)) !== undefined);
      const done = await h.host.driver.waitForCompletion(id, { timeoutMs: 120_000 });
      expect(["Completed", "Failed"]).toContain(done.runtimeStatus);
    }
    const container = BlobServiceClient.fromConnectionString(process.env.AzureWebJobsStorage!).getContainerClient(
      DEFAULT_REPORT_CONTAINER,
    );
    const blobs: string[] = [];
    for await (const blob of container.listBlobsFlat()) blobs.push(blob.name);
    // Named by the orchestration's own (scaled) clock's day: one JSON report per environment.
    expect(blobs.filter((b) => b.endsWith(".json")).map((b) => b.replace(/\/\d{4}-\d{2}-\d{2}\.json$/, ""))).toEqual([
      "k8s-demo",
      "lab",
    ]);
    await until("the seed's summary", () => seedBodies().some((b) => b.includes("Nightly backup check")));
    expect(seedBodies().filter((b) => /\blab\b/.test(b))).toEqual([]);
    // lab's webhook answered 503 to every attempt: the summary is kept in lab's outbox, not sent anywhere else.
    const attempts = bodies("/lab-slack");
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.every((b) => b.includes("Nightly backup check"))).toBe(true);
    sink.reset();
    outageEndedAt = Date.now();
  }, 240_000);

  it("restores and tears down a lab cluster through the HTTP API; lab cannot be removed meanwhile", async () => {
    // A day of the sandbox's daily backups, so app1 has a recovery point to restore.
    h.sandbox.clock.advance(86_400);
    expect((await post("environments/lab/clusters/app1/restore", {})).status).toBe(202);
    const removeWhileRunning = await api("environments/lab", { method: "DELETE" });
    expect(removeWhileRunning.status).toBe(409);
    expect(((await removeWhileRunning.json()) as { error: string }).error).toContain("restore of app1");
    const restored = await h.host.driver.waitForCompletion("restore:lab:app1", { timeoutMs: 180_000 });
    expect(restored.runtimeStatus).toBe("Completed");
    expect(restored.output).toMatchObject({ outcome: "restored" });
    // The restore recorded its end in the registry itself (read here from the table, not through the API).
    const registry = await EnvironmentRegistry.open({
      storage: storageFromConnectionString(process.env.AzureWebJobsStorage!),
    });
    expect((await registry.find("lab"))?.lastWork).toMatchObject({
      kind: "restore",
      cluster: "app1",
      outcome: "succeeded",
    });

    expect((await api("environments/lab/clusters/app1", { method: "DELETE" })).status).toBe(202);
    const teardown = await h.waitForRun("environments/lab/clusters/app1");
    expect(teardown).toMatchObject({ runtimeStatus: "Completed", result: { succeeded: true } });
    expect(await registry.find("lab")).toMatchObject({
      tornDownClusters: ["app1"],
      lastWork: { kind: "teardown", cluster: "app1", outcome: "succeeded" },
    });
    expect((await environments()).find((e) => e.name === "lab")).toMatchObject({
      state: "built",
      tornDownClusters: ["app1"],
      running: [],
    });
    // The seed's app1 is untouched.
    expect((await environments()).find((e) => e.name === "k8s-demo")?.tornDownClusters).toBeUndefined();
  }, 300_000);

  it("retries lab's kept summary later and delivers it to lab's webhook with lab's settings", async () => {
    // The outbox's first stored retry is due a minute after the failure.
    const wait = outageEndedAt + 62_000 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await runTimer("notifyRetry");
    await until("lab's summary", () => bodies("/lab-slack").some((b) => b.includes("Nightly backup check")));
    expect(bodies("/lab-slack").filter((b) => b.includes("Nightly backup check"))).toHaveLength(1);
    expect(seedBodies().filter((b) => b.includes("Nightly backup check"))).toEqual([]);
  }, 120_000);

  it("env remove forgets lab once nothing of it runs", async () => {
    const cli = await runCli(["env", "remove", "lab", "--host", h.host.url, "--key", h.key]);
    expect([cli.code, cli.stdout]).toEqual([
      0,
      "removed lab from the registry; its Azure resources were not touched\n",
    ]);
    expect((await environments()).map((e) => e.name)).toEqual(["k8s-demo"]);
    const again = await runCli(["env", "remove", "lab", "--host", h.host.url, "--key", h.key]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("unknown environment lab (known: k8s-demo)");
  }, 180_000);
});
