import * as df from "durable-functions";
import type { OrchestrationContext } from "durable-functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { activitySignal } from "../../lib/activity-signal";
import { CUSTOM_STATUS_LIMIT_BYTES, customStatusBytes } from "../../lib/custom-status";
import { startAzurite, type AzuriteHandle } from "../../local/azurite";
import { DurableDriver, DurableDriverError } from "../../local/durable/driver";
import { EventType } from "../../local/durable/history";

// Test-only orchestrations and activities (names prefixed "dt" so they never collide with the app's).
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

df.app.activity("dtDouble", { handler: (n: number) => n * 2 });
df.app.activity("dtEcho", { handler: (value: unknown) => value });

let running = 0;
let maxRunning = 0;
df.app.activity("dtSlow", {
  handler: async (n: number) => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    await sleep(80);
    running--;
    return n;
  },
});

const flakyCalls = new Map<string, number>();
df.app.activity("dtFlaky", {
  handler: (key: string) => {
    const calls = (flakyCalls.get(key) ?? 0) + 1;
    flakyCalls.set(key, calls);
    if (calls <= 2) throw new Error(`flaky failure ${calls} for ${key}`);
    return `${key} ok after ${calls}`;
  },
});
df.app.activity("dtAlwaysFails", {
  handler: () => {
    throw new Error("broken for good");
  },
});

let abortSeen = false;
df.app.activity("dtWaitsForAbort", {
  handler: async (_input: unknown, context) => {
    const signal = activitySignal(context);
    await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    abortSeen = signal.aborted;
    return "aborted";
  },
});

df.app.orchestration("dtSequence", function* (context: OrchestrationContext) {
  const results: number[] = [];
  for (const n of [1, 2, 3]) {
    results.push((yield context.df.callActivity("dtDouble", n)) as number);
    context.df.setCustomStatus({ done: results.length });
  }
  const echoed = (yield context.df.callActivity("dtEcho", "plain string")) as string;
  return { results, echoed };
});

df.app.orchestration("dtFanOut", function* (context: OrchestrationContext) {
  const tasks = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => context.df.callActivity("dtSlow", n));
  const values = (yield context.df.Task.all(tasks)) as number[];
  return values.reduce((a, b) => a + b, 0);
});

df.app.orchestration("dtFanOutQuick", function* (context: OrchestrationContext) {
  const tasks = Array.from({ length: 12 }, (_, n) => context.df.callActivity("dtDouble", n));
  const values = (yield context.df.Task.all(tasks)) as number[];
  return values.reduce((a, b) => a + b, 0);
});

df.app.orchestration("dtRetry", function* (context: OrchestrationContext) {
  const retry = new df.RetryOptions(1000, 3);
  const value = (yield context.df.callActivityWithRetry("dtFlaky", retry, context.df.instanceId)) as string;
  const after = (yield context.df.callActivity("dtDouble", 21)) as number;
  return { value, after };
});

df.app.orchestration("dtRetryExhausted", function* (context: OrchestrationContext) {
  yield context.df.callActivityWithRetry("dtAlwaysFails", new df.RetryOptions(500, 2), null);
  return "unreachable";
});

df.app.orchestration("dtChild", function* (context: OrchestrationContext) {
  const n = context.df.getInput<number>();
  return (yield context.df.callActivity("dtDouble", n)) as number;
});

const flakyChildRuns = new Map<string, number>();
df.app.orchestration("dtFlakyChild", function* (context: OrchestrationContext) {
  const key = context.df.getInput<string>();
  const value = (yield context.df.callActivity("dtEcho", key)) as string;
  // Counted after the first replay boundary only, so each attempt counts once.
  if (!context.df.isReplaying) flakyChildRuns.set(key, (flakyChildRuns.get(key) ?? 0) + 1);
  if ((flakyChildRuns.get(key) ?? 0) < 2) throw new Error(`child attempt failed for ${value}`);
  return `${value} child ok`;
});

df.app.orchestration("dtParent", function* (context: OrchestrationContext) {
  const first = (yield context.df.callSubOrchestrator("dtChild", 5)) as number;
  const both = (yield context.df.Task.all([
    context.df.callSubOrchestrator("dtChild", 1, `${context.df.instanceId}-explicit`),
    context.df.callSubOrchestratorWithRetry("dtFlakyChild", new df.RetryOptions(1000, 3), context.df.instanceId),
  ])) as [number, string];
  return { first, both };
});

