import { afterEach, describe, expect, it } from "vitest";
import { defaultSpec } from "../../lib/spec";
import { runBuild } from "../../local/build/runner";
import { plannedResources } from "./harness";
import { startPlatform, type Platform } from "../helpers/platform";

let runtime: Platform | undefined;

afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

describe("what-if of a platform not built yet", () => {
  it("lists every resource the build would create, and changes nothing", async () => {
    runtime = await startPlatform({ spec: defaultSpec });
    const outcome = await runBuild(runtime, defaultSpec, "whatif");
    expect(outcome.runtimeStatus, outcome.failure).toBe("Completed");
    const deployments = outcome.status!.deployments;
    const created = deployments.reduce((n, d) => n + (d.whatIf?.create ?? 0), 0);
    expect(created).toBe(plannedResources(defaultSpec).length);
    expect(deployments.every((d) => d.whatIf && d.whatIf.modify + d.whatIf.delete === 0)).toBe(true);
    expect(runtime.sandbox.counters.snapshot().modifiedResources).toBe(0);
    expect(runtime.sandbox.state.resources()).toEqual([]);
  });
});
