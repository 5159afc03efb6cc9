import { afterEach, describe, expect, it } from "vitest";
import { renderTargetPlanText } from "../../lib/plan/what-if";
import { defaultSpec } from "../../lib/spec";
import { runBuild } from "../../local/build/runner";
import { whatIfPlan } from "../../local/cli/commands/plan";
import { startPlatform, type Platform } from "../helpers/platform";

/**
 * A what-if whose call ARM refuses for one unit: the per-resource changes of every unit ARM did evaluate are kept
 * (`plan` and `up --whatif` list them), and the failed unit is shown with ARM's innermost error. The real build
 * orchestration through the local durable driver, the real SDK against the sandbox ARM; the sandbox refuses one
 * unit's what-if request as ARM refuses an invalid template (400 InvalidTemplateDeployment).
 */

let runtime: Platform | undefined;

afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

const FAILING = `${defaultSpec.name}-network-app2`;

describe("a what-if with one unit ARM could not evaluate", () => {
  it("keeps the per-resource changes of the units that succeeded and names the failed unit's innermost error", async () => {
    runtime = await startPlatform({ spec: defaultSpec });
    runtime.sandbox.faults.add({
      match: { method: "POST", path: `/deployments/${FAILING}/whatIf` },
      effect: {
        kind: "error",
        status: 400,
        code: "InvalidTemplateDeployment",
        message: "The template deployment 'k8s-demo-network-app2' is not valid according to the validation procedure.",
      },
    });
    const outcome = await runBuild(runtime, defaultSpec, "whatif", { pollMs: 100 });
    const plan = whatIfPlan(defaultSpec, { sandbox: true }, outcome);

    const failed = plan.units.find((u) => u.name === FAILING)!;
    expect(failed).toMatchObject({ state: "failed", resources: [] });
    expect(failed.error).toContain("InvalidTemplateDeployment: The template deployment 'k8s-demo-network-app2'");
    // Units that do not depend on it were evaluated, each resource listed (before: none, the build's output was
    // only its failure message).
    for (const name of [
      `${defaultSpec.name}-rg`,
      `${defaultSpec.name}-network-mgmt`,
      `${defaultSpec.name}-monitoring`,
    ]) {
      const unit = plan.units.find((u) => u.name === name)!;
      expect(unit.state, name).toBe("planned");
      expect(unit.resources.length, name).toBeGreaterThan(0);
      expect(unit.resources.every((r) => r.action === "create")).toBe(true);
    }
    // What needs the failed unit could not be evaluated, and says why.
    expect(plan.units.find((u) => u.name === `${defaultSpec.name}-aks-app2`)?.state).toBe("not evaluated");
    expect(plan.summary.add).toBeGreaterThan(0);

    const text = renderTargetPlanText(plan);
    expect(text).toContain(
      `deployment ${FAILING} (phase network, cluster app2)\n  ! could not be evaluated: InvalidTemplateDeployment:`,
    );
    expect(text).toMatch(
      /deployment k8s-demo-network-mgmt \(phase network, cluster mgmt\)\n {2}\+ Microsoft\.Network\/\w+ \S+ {2}\(create\)\n/,
    );
    expect(text).toMatch(
      /Plan: [1-9]\d* to add, 0 to change, 0 to destroy \(0 unchanged\)\. \d+ deployment\(s\) could not be evaluated\./,
    );
    // A what-if changes nothing, whatever ARM answered.
    expect(runtime.sandbox.state.resources()).toEqual([]);
  }, 180_000);
});
