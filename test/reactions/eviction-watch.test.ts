import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleEventGridEvent } from "../../functions/eventgrid";
import { EventClassifier } from "../../lib/events";
import { Orchestrations } from "../../lib/function-names";
import { DEFAULT_EVICTION_POLICY } from "../../lib/ops/eviction";
import { driverReactionClient, type ReactionClient } from "../../lib/ops/reactions-dispatch";
import type { EvictionWatchResult, ReactionOptions } from "../../lib/ops/reactions";
import type { DurableDriver } from "../../local/durable/driver";
import { evictionEvent, lifecycleEvent, spec } from "./helpers";
import { count, startHarnessDriver, startReactionsHarness, type ReactionsHarness } from "./harness";

// OPS-2 through the local durable driver and the real activities: run command against the sandbox's simulated
// clusters, notifications through lib/notify to a local Teams/Slack sink. Durable timers run 30× faster.

const FACTOR = 30;
let h: ReactionsHarness;
let driver: DurableDriver;
let client: ReactionClient;
const classifier = new EventClassifier({ spec });
const options: ReactionOptions = { spec };

const deliver = async (raw: unknown, opts: ReactionOptions = options) => {
  const { outcomes, rejected } = await handleEventGridEvent(raw, client, classifier, () => opts);
  expect(rejected).toEqual([]);
  return outcomes;
};

beforeAll(async () => {
  h = await startReactionsHarness(["mgmt", "app1"]);
  driver = await startHarnessDriver(h, "reactionswatch", FACTOR);
  client = driverReactionClient(driver);
});

afterAll(async () => {
  await driver?.stop();
  await h?.stop();
});

describe("idempotency", () => {
  it("handles the same eviction delivered 5 times as one watch with one started and one recovered message", async () => {
    h.sink.reset();
    const [node] = h.sandbox.state.evict(spec.clusters[0]!.aksName, { count: 1 });
    expect(node).toBeDefined();
    const raw = evictionEvent("mgmt", node!.name, "2026-11-24T05:01:00Z");
    const first = await deliver(raw);
    const repeats = await Promise.all([1, 2, 3, 4].map(() => deliver(raw)));
    expect(first[0]).toMatchObject({ kind: "spot-eviction", action: "started" });
    const watchId = first[0]!.instanceId!;
    expect(repeats.flat().every((o) => o.instanceId === watchId && o.action === "joined")).toBe(true);

    const done = await driver.waitForCompletion(watchId, { timeoutMs: 60_000 });
    expect(done.runtimeStatus).toBe("Completed");
    expect(done.output).toMatchObject({ outcome: "recovered", evictions: 1, cluster: "mgmt" });
    for (const channel of ["teams", "slack"] as const) {
      const bodies = h.bodies(channel);
      expect(bodies).toHaveLength(2);
      expect(count(bodies, "Spot node evicted in mgmt")).toBe(1);
      expect(count(bodies, "mgmt recovered from a Spot eviction")).toBe(1);
    }
    // A late duplicate after the watch finished is recognised from the watch's output: nothing new starts.
    expect((await deliver(raw))[0]).toMatchObject({ action: "duplicate", instanceId: watchId });
  });

  it("sends one lifecycle notification for an AKS event delivered 5 times", async () => {
    h.sink.reset();
    const raw = lifecycleEvent("app1", "rolling-1");
    const outcomes = (await Promise.all([1, 2, 3, 4, 5].map(() => deliver(raw)))).flat();
    const started = outcomes.filter((o) => o.action === "started");
    expect(started).toHaveLength(1);
    expect(outcomes.filter((o) => o.action === "duplicate")).toHaveLength(4);
    await driver.waitForCompletion(started[0]!.instanceId!, { timeoutMs: 30_000 });
    expect(count(h.bodies("teams"), "node pool rolling started")).toBe(1);
    expect(count(h.bodies("slack"), "node pool rolling started")).toBe(1);
  });
});

