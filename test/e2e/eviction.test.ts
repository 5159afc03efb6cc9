import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Orchestrations } from "../../lib/function-names";
import type { EvictionWatchResult } from "../../lib/ops/reactions";
import { startLocalHost, type LocalHost } from "../../local/host";
import { runCli } from "../helpers/cli";
import { evictionEvent, spec } from "../reactions/helpers";
import { startReactionsHarness, type ReactionsHarness } from "../reactions/harness";

// OPS-2 end to end: a Health Resources eviction event POSTed to the local Functions host's Event Grid webhook →
// eventgridHealth → evictionWatch (local durable driver, timers 30× faster) → run command against the sandbox's
// simulated cluster → recovered (or escalated) message at the Teams/Slack sink.

const KEY = "e2e-eviction-key";
let h: ReactionsHarness;
let host: LocalHost;
let dir: string;

beforeAll(async () => {
  h = await startReactionsHarness(["mgmt", "app1"]);
  dir = mkdtempSync(path.join(tmpdir(), "eviction-e2e-"));
  const settingsFile = path.join(dir, "local.settings.json");
  writeFileSync(settingsFile, JSON.stringify({ IsEncrypted: false, Values: {}, FunctionKeys: { default: KEY } }));
  host = await startLocalHost({
    port: 0,
    settingsFile,
    timeScale: 30,
    timers: false,
    taskHub: "evictione2e",
    storageConnectionString: h.azurite.connectionString,
    log: () => undefined,
  });
});

afterAll(async () => {
  await host?.stop();
  await h?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function post(event: unknown): Promise<number> {
  const response = await fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=eventgridHealth`, {
    method: "POST",
    headers: { "content-type": "application/json", "aeg-event-type": "Notification", "x-functions-key": KEY },
    body: JSON.stringify([event]),
  });
  return response.status;
}

async function watchOf(cluster: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const watch = (await host.driver.list({})).find(
      (s) => s.name === Orchestrations.evictionWatch && s.instanceId.includes(`-${cluster}-`),
    );
    if (watch) return watch.instanceId;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no eviction watch for ${cluster} started`);
}

describe("Spot eviction end to end on the local host and the sandbox ARM", () => {
  it("watches an evicted node's cluster until Karpenter replaced the capacity and reports the recovery", async () => {
    h.sink.reset();
    const [node] = h.sandbox.state.evict(spec.clusters[0]!.aksName, { count: 1 });
    expect(await post(evictionEvent("mgmt", node!.name, new Date().toISOString()))).toBe(200);
    const done = await host.driver.waitForCompletion(await watchOf("mgmt"), { timeoutMs: 90_000 });
    expect(done.runtimeStatus).toBe("Completed");
    expect(done.output as EvictionWatchResult).toMatchObject({ outcome: "recovered", evictions: 1 });
    for (const channel of ["teams", "slack"] as const) {
      const bodies = h.bodies(channel);
      expect(bodies.filter((b) => b.includes("Spot node evicted in mgmt"))).toHaveLength(1);
      expect(bodies.filter((b) => b.includes("mgmt recovered from a Spot eviction"))).toHaveLength(1);
    }
  }, 120_000);

  it("escalates when no zone has Spot capacity and the evicted pods stay Pending", async () => {
    h.sink.reset();
    const aks = spec.clusters[1]!.aksName;
    h.sandbox.state.setSpotCapacity(aks, { "1": false, "2": false, "3": false });
    const [node] = h.sandbox.state.evict(aks, { count: 1 });
    expect(await post(evictionEvent("app1", node!.name, new Date().toISOString()))).toBe(200);
    const done = await host.driver.waitForCompletion(await watchOf("app1"), { timeoutMs: 120_000 });
    expect(done.output as EvictionWatchResult).toMatchObject({ outcome: "escalate", evictions: 1 });
    const slack = h.bodies("slack");
    expect(slack.filter((b) => b.includes("app1 has not recovered from a Spot eviction"))).toHaveLength(1);
    expect(slack.find((b) => b.includes("has not recovered"))).toMatch(/Pending/);
    // Karpenter's capacity events name the dry zones: the message says it is the no-on-demand policy, not a bug.
    expect(slack.find((b) => b.includes("has not recovered"))).toContain("No zone has Spot capacity");
  }, 150_000);

  it("replays an event file to the running host with the CLI and shows the watch's final status", async () => {
    const file = path.join(dir, "eviction.json");
    writeFileSync(file, JSON.stringify([evictionEvent("mgmt", "aks-spot-replay", "2026-11-24T03:05:00Z")]));
    const result = await runCli(["events", "replay", file, "--host", host.url, "--key", KEY, "--format", "json"]);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual([
      expect.objectContaining({
        kind: "spot-eviction",
        cluster: "mgmt",
        delivered: "HTTP 200",
        instanceId: "eviction-k8s-demo-mgmt-20261124T0300Z",
        runtimeStatus: "Completed",
        output: expect.objectContaining({ outcome: "recovered", evictions: 1 }),
      }),
    ]);
    expect(result.code).toBe(0);
  }, 120_000);

  it("answers garbage with 200 and an ignored classification instead of an error Event Grid would retry", async () => {
    expect(
      await post({
        id: "x",
        eventType: "Contoso.Unknown",
        subject: "s",
        eventTime: "2026-11-24T00:00:00Z",
        data: {},
        dataVersion: "1",
        metadataVersion: "1",
      }),
    ).toBe(200);
    expect(await post({ nonsense: true })).toBe(200);
  });
});
