import { afterEach, describe, expect, it } from "vitest";
import { buildInstanceId, mergedStatus } from "../../lib/api/builds";
import { CUSTOM_STATUS_LIMIT_BYTES, customStatusBytes } from "../../lib/custom-status";
import type { BuildStatus } from "../../lib/plan/progress";
import { defaultSpec } from "../../lib/spec";
import { isActive } from "../../lib/api/builds";
import { startPlatform, type Platform } from "../helpers/platform";

/**
 * The merged status of a running build (`status` while `up` runs, GET …/provision) lists the per-cluster
 * deployments the build started itself before it handed the cluster to its sub-orchestration (resource group,
 * network, identity, …), from the moment they start, and keeps them once the cluster's child runs. The real build
 * through the local durable driver against the sandbox ARM (600×: its first stage, where the build runs those
 * deployments itself, lasts about a second of the 50 ms looks).
 */

let runtime: Platform | undefined;

afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

const ENV = defaultSpec.name;

describe("the merged status of a running build", () => {
  it("lists the per-cluster deployments the build ran before the hand-over, in every stage", async () => {
    runtime = await startPlatform({ spec: defaultSpec });
    const instanceId = buildInstanceId(ENV);
    await runtime.instances.start(instanceId, { spec: defaultSpec, mode: "deploy" });
    const samples: { stage: BuildStatus["stage"]; states: Map<string, string> }[] = [];
    let largest = 0;
    for (;;) {
      const view = await runtime.instances.get(instanceId);
      if (!view || !isActive(view)) break;
      largest = Math.max(largest, customStatusBytes(view.customStatus));
      const status = await mergedStatus(view, runtime.instances);
      if (status)
        samples.push({ stage: status.stage, states: new Map(status.deployments.map((d) => [d.name, d.state])) });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const end = await runtime.instances.get(instanceId);
    expect(end?.runtimeStatus, JSON.stringify(end?.output)).toBe("Completed");

    // While the build runs the first stage itself, its per-cluster deployments are listed as they run.
    const firstStage = samples.filter((s) => s.stage === "shared");
    expect(firstStage.length).toBeGreaterThan(0);
    const startedThere = new Set(
      firstStage.flatMap((s) => [...s.states].filter(([, state]) => state !== "pending").map(([name]) => name)),
    );
    for (const cluster of ["mgmt", "app1", "app2"])
      for (const name of [`${ENV}-rg-${cluster}`, `${ENV}-network-${cluster}`])
        expect(startedThere.has(name), `${name} in the first stage`).toBe(true);

    // Once seen started, a deployment stays listed (started or done) in every later look, whoever runs it.
    const seen = new Set<string>();
    for (const [i, sample] of samples.entries()) {
      for (const name of seen)
        expect(sample.states.get(name), `${name} at sample ${i} (${sample.stage})`).toMatch(/running|succeeded/);
      for (const [name, state] of sample.states) if (state !== "pending") seen.add(name);
    }
    expect(samples.some((s) => s.stage === "clusters")).toBe(true);
    // Within Durable's 16 KB (with the margin the size test keeps).
    expect(largest).toBeLessThan(0.75 * CUSTOM_STATUS_LIMIT_BYTES);
  }, 240_000);
});
