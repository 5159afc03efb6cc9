import { Activities } from "../../../lib/function-names";
import { buildPlan, estimatedDeploymentSeconds, planDeployments } from "../../../lib/plan";
import { buildDeploymentUnits } from "../../../lib/plan/units";
import { validateSpec } from "../../../lib/spec";
import { computePlanInputSchema, type ComputePlanInput, type ComputePlanResult } from "../contracts";
import { registerActivity } from "../../shared/boundary";

/**
 * The build's deployment units for a spec (parameters included; templates are read when each deployment starts),
 * each with its expected duration from the expanded plan (what the deployment loop paces its polling by).
 */
export function computePlan(input: ComputePlanInput): ComputePlanResult {
  const validated = validateSpec(input.spec);
  if (!validated.ok) {
    throw new Error(`the spec is not valid: ${validated.problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`);
  }
  const units = buildDeploymentUnits(validated.spec);
  const expected = new Map(
    planDeployments(buildPlan(validated.spec, { units })).map((d) => [d.name, estimatedDeploymentSeconds(d)]),
  );
  return {
    environment: validated.spec.name,
    units: units.map((u) => ({ ...u, ...(expected.has(u.name) ? { expectedSeconds: expected.get(u.name)! } : {}) })),
  };
}

registerActivity(Activities.computePlan, computePlanInputSchema, (input) => computePlan(input));
