import { Activities } from "../../../lib/function-names";
import { deploymentRefSchema, type DeploymentRef } from "../contracts";
import { registerActivity } from "../../shared/boundary";
import { adapterRef, deploymentsFor } from "../../shared/arm";

/** Cancels a deployment that ran past its time limit; one that already finished is left as it is. */
export async function cancelDeployment(
  ref: DeploymentRef,
  signal: AbortSignal,
): Promise<{ cancelled: boolean; reason?: string }> {
  const result = await deploymentsFor(ref.subscriptionId).cancel(adapterRef(ref), { abortSignal: signal });
  return result.ok
    ? { cancelled: true }
    : { cancelled: false, reason: `${result.error.code}: ${result.error.message}` };
}

registerActivity(Activities.cancelDeployment, deploymentRefSchema, (input, signal) => cancelDeployment(input, signal));
