import { forgetDeployments } from "../../../lib/backup";
import { Activities } from "../../../lib/function-names";
import { armConnection } from "../../shared/arm";
import { registerActivity } from "../../shared/boundary";
import { forgetClusterDeploymentsInputSchema, type ForgetClusterDeploymentsInput } from "../contracts";

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

registerActivity(Activities.forgetClusterDeployments, forgetClusterDeploymentsInputSchema, forgetClusterDeployments);