df.app.orchestration("dtTimer", function* (context: OrchestrationContext) {
  const start = context.df.currentUtcDateTime;
  yield context.df.createTimer(new Date(start.getTime() + 5 * 60_000));
  return context.df.currentUtcDateTime.getTime() - start.getTime();
});

df.app.orchestration("dtApproval", function* (context: OrchestrationContext) {
  context.df.setCustomStatus("waiting");
  const first = (yield context.df.waitForExternalEvent("approve")) as { by: string };
  const second = (yield context.df.waitForExternalEvent("approve")) as { by: string };
  return [first.by, second.by];
});

df.app.orchestration("dtTimeout", function* (context: OrchestrationContext) {
  const timer = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 60 * 60_000));
  const winner = yield context.df.Task.any([context.df.waitForExternalEvent("never"), timer]);
  return winner === timer ? "timed out" : "event";
});

df.app.orchestration("dtCancelTimer", function* (context: OrchestrationContext) {
  const start = context.df.currentUtcDateTime;
  const timer = context.df.createTimer(new Date(start.getTime() + 60 * 60_000));
  const winner = yield context.df.Task.any([context.df.waitForExternalEvent("early"), timer]);
  if (winner !== timer) timer.cancel();
  // Idle while waiting here: an uncancelled timer would fire now and move the virtual clock an hour on.
  yield context.df.waitForExternalEvent("second");
  return context.df.currentUtcDateTime.getTime() - start.getTime();
});

df.app.orchestration("dtCounter", function* (context: OrchestrationContext) {
  const n = context.df.getInput<number>();
  yield context.df.callActivity("dtDouble", n);
  if (n < 3) {
    context.df.continueAsNew(n + 1);
    return undefined;
  }
  return `finished at ${n}`;
});

df.app.orchestration("dtWaitsForever", function* (context: OrchestrationContext) {
  yield context.df.Task.all([context.df.callActivity("dtWaitsForAbort", null), context.df.waitForExternalEvent("x")]);
  return "never";
});

df.app.orchestration("dtGrowingStatus", function* (context: OrchestrationContext) {
  // Each step adds 1 KB of text: 15 KB of status passes, 17 KB is over the 16 KB cap.
  const lines: string[] = [];
  for (const n of [15, 2]) {
    for (let i = 0; i < n; i++) lines.push("x".repeat(512 - 3));
    context.df.setCustomStatus({ lines });
    yield context.df.callActivity("dtDouble", lines.length);
  }
  return "never reached";
});

let nondeterministicRuns = 0;
df.app.orchestration("dtNonDeterministic", function* (context: OrchestrationContext) {
  // Deliberately wrong: picks the activity from state that changes between replays.
  nondeterministicRuns++;
  yield context.df.callActivity(nondeterministicRuns === 1 ? "dtDouble" : "dtEcho", 1);
  return "should not complete";
});

