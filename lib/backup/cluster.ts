import { ContainerServiceClient } from "@azure/arm-containerservice";
import { DeploymentsClient } from "@azure/arm-resourcesdeployments";
import { armCall, type ArmConnection, type ArmResult, type CallOptions } from "../azure";

/** Whether the AKS cluster a restore targets still exists (absence is an answer, not a failure). */
export async function clusterExists(
  connection: ArmConnection,
  subscriptionId: string,
  resourceGroup: string,
  name: string,
  options: CallOptions = {},
): Promise<ArmResult<boolean>> {
  const client = connection.client(ContainerServiceClient, subscriptionId);
  const result = await armCall("get cluster", `${name} in resource group ${resourceGroup}`, async () => {
    await client.managedClusters.get(resourceGroup, name, { abortSignal: options.abortSignal });
    return true;
  });
  return !result.ok && result.error.kind === "notFound" ? { ok: true, value: false } : result;
}

/**
 * Removes deployment records (never resources) so a rebuild redeploys them: the provisioning skips a deployment
 * whose succeeded record has the same inputs, but after a cluster's resource group is lost those records describe
 * resources that no longer exist. A record already gone (it lived in the lost group) is fine.
 */
export async function forgetDeployments(
  connection: ArmConnection,
  subscriptionId: string,
  refs: ReadonlyArray<{ name: string; scope: "subscription" | "resourceGroup"; resourceGroup?: string }>,
  options: CallOptions = {},
): Promise<ArmResult<string[]>> {
  const client = connection.client(DeploymentsClient, subscriptionId);
  const forgotten: string[] = [];
  for (const ref of refs) {
    const result = await armCall("delete deployment record", ref.name, async () => {
      const poller =
        ref.scope === "subscription" || ref.resourceGroup === undefined
          ? client.deployments.deleteAtSubscriptionScope(ref.name, { abortSignal: options.abortSignal })
          : client.deployments.delete(ref.resourceGroup, ref.name, { abortSignal: options.abortSignal });
      await poller;
    });
    if (!result.ok && result.error.kind !== "notFound") return result;
    if (result.ok) forgotten.push(ref.name);
  }
  return { ok: true, value: forgotten };
}
