import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classifyDelivery, EventClassifier } from "../../lib/events";
import { Activities, Orchestrations } from "../../lib/function-names";
import { reactionFor } from "../../lib/ops/reactions";
import { defaultSpec } from "../../lib/spec";
import { startAzurite, type AzuriteHandle } from "../../local/azurite";
import { DurableDriver } from "../../local/durable/driver";
import { getRegistry, loadApp } from "../../local/registry";
import { durableReactionClient } from "../../functions/eventgrid";
import { reactionInputContracts } from "../../orchestrations/reactions/contracts";
import { SUBSCRIPTION } from "./helpers";

/**
 * Zod at the Durable boundary of the reactions room: every input `reactionFor` builds from the recorded event
 * fixtures fits its orchestration's contract, and an input that does not fit stops the orchestration (or the
 * activity) at once with a failure naming the paths, never the values.
 */

const dir = path.resolve(__dirname, "../fixtures/events");
const contracts = reactionInputContracts;

describe("the reactions room's contracts", () => {
  it("fit every input reactionFor builds from the recorded events", async () => {
    const classifier = new EventClassifier({ spec: defaultSpec });
    const checked = new Set<string>();
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
      const delivery = await classifyDelivery(readFileSync(path.join(dir, file), "utf8"), classifier);
      if (!delivery.ok) continue;
      for (const item of delivery.items) {
        if (!item.ok) continue;
        const reaction = reactionFor(item.event, { spec: defaultSpec, defaultSubscriptionId: SUBSCRIPTION });
        if (reaction.type === "none") continue;
        const orchestration =
          reaction.type === "eviction-watch" ? Orchestrations.evictionWatch : reaction.orchestration;
        const contract = contracts[orchestration];
        if (!contract) continue;
        const parsed = contract.safeParse(reaction.input);
        expect(parsed.success ? [] : parsed.error.issues, `${file}: ${orchestration}`).toEqual([]);
        checked.add(orchestration);
      }
    }
    expect([...checked].sort()).toEqual(Object.keys(contracts).sort());
  });

  describe("on the durable driver", () => {
    let azurite: AzuriteHandle;
    let driver: DurableDriver;
    beforeAll(async () => {
      azurite = await startAzurite();
      await loadApp();
      driver = new DurableDriver({ connectionString: azurite.connectionString, taskHub: "reactioncontracts" });
      await driver.start();
    }, 60_000);
    afterAll(async () => {
      await driver?.stop();
      await azurite?.stop();
    });

    it("fails an orchestration whose input does not fit, naming the paths and not the values", async () => {
      const secret = "https://hooks.slack.example/services/T000/B000/SECRET";
      await driver.startNew(Orchestrations.lifecycleNotice, {
        instanceId: "lifecycle-bad-input",
        input: { environment: "lab", event: { kind: "certificate", reason: secret }, notifications: {} },
      });
      const done = await driver.waitForCompletion("lifecycle-bad-input", { timeoutMs: 30_000 });
      expect(done.runtimeStatus).toBe("Failed");
      const output = JSON.stringify(done.output);
      expect(output).toContain("orchestration lifecycle-bad-input: input does not match its contract");
      expect(output).toContain("event.kind");
      expect(output).toContain("notifications.channels");
      expect(output).not.toContain("SECRET");
    });

    it("refuses, where a trigger starts a reaction, an input that does not fit (nothing enters the task hub)", async () => {
      const started: string[] = [];
      const client = durableReactionClient({
        startNew: (name: string) => Promise.resolve(void started.push(name)),
      } as unknown as Parameters<typeof durableReactionClient>[0]);
      await expect(
        client.start(Orchestrations.backupFailureReaction, "backup-x", { environment: "lab", notifications: {} }),
      ).rejects.toThrow(/start of backupFailureReaction backup-x: input does not match its contract: .*event: /);
      expect(started).toEqual([]);
    });

    it("fails an activity whose input does not fit", async () => {
      const registered = getRegistry().get(Activities.retryBackup, "activityTrigger");
      await expect(
        Promise.resolve(registered.handler({ subscriptionId: "s", vault: { resourceGroup: "rg" } }, {})),
      ).rejects.toThrow(
        /activity retryBackup: input does not match its contract: vault\.vault: .*backupInstance: .*now: /,
      );
    });
  });
});