describe("local durable driver (virtual clock, Azurite)", () => {
  let azurite: AzuriteHandle;
  let driver: DurableDriver;

  beforeAll(async () => {
    azurite = await startAzurite();
    driver = new DurableDriver({
      connectionString: azurite.connectionString,
      taskHub: "drivertest",
      clock: { kind: "virtual" },
      maxConcurrentActivities: 3,
    });
    await driver.start();
  });

  afterAll(async () => {
    await driver?.stop();
    await azurite?.stop();
  });

  it("runs a sequence of activities with custom status and string inputs", async () => {
    const id = await driver.startNew("dtSequence", { input: { ignored: true } });
    const status = await driver.waitForCompletion(id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toEqual({ results: [2, 4, 6], echoed: "plain string" });
    expect(status.customStatus).toEqual({ done: 3 });
    expect(status.input).toEqual({ ignored: true });
    const full = await driver.getStatus(id, { showHistory: true });
    const scheduled = full?.history?.filter((e) => e.EventType === "TaskScheduled").map((e) => e.EventId);
    expect(scheduled).toEqual([0, 1, 2, 3]);
  });

  it("fans out concurrently up to the activity limit and fans in", async () => {
    maxRunning = 0;
    const id = await driver.startNew("dtFanOut");
    const status = await driver.waitForCompletion(id);
    expect(status.output).toBe(36);
    expect(maxRunning).toBe(3);
  });

  it("delivers the completions waiting for an instance in one episode, not one replay per completion", async () => {
    const id = await driver.startNew("dtFanOutQuick");
    const status = await driver.waitForCompletion(id);
    expect(status.output).toBe(132);
    const history = (await driver.getStatus(id, { showHistory: true }))!.history!;
    expect(history.filter((e) => e.EventType === "TaskCompleted")).toHaveLength(12);
    // One episode per completion was 13 (the start and 12 completions): the 12 arrive while the first saves.
    const episodes = history.filter((e) => e.EventType === "OrchestratorStarted").length;
    expect(episodes).toBeLessThan(7);
  });

  it("retries a failing activity by the SDK's id rules (timer id, then re-attempt id)", async () => {
    const id = await driver.startNew("dtRetry", { instanceId: "retry-1" });
    const status = await driver.waitForCompletion(id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toEqual({ value: "retry-1 ok after 3", after: 42 });
    const history = (await driver.getStatus(id, { showHistory: true }))!.history!;
    const ids = history
      .filter((e) => ["TaskScheduled", "TimerCreated"].includes(e.EventType as string))
      .map((e) => `${String(e.EventType)}:${String(e.EventId)}`);
    expect(ids).toEqual([
      "TaskScheduled:0",
      "TimerCreated:1",
      "TaskScheduled:2",
      "TimerCreated:3",
      "TaskScheduled:4",
      "TaskScheduled:5",
    ]);
    const timers = history.filter((e) => e.EventType === "TimerCreated").map((e) => Date.parse(e.FireAt as string));
    expect(timers[1]! - timers[0]!).toBeGreaterThanOrEqual(1000);
  });

  it("fails the orchestration once retries are exhausted, naming the activity error", async () => {
    const id = await driver.startNew("dtRetryExhausted");
    const status = await driver.waitForCompletion(id);
    expect(status.runtimeStatus).toBe("Failed");
    expect(String(status.output)).toContain("broken for good");
    const history = (await driver.getStatus(id, { showHistory: true }))!.history!;
    // attempt 0, timer 1, attempt 2, and the timer 3 that follows even the last failed attempt
    expect(history.filter((e) => e.EventType === "TimerCreated").map((e) => e.EventId)).toEqual([1, 3]);
  });

  it("runs sub-orchestrations, with explicit ids and with retry", async () => {
    const id = await driver.startNew("dtParent", { instanceId: "parent-1" });
    const status = await driver.waitForCompletion(id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toEqual({ first: 10, both: [2, "parent-1 child ok"] });
    expect((await driver.getStatus("parent-1:0"))?.runtimeStatus).toBe("Completed");
    expect((await driver.getStatus("parent-1-explicit"))?.output).toBe(2);
    expect(flakyChildRuns.get("parent-1")).toBe(2);
  });

  it("completes a 5-minute durable timer at once on the virtual clock", async () => {
    const wallStart = Date.now();
    const id = await driver.startNew("dtTimer");
    const status = await driver.waitForCompletion(id, { timeoutMs: 20_000 });
    expect(status.output).toBeGreaterThanOrEqual(5 * 60_000);
    expect(Date.now() - wallStart).toBeLessThan(5 * 60_000);
  });

  it("delivers external events in order and times out on a virtual timer", async () => {
    const id = await driver.startNew("dtApproval");
    await driver.raiseEvent(id, "approve", { by: "alice" });
    await driver.raiseEvent(id, "approve", { by: "bob" });
    expect((await driver.waitForCompletion(id)).output).toEqual(["alice", "bob"]);
    const timeout = await driver.startNew("dtTimeout");
    expect((await driver.waitForCompletion(timeout)).output).toBe("timed out");
    await expect(driver.raiseEvent(id, "approve", {})).rejects.toMatchObject({ code: "gone" });
    await expect(driver.raiseEvent("no-such-instance", "approve", {})).rejects.toMatchObject({ code: "not-found" });
  });

  it("never fires a timer the orchestrator cancelled", async () => {
    const id = await driver.startNew("dtCancelTimer");
    await driver.raiseEvent(id, "early", true);
    await sleep(300);
    await driver.raiseEvent(id, "second", true);
    const status = await driver.waitForCompletion(id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toBeLessThan(60 * 60_000);
    const history = (await driver.getStatus(id, { showHistory: true }))!.history!;
    expect(history.some((e) => e.EventType === "TimerFired")).toBe(false);
  });

  it("continues as new with the new input until done", async () => {
    const id = await driver.startNew("dtCounter", { instanceId: "counter-1", input: 0 });
    const status = await driver.waitForCompletion(id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toBe("finished at 3");
    expect(status.input).toBe(3);
    const history = (await driver.getStatus(id, { showHistory: true }))!.history!;
    expect(history.filter((e) => e.EventType === "ExecutionStarted")).toHaveLength(1);
  });

  it("terminates a running instance, aborting its activities, and refuses a second start while running", async () => {
    abortSeen = false;
    const id = await driver.startNew("dtWaitsForever", { instanceId: "forever-1" });
    await expect(driver.startNew("dtWaitsForever", { instanceId: "forever-1" })).rejects.toMatchObject({
      code: "conflict",
    });
    await expect(driver.purge(id)).rejects.toBeInstanceOf(DurableDriverError);
    for (let i = 0; i < 100 && (await driver.getStatus(id))?.runtimeStatus !== "Running"; i++) await sleep(20);
    await driver.terminate(id, "stopped by test");
    const status = await driver.waitForCompletion(id);
    expect(status.runtimeStatus).toBe("Terminated");
    expect(status.output).toBe("stopped by test");
    for (let i = 0; i < 100 && !abortSeen; i++) await sleep(10);
    expect(abortSeen).toBe(true);
    const restarted = await driver.startNew("dtSequence", { instanceId: "forever-1" });
    expect((await driver.waitForCompletion(restarted)).runtimeStatus).toBe("Completed");
  });

  it("reports a non-deterministic orchestrator, naming the instance and the mismatch", async () => {
    const id = await driver.startNew("dtNonDeterministic", { instanceId: "nondet-1" });
    const status = await driver.waitForCompletion(id);
    expect(status.runtimeStatus).toBe("Failed");
    expect(status.output).toMatch(/Non-deterministic orchestration "dtNonDeterministic" \(instance "nondet-1"\)/);
    expect(status.output).toContain('CallActivity "dtDouble"');
    expect(status.output).toContain('CallActivity "dtEcho"');
  });

  it("fails an orchestration whose custom status exceeds 16 KB of UTF-16 JSON, as Azure does", async () => {
    const id = await driver.startNew("dtGrowingStatus", { instanceId: "big-status-1" });
    const status = await driver.waitForCompletion(id);
    expect(status.runtimeStatus).toBe("Failed");
    expect(status.output).toMatch(/orchestration "dtGrowingStatus" \(instance "big-status-1"\) is \d+ bytes/);
    expect(status.output).toContain(`limit of ${CUSTOM_STATUS_LIMIT_BYTES} bytes`);
    // The refused status never lands; the last accepted one (15 lines, under the cap) stays readable.
    expect((status.customStatus as { lines: string[] }).lines).toHaveLength(15);
    expect(customStatusBytes(status.customStatus)).toBeLessThanOrEqual(CUSTOM_STATUS_LIMIT_BYTES);
    expect(customStatusBytes({ lines: Array(17).fill("x".repeat(509)) })).toBeGreaterThan(CUSTOM_STATUS_LIMIT_BYTES);
  });

  it("lists and purges finished instances", async () => {
    const completed = await driver.list({ runtimeStatus: ["Completed"] });
    expect(completed.map((s) => s.instanceId)).toContain("retry-1");
    expect(await driver.purge("retry-1")).toBe(true);
    expect(await driver.getStatus("retry-1")).toBeUndefined();
    expect(await driver.purge("retry-1")).toBe(false);
    await expect(driver.startNew("noSuchOrchestration")).rejects.toMatchObject({ code: "not-found" });
    expect(EventType.TaskScheduled).toBe(4);
  });
});

describe("local durable driver (scaled clock)", () => {
  it("waits a durable timer for its scaled-down wall time", async () => {
    const azurite = await startAzurite();
    const driver = new DurableDriver({
      connectionString: azurite.connectionString,
      taskHub: "scaledtest",
      clock: { kind: "scaled", factor: 1200 },
    });
    try {
      const id = await driver.startNew("dtTimer");
      const status = await driver.waitForCompletion(id, { timeoutMs: 30_000 });
      expect(status.runtimeStatus).toBe("Completed");
      expect(status.output).toBeGreaterThanOrEqual(5 * 60_000);
    } finally {
      await driver.stop();
      await azurite.stop();
    }
  });
});