describe("storms and ordering", () => {
  it("turns 500 evictions in 2 minutes across two clusters into two watches and digests", async () => {
    h.sink.reset();
    // Collect long enough (20 simulated minutes, 40 s here) for all 500 deliveries to arrive while the watches
    // are still collecting; the test checks below that they did.
    const storm: ReactionOptions = {
      spec,
      collectMinutes: 20,
      policy: { ...DEFAULT_EVICTION_POLICY, maxWaitMinutes: 45 },
    };
    const collectingUntil = Date.now() + (20 * 60_000) / FACTOR;
    const base = Date.parse("2026-11-24T06:00:00Z");
    const events = Array.from({ length: 500 }, (_, i) =>
      evictionEvent(
        i % 2 === 0 ? "mgmt" : "app1",
        `aks-spot-${i.toString(36).padStart(5, "0")}`,
        new Date(base + i * 240).toISOString(),
      ),
    );
    const outcomes: Awaited<ReturnType<typeof deliver>> = [];
    for (let i = 0; i < events.length; i += 10) {
      outcomes.push(...(await Promise.all(events.slice(i, i + 10).map((e) => deliver(e, storm)))).flat());
    }
    expect(Date.now(), "all deliveries arrived while the watches were collecting").toBeLessThan(collectingUntil);
    const watches = [...new Set(outcomes.map((o) => o.instanceId))];
    expect(watches).toHaveLength(2);
    expect(outcomes.filter((o) => o.action === "started")).toHaveLength(2);
    const results = await Promise.all(watches.map((id) => driver.waitForCompletion(id!, { timeoutMs: 120_000 })));
    for (const r of results) {
      expect(r.runtimeStatus).toBe("Completed");
      expect((r.output as EvictionWatchResult).evictions).toBe(250);
      expect((r.output as EvictionWatchResult).dedupeKeys).toHaveLength(250);
    }
    const all = await driver.list({});
    expect(
      all.filter((s) => s.name === Orchestrations.evictionWatch && s.instanceId.includes("20261124T0600")),
    ).toHaveLength(2);
    for (const channel of ["teams", "slack"] as const) {
      const bodies = h.bodies(channel);
      expect(bodies).toHaveLength(4);
      expect(count(bodies, "Spot node evicted")).toBe(0);
      expect(count(bodies, "250 more")).toBe(2);
      expect(count(bodies, "recovered from a Spot eviction")).toBe(2);
    }
  }, 240_000);

  it("counts evictions delivered out of order (and repeated) once each, listed in time order", async () => {
    h.sink.reset();
    const times = ["2026-11-24T07:03:00Z", "2026-11-24T07:01:00Z", "2026-11-24T07:02:00Z"];
    const raws = times.map((t, i) => evictionEvent("app1", `aks-spot-ooo${i}`, t));
    const outcomes = [];
    for (const raw of [...raws, raws[0]!, raws[1]!]) outcomes.push(...(await deliver(raw)));
    const ids = new Set(outcomes.map((o) => o.instanceId));
    expect(ids.size).toBe(1);
    const done = await driver.waitForCompletion([...ids][0]!, { timeoutMs: 60_000 });
    expect(done.output).toMatchObject({ evictions: 3, outcome: "recovered" });
    // The durable pitfall (durable-js#574): no timer is scheduled twice, and every raised event reached the watch.
    const history = (await driver.getStatus([...ids][0]!, { showHistory: true }))?.history ?? [];
    const timerIds = history.filter((e) => e.EventType === "TimerCreated").map((e) => e.EventId);
    expect(timerIds.length).toBeGreaterThan(0);
    expect(new Set(timerIds).size).toBe(timerIds.length);
    expect(history.filter((e) => e.EventType === "EventRaised")).toHaveLength(4);
    const digest = h.bodies("slack").find((b) => b.includes("Spot evictions")) ?? "";
    const positions = ["aks-spot-ooo1", "aks-spot-ooo2", "aks-spot-ooo0"].map((vm) => digest.indexOf(vm));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });
});
