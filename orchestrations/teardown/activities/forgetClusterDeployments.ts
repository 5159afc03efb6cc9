import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { activitySignal } from "../../../lib/activity-signal";
import { forgetDeployments } from "../../../lib/backup";
import { Activities } from "../../../lib/function-names";
import type { DeploymentRef } from "../../build/contracts";
import { armConnection } from "../../shared/arm";

export interface ForgetClusterDeploymentsInput {
  subscriptionId: string;
  deployments: DeploymentRef[];
}

/** OPS-7 rebuild: drop the lost cluster's deployment records so the provisioning redeploys instead of reusing them. */
export async function forgetClusterDeployments(
  input: ForgetClusterDeploymentsInput,
  signal: AbortSignal,
): Promise<{ forgotten: string[] }> {
  const result = await forgetDeployments(armConnection(), input.subscriptionId, input.deployments, {
    abortSignal: signal,
  });
  if (!result.ok)
    throw new Error(
      `rebuild: ${result.error.operation} ${result.error.target}: ${result.error.code}: ${result.error.message}`,
    );
  return { forgotten: result.value };
}

df.app.activity(Activities.forgetClusterDeployments, {
  handler: (input: ForgetClusterDeploymentsInput, context: InvocationContext) =>
    forgetClusterDeployments(input, activitySignal(context)),
});
