import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { activitySignal } from "../../../lib/activity-signal";
import { Activities } from "../../../lib/function-names";
import type { DeploymentRef } from "../contracts";
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

df.app.activity(Activities.cancelDeployment, {
  handler: (input: DeploymentRef, context: InvocationContext) => cancelDeployment(input, activitySignal(context)),
});
