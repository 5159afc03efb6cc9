import * as df from "durable-functions";
import type { OrchestrationContext } from "durable-functions";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startAzurite, type AzuriteHandle } from "../../local/azurite";
import { DurableDriver } from "../../local/durable/driver";

// A scaled clock (`up --time-scale`) runs ahead of the wall clock; a process that resumes the task hub must go on
// from the time its records reached, not restart at the wall clock behind them.

const HOUR = 3_600_000;

df.app.orchestration("ckTimerThenEvent", function* (context: OrchestrationContext) {
  yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 2 * HOUR));
  context.df.setCustomStatus("waiting for go");
  yield context.df.waitForExternalEvent("go");
  return "done";
});

let azurite: AzuriteHandle;
const drivers: DurableDriver[] = [];

beforeAll(async () => {
  azurite = await startAzurite();
});

afterAll(async () => {
  for (const driver of drivers) await driver.stop();
  await azurite?.stop();
});

it("a resumed instance's time goes on from where its records reached, never backwards", async () => {
  // One wall second is an hour of durable time: the first timer fires after about 2 s.
  const scaled = () => {
    const driver = new DurableDriver({
      connectionString: azurite.connectionString,
      taskHub: "clockresume",
      clock: { kind: "scaled", factor: HOUR / 1000 },
    });
    drivers.push(driver);
    return driver;
  };
  const first = scaled();
  const instanceId = await first.startNew("ckTimerThenEvent", { instanceId: "clock-1" });
  for (let i = 0; i < 1200 && (await first.getStatus(instanceId))?.customStatus !== "waiting for go"; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  expect((await first.getStatus(instanceId))?.customStatus).toBe("waiting for go");
  await first.stop();

  const second = scaled();
  await second.start();
  await second.raiseEvent(instanceId, "go");
  const status = await second.waitForCompletion(instanceId, { timeoutMs: 60_000 });
  expect(status.output).toBe("done");

  // Each episode's OrchestratorStarted time is the orchestrator's currentUtcDateTime.
  const history = (await second.getStatus(instanceId, { showHistory: true }))!.history!;
  const episodes = history.filter((e) => e.EventType === "OrchestratorStarted").map((e) => String(e.Timestamp));
  expect(episodes.length).toBeGreaterThanOrEqual(3);
  expect(episodes).toEqual([...episodes].sort());
}, 120_000);
