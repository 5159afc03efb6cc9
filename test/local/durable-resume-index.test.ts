import * as df from "durable-functions";
import type { OrchestrationContext } from "durable-functions";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { storageFromConnectionString } from "../../lib/azure";
import { startAzurite, type AzuriteHandle } from "../../local/azurite";
import { DurableDriver } from "../../local/durable/driver";

// An instance is one blob (its document) and one index row, written one after the other. A process killed between
// the two leaves a new instance without a row; an Azurite that exits before saving its table data as well as its
// blob data leaves a row older than its document. The next process must resume every unfinished instance all the
// same: a child nobody drives leaves its parent (and the build waiting on it) waiting for ever.

const HOUR = 3_600_000;
const TASK_HUB = "indexgap";

df.app.orchestration("igChild", function* (context: OrchestrationContext) {
  yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 2 * HOUR));
  return "child done";
});

df.app.orchestration("igParent", function* (context: OrchestrationContext) {
  const child = (yield context.df.callSubOrchestrator(
    "igChild",
    undefined,
    `${context.df.instanceId}-child`,
  )) as string;
  return `parent saw ${child}`;
});

let azurite: AzuriteHandle;
const drivers: DurableDriver[] = [];

beforeAll(async () => {
  azurite = await startAzurite();
});

// One driver per task hub at a time, as one process per state folder.
afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.stop();
});

afterAll(async () => {
  await azurite?.stop();
});

/** A driver on the real clock: the child's two-hour timer stays pending until it stops. */
function driverOn(clock: "real" | "virtual"): DurableDriver {
  const driver = new DurableDriver({
    connectionString: azurite.connectionString,
    taskHub: TASK_HUB,
    clock: clock === "real" ? { kind: "scaled", factor: 1 } : { kind: "virtual" },
  });
  drivers.push(driver);
  return driver;
}

/** Starts `igParent` as `parentId` and stops the driver once the child waits on its timer (as a kill would). */
async function interruptedParent(parentId: string): Promise<void> {
  const first = driverOn("real");
  await first.startNew("igParent", { instanceId: parentId });
  for (let i = 0; i < 600 && (await first.getStatus(`${parentId}-child`))?.runtimeStatus !== "Running"; i++)
    await new Promise((r) => setTimeout(r, 50));
  expect((await first.getStatus(`${parentId}-child`))?.runtimeStatus).toBe("Running");
  await first.stop();
}

const index = () => storageFromConnectionString(azurite.connectionString).table(`${TASK_HUB}Instances`);
const rowKey = (instanceId: string) => encodeURIComponent(instanceId);

describe("local durable driver: resuming what the index lost", () => {
  it("resumes a child whose index row was never written, and its parent finishes", async () => {
    await interruptedParent("gap-1");
    await index().deleteEntity("instances", rowKey("gap-1-child"));

    const second = driverOn("virtual");
    await second.start();
    const status = await second.waitForCompletion("gap-1", { timeoutMs: 20_000 });
    expect(status).toMatchObject({ runtimeStatus: "Completed", output: "parent saw child done" });
    // Its row is written again with its next save.
    expect(await second.list({ runtimeStatus: ["Completed"] })).toEqual(
      expect.arrayContaining([expect.objectContaining({ instanceId: "gap-1-child" })]),
    );
  }, 60_000);

  it("resumes instances whose row says finished while their document says running", async () => {
    await interruptedParent("gap-2");
    for (const id of ["gap-2", "gap-2-child"])
      await index().updateEntity(
        { partitionKey: "instances", rowKey: rowKey(id), runtimeStatus: "Completed" },
        "Merge",
      );

    const second = driverOn("virtual");
    await second.start();
    const status = await second.waitForCompletion("gap-2", { timeoutMs: 20_000 });
    expect(status).toMatchObject({ runtimeStatus: "Completed", output: "parent saw child done" });
  }, 60_000);

  it("resumes a new instance whose index row was never written", async () => {
    const first = driverOn("real");
    await first.startNew("igChild", { instanceId: "gap-3" });
    for (let i = 0; i < 600 && (await first.getStatus("gap-3"))?.runtimeStatus !== "Running"; i++)
      await new Promise((r) => setTimeout(r, 50));
    await first.stop();
    await index().deleteEntity("instances", rowKey("gap-3"));

    const second = driverOn("virtual");
    await second.start();
    expect(await second.waitForCompletion("gap-3", { timeoutMs: 20_000 })).toMatchObject({
      runtimeStatus: "Completed",
      output: "child done",
    });
  }, 60_000);
});
