import { describe, expect, it } from "vitest";
import { Activities } from "../../lib/function-names";
import { defaultSpec } from "../../lib/spec";
import { runBuild } from "../../local/build/runner";
import type { DeployUnitsInput } from "../../orchestrations/build/contracts";
import { startPlatform } from "../helpers/platform";

describe("the hand-over from the shared stage to the clusters (local driver + sandbox ARM)", () => {
  it("starts what the last shared prerequisite unblocked (each cluster's AcrPull grant, after the shared services) before the children start", async () => {
    const runtime = await startPlatform({ spec: defaultSpec });
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
      // Each child is handed the progress and outputs of its own units and of what they read, never the whole
      // build's: its input is in its history and in every save of it (the children of a fleet grew with the fleet).
      const handed = (parent?.history ?? [])
        .filter((e) => e.EventType === "SubOrchestrationInstanceCreated")
        .map((e) => JSON.parse(e.Input as string) as DeployUnitsInput);
      // Every cluster has a child (its AKS deployment waits for the hand-over); the platform's only when work remains.
      for (const cluster of defaultSpec.clusters)
        expect(handed.map((input) => input.label)).toContain(`cluster ${cluster.name}`);
      for (const input of handed) {
        const read = new Set(
          input.units.flatMap((u) => [
            u.name,
            ...u.dependsOn,
            ...Object.values(u.outputParameters).map((r) => r.deployment),
          ]),
        );
        expect(input.deployments.map((d) => d.name).filter((name) => !read.has(name))).toEqual([]);
        expect(Object.keys(input.outputs).filter((name) => !read.has(name))).toEqual([]);
      }
    } finally {
      await runtime.stop();
    }
  }, 180_000);
});
