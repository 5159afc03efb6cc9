import { describe, expect, it } from "vitest";
import { Activities } from "../../lib/function-names";
import { defaultSpec } from "../../lib/spec";
import { runBuild } from "../../local/build/runner";
import { startE2eRuntime } from "./harness";

describe("the hand-over from the shared stage to the clusters (local driver + sandbox ARM)", () => {
  it("starts what the last shared prerequisite unblocked (each cluster's AcrPull grant, after the shared services) before the children start", async () => {
    const runtime = await startE2eRuntime(defaultSpec);
    try {
      const outcome = await runBuild(runtime, defaultSpec, "deploy");
      expect(outcome.runtimeStatus).toBe("Completed");
      const parent = await runtime.driver.getStatus(outcome.instanceId, { showHistory: true });
      // Started by the parent orchestration itself (the children then poll them), not after the children's start.
      const startedByParent = (parent?.history ?? [])
        .filter((e) => e.EventType === "TaskScheduled" && e.Name === Activities.startDeployment)
        .map((e) => (JSON.parse(e.Input as string) as { unit: { name: string } }).unit.name);
      for (const cluster of defaultSpec.clusters)
        expect(startedByParent).toContain(`${defaultSpec.name}-acr-grants-${cluster.name}`);
      // Nothing that waits on a cluster deployment starts there: the add-ons are the children's.
      expect(startedByParent.some((name) => name.includes("-addons-"))).toBe(false);
    } finally {
      await runtime.stop();
    }
  }, 180_000);
});
