import * as df from "durable-functions";
import { Activities } from "../../../lib/function-names";
import { buildDeploymentUnits } from "../../../lib/plan/units";
import { validateSpec } from "../../../lib/spec";
import type { ComputePlanInput, ComputePlanResult } from "../contracts";

/** The build's deployment units for a spec (parameters included; templates are read when each deployment starts). */
export function computePlan(input: ComputePlanInput): ComputePlanResult {
  const validated = validateSpec(input.spec);
  if (!validated.ok) {
    throw new Error(`the spec is not valid: ${validated.problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`);
  }
  return { environment: validated.spec.name, units: buildDeploymentUnits(validated.spec) };
}

df.app.activity(Activities.computePlan, { handler: (input: ComputePlanInput) => computePlan(input) });
