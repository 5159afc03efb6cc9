import { Activities } from "../../../lib/function-names";
import { resolveParameters, type OutputsByDeployment } from "../../../lib/plan/progress";
import { adapterRef, deploymentsFor } from "../../shared/arm";
import { readTemplate } from "../../shared/templates";
import { registerActivity } from "../../shared/boundary";
import { checkUnitDriftInputSchema, type CheckUnitDriftInput, type CheckUnitDriftResult } from "../contracts";

/**
 * One targeted what-if: the unit's template and the spec's parameters (outputs of the deployments it reads taken
 * from ARM) against the current state of its resources. A unit never deployed, or being deployed, is not checked.
 */
export async function checkUnitDrift(input: CheckUnitDriftInput, signal: AbortSignal): Promise<CheckUnitDriftResult> {
  const { unit } = input;
  const deployments = deploymentsFor(input.subscriptionId);
  const fail = (message: string): CheckUnitDriftResult => ({
    unit: unit.name,
    result: { ok: false, message },
    outputs: {},
  });

  const own = await deployments.status(adapterRef(unit), { abortSignal: signal });
  if (!own.ok)
    return fail(own.error.kind === "notFound" ? "not deployed yet (build the platform first)" : own.error.message);
  if (own.value.state === "running") return fail("a deployment of this unit is running; checked on the next sweep");

  const outputs: OutputsByDeployment = {};
  for (const source of new Set(Object.values(unit.outputParameters).map((r) => r.deployment))) {
    const ref = input.sources[source];
    if (!ref) return fail(`reads outputs of deployment ${source}, which is not in the plan`);
    const status = await deployments.status(adapterRef(ref), { abortSignal: signal });
    if (!status.ok || status.value.state !== "succeeded")
      return fail(
        `needs the outputs of deployment ${source}, which ${status.ok ? `is ${status.value.state}` : "cannot be read"}`,
      );
    outputs[source] = status.value.outputs;
  }
  const template = await readTemplate(unit.template);
  const result = await deployments.whatIf(
    {
      ...adapterRef(unit),
      ...(unit.scope === "subscription" ? { location: input.location } : {}),
      template,
      parameters: resolveParameters(unit, outputs),
    },
    { abortSignal: signal, updateIntervalInMs: 500 },
  );
  if (!result.ok) return fail(`${result.error.code}: ${result.error.message}`);
  return { unit: unit.name, result: { ok: true, changes: result.value }, outputs };
}

registerActivity(Activities.checkUnitDrift, checkUnitDriftInputSchema, checkUnitDrift);
