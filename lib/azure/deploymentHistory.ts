import { DeploymentsClient } from "@azure/arm-resourcesdeployments";
import type { ArmConnection } from "./connection";
import { armCall, type ArmResult } from "./errors";

/**
 * The deployment history of a resource group (ARM keeps 800 records per scope): list the records and delete one
 * record (deleting a deployment record leaves the resources it deployed in place).
 */

export interface DeploymentRecordInfo {
  name: string;
  provisioningState: string;
  timestamp?: string;
  tags?: Record<string, string>;
}

export class DeploymentHistoryAdapter {
  private readonly client: DeploymentsClient;

  constructor(connection: ArmConnection, subscriptionId: string) {
    this.client = connection.client(DeploymentsClient, subscriptionId);
  }

  async list(
    resourceGroup: string,
    options: { abortSignal?: AbortSignal } = {},
  ): Promise<ArmResult<DeploymentRecordInfo[]>> {
    return armCall("list deployments", `resource group ${resourceGroup}`, async () => {
      const out: DeploymentRecordInfo[] = [];
      for await (const d of this.client.deployments.listByResourceGroup(resourceGroup, {
        abortSignal: options.abortSignal,
      })) {
        out.push({
          name: d.name ?? "",
          provisioningState: d.properties?.provisioningState ?? "Unknown",
          ...(d.properties?.timestamp ? { timestamp: d.properties.timestamp.toISOString() } : {}),
          ...(d.tags ? { tags: d.tags } : {}),
        });
      }
      return out;
    });
  }

  /** Deletes one record (waits: ARM removes a record within seconds). */
  async delete(
    resourceGroup: string,
    name: string,
    options: { abortSignal?: AbortSignal } = {},
  ): Promise<ArmResult<void>> {
    return armCall("delete deployment record", `deployment ${name} in resource group ${resourceGroup}`, async () => {
      await this.client.deployments.beginDeleteAndWait(resourceGroup, name, {
        abortSignal: options.abortSignal,
        updateIntervalInMs: 200,
      });
    });
  }
}
