import { ContainerServiceClient } from "@azure/arm-containerservice";
import type { ArmConnection } from "./connection";
import { armCall, type ArmResult } from "./errors";
import type { CallOptions } from "./deployments";

/** AKS through the real `@azure/arm-containerservice` client: run command and the Istio revision lookup. */

export interface RunCommandOutcome {
  provisioningState: string;
  exitCode: number;
  logs: string;
  reason?: string;
}

export interface MeshRevisionInfo {
  revision: string;
  upgrades: string[];
  /** Kubernetes minor versions the revision supports. */
  kubernetesVersions: string[];
}

export class AksAdapter {
  private readonly client: ContainerServiceClient;

  constructor(connection: ArmConnection, subscriptionId: string) {
    this.client = connection.client(ContainerServiceClient, subscriptionId);
  }

  /**
   * Runs a command in a (private) cluster and waits for its result (AKS gives the pod 60 s to schedule; the
   * output is capped at 512 kB). A non-zero exit code is a successful call with that code.
   */
  async runCommand(
    resourceGroup: string,
    cluster: string,
    command: string,
    options: CallOptions & { context?: string; updateIntervalInMs?: number } = {},
  ): Promise<ArmResult<RunCommandOutcome>> {
    return armCall("run command", `cluster ${cluster} in resource group ${resourceGroup}`, async () => {
      const result = await this.client.managedClusters.runCommand(
        resourceGroup,
        cluster,
        { command, ...(options.context !== undefined ? { context: options.context } : {}) },
        {
          abortSignal: options.abortSignal,
          ...(options.updateIntervalInMs !== undefined ? { updateIntervalInMs: options.updateIntervalInMs } : {}),
        },
      );
      const outcome: RunCommandOutcome = {
        provisioningState: result.provisioningState ?? "Unknown",
        exitCode: result.exitCode ?? -1,
        logs: result.logs ?? "",
      };
      if (result.reason) outcome.reason = result.reason;
      return outcome;
    });
  }

  /** Istio add-on revisions offered in a region (`meshRevisionProfiles/istio`), oldest first as ARM lists them. */
  async istioRevisions(location: string, options: CallOptions = {}): Promise<ArmResult<MeshRevisionInfo[]>> {
    return armCall("get mesh revision profile", `istio in ${location}`, async () => {
      const profile = await this.client.managedClusters.getMeshRevisionProfile(location, "istio", {
        abortSignal: options.abortSignal,
      });
      return (profile.properties?.meshRevisions ?? []).map((r) => ({
        revision: r.revision ?? "",
        upgrades: r.upgrades ?? [],
        kubernetesVersions: (r.compatibleWith ?? [])
          .filter((c) => c.name === "kubernetes")
          .flatMap((c) => c.versions ?? []),
      }));
    });
  }
}
