import { createRestError, type Client } from "@azure-rest/core-client";
import { z } from "zod";
import type { ArmConnection } from "./connection";
import type { CallOptions } from "./deployments";
import { ArmContractError, armCall, type ArmResult } from "./errors";
import { retryAfter } from "./resources";

/**
 * Azure Virtual Network Manager's commit, on `@azure-rest/core-client` like every other ARM call: a network group
 * or connectivity configuration deployed by a template does nothing until it is committed to a region
 * (`POST …/networkManagers/{name}/commit`, NetworkManagerCommits.beginPost in @azure/arm-network; "changes made to
 * network groups, connectivity … won't take effect unless a deployment has been committed",
 * learn.microsoft.com/azure/virtual-network-manager/concept-deployments), and what a region has in effect is read
 * with `POST …/listDeploymentStatus` (deploymentStatus NotStarted, Deploying, Deployed or Failed).
 */

/** The api-version of the templates' networkManagers resources. */
export const NETWORK_MANAGER_API_VERSION = "2025-05-01";

export interface NetworkManagerCommit {
  commitType: "Connectivity";
  configurationIds: string[];
  targetLocations: string[];
}

/** What one region has in effect for one commit type. */
export interface NetworkManagerDeployment {
  status: "NotStarted" | "Deploying" | "Deployed" | "Failed";
  configurationIds: string[];
  errorMessage?: string;
}

const deploymentStatusSchema = z.object({
  value: z
    .array(
      z
        .object({
          region: z.string().optional(),
          deploymentStatus: z.enum(["NotStarted", "Deploying", "Deployed", "Failed"]),
          configurationIds: z.array(z.string()).default([]),
          deploymentType: z.string().optional(),
          errorMessage: z.string().nullish(),
        })
        .loose(),
    )
    .default([]),
});

export class NetworkManagersAdapter {
  private readonly client: Client;

  constructor(connection: ArmConnection) {
    this.client = connection.rest({ apiVersion: NETWORK_MANAGER_API_VERSION });
  }

  /** Posts a commit (202: AVNM applies it asynchronously); its progress is read with `deploymentStatus`. */
  async commit(
    networkManagerId: string,
    commit: NetworkManagerCommit,
    options: CallOptions = {},
  ): Promise<ArmResult<{ retryAfterSeconds?: number }>> {
    return armCall("commit", networkManagerId, async () => {
      const response = await this.client.pathUnchecked(`${networkManagerId}/commit`).post({
        abortSignal: options.abortSignal,
        queryParameters: { "api-version": NETWORK_MANAGER_API_VERSION },
        body: commit,
      });
      if (response.status !== "200" && response.status !== "202") throw createRestError(response);
      return retryAfter(response.headers["retry-after"]);
    });
  }

  /** What `region` has in effect for `commitType` (NotStarted when nothing was ever committed there). */
  async deploymentStatus(
    networkManagerId: string,
    region: string,
    commitType: NetworkManagerCommit["commitType"],
    options: CallOptions = {},
  ): Promise<ArmResult<NetworkManagerDeployment>> {
    return armCall("list deployment status", networkManagerId, async () => {
      const response = await this.client.pathUnchecked(`${networkManagerId}/listDeploymentStatus`).post({
        abortSignal: options.abortSignal,
        queryParameters: { "api-version": NETWORK_MANAGER_API_VERSION },
        body: { regions: [region], deploymentTypes: [commitType] },
      });
      if (response.status !== "200") throw createRestError(response);
      const parsed = deploymentStatusSchema.safeParse(response.body);
      if (!parsed.success) throw new ArmContractError(`listDeploymentStatus ${networkManagerId}: unexpected body`);
      const entry = parsed.data.value.find((v) => v.region === undefined || v.region.toLowerCase() === region);
      if (!entry) return { status: "NotStarted" as const, configurationIds: [] };
      return {
        status: entry.deploymentStatus,
        configurationIds: entry.configurationIds,
        ...(entry.errorMessage ? { errorMessage: entry.errorMessage } : {}),
      };
    });
  }
}
