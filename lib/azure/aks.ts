import { ContainerServiceClient, type ManagedCluster } from "@azure/arm-containerservice";
import type { ArmConnection } from "./connection";
import { armCall, type ArmResult } from "./errors";
import type { CallOptions } from "./deployments";
import type { ClusterUpgradeState } from "../upgrade/plan";

/**
 * AKS through the real `@azure/arm-containerservice` client: run command, the Istio revision lookup, and upgrades
 * (upgrade profiles, mesh upgrade profiles, control plane / agent pool / node image / Istio canary operations,
 * maintenance configurations).
 */

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

  /**
   * What an upgrade run needs to know about one cluster: versions, provisioning states (with the last
   * operation's error), `upgradeProfiles/default`, each pool's upgrade profile (newest node image) and the
   * `meshUpgradeProfiles/istio` of its revision.
   */
  async upgradeState(
    resourceGroup: string,
    cluster: string,
    options: CallOptions = {},
  ): Promise<ArmResult<AksUpgradeState>> {
    return armCall("read upgrade state", `cluster ${cluster} in resource group ${resourceGroup}`, async () => {
      const o = { abortSignal: options.abortSignal };
      const [mc, profile, pools, mesh] = await Promise.all([
        this.client.managedClusters.get(resourceGroup, cluster, o),
        this.client.managedClusters.getUpgradeProfile(resourceGroup, cluster, o),
        collect(this.client.agentPools.list(resourceGroup, cluster, o)),
        collect(this.client.managedClusters.listMeshUpgradeProfiles(resourceGroup, cluster, o)),
      ]);
      const poolProfiles = await Promise.all(
        pools.map((p) => this.client.agentPools.getUpgradeProfile(resourceGroup, cluster, p.name ?? "", o)),
      );
      const error = mc.status?.provisioningError;
      return {
        kubernetesVersion: mc.currentKubernetesVersion ?? mc.kubernetesVersion ?? "",
        provisioningState: mc.provisioningState ?? "Unknown",
        ...(error ? { error: `${error.code ?? "Error"}: ${error.message ?? ""}` } : {}),
        controlPlaneUpgrades: (profile.controlPlaneProfile.upgrades ?? [])
          .filter((u) => !u.isPreview)
          .map((u) => u.kubernetesVersion ?? "")
          .filter(Boolean),
        pools: pools.map((p, i) => {
          const e = p.status?.provisioningError;
          return {
            name: p.name ?? "",
            mode: p.mode === "System" ? ("System" as const) : ("User" as const),
            kubernetesVersion: p.currentOrchestratorVersion ?? p.orchestratorVersion ?? "",
            nodeImageVersion: p.nodeImageVersion ?? "",
            ...(poolProfiles[i]?.latestNodeImageVersion !== undefined
              ? { latestNodeImageVersion: poolProfiles[i].latestNodeImageVersion }
              : {}),
            count: p.count ?? 0,
            provisioningState: p.provisioningState ?? "Unknown",
            ...(e ? { error: `${e.code ?? "Error"}: ${e.message ?? ""}` } : {}),
          };
        }),
        istioRevisions: mc.serviceMeshProfile?.istio?.revisions ?? [],
        istioUpgrades: mesh.flatMap((m) => m.properties?.upgrades ?? []),
      };
    });
  }

  /** Starts a control plane upgrade (PUT of the cluster with `kubernetesVersion`; pools keep their version). */
  async startControlPlaneUpgrade(
    resourceGroup: string,
    cluster: string,
    version: string,
    options: CallOptions = {},
  ): Promise<ArmResult<void>> {
    return this.putCluster(resourceGroup, cluster, `upgrade control plane to ${version}`, options, (mc) => {
      mc.kubernetesVersion = version;
    });
  }

  /** Sets the Istio add-on revisions: two to start a canary, one to complete it or roll it back. */
  async setIstioRevisions(
    resourceGroup: string,
    cluster: string,
    revisions: string[],
    options: CallOptions = {},
  ): Promise<ArmResult<void>> {
    return this.putCluster(resourceGroup, cluster, `set Istio revisions ${revisions.join(", ")}`, options, (mc) => {
      if (!mc.serviceMeshProfile?.istio) throw new Error(`cluster ${cluster} has no Istio add-on`);
      mc.serviceMeshProfile.istio.revisions = revisions;
    });
  }

  /** Starts an agent pool upgrade to `version` with the given surge. */
  async startPoolUpgrade(
    resourceGroup: string,
    cluster: string,
    pool: string,
    version: string,
    maxSurge: string,
    options: CallOptions = {},
  ): Promise<ArmResult<void>> {
    return armCall(
      `upgrade pool ${pool} to ${version}`,
      `cluster ${cluster} in resource group ${resourceGroup}`,
      async () => {
        const current = await this.client.agentPools.get(resourceGroup, cluster, pool, {
          abortSignal: options.abortSignal,
        });
        current.orchestratorVersion = version;
        current.upgradeSettings = { ...current.upgradeSettings, maxSurge };
        await this.client.agentPools
          .createOrUpdate(resourceGroup, cluster, pool, current, { abortSignal: options.abortSignal })
          .submitted();
      },
    );
  }

  async startNodeImageUpgrade(
    resourceGroup: string,
    cluster: string,
    pool: string,
    options: CallOptions = {},
  ): Promise<ArmResult<void>> {
    return armCall(
      `upgrade node image of pool ${pool}`,
      `cluster ${cluster} in resource group ${resourceGroup}`,
      async () => {
        await this.client.agentPools
          .upgradeNodeImageVersion(resourceGroup, cluster, pool, { abortSignal: options.abortSignal })
          .submitted();
      },
    );
  }

  /** Writes a weekly `maintenanceConfigurations/<name>` (aksManagedAutoUpgradeSchedule / aksManagedNodeOSUpgradeSchedule). */
  async putMaintenanceWindow(
    resourceGroup: string,
    cluster: string,
    name: string,
    window: { dayOfWeek: string; startTime: string; durationHours: number; utcOffset: string },
    options: CallOptions = {},
  ): Promise<ArmResult<void>> {
    return armCall(
      `write maintenance configuration ${name}`,
      `cluster ${cluster} in resource group ${resourceGroup}`,
      async () => {
        await this.client.maintenanceConfigurations.createOrUpdate(
          resourceGroup,
          cluster,
          name,
          {
            maintenanceWindow: {
              schedule: { weekly: { intervalWeeks: 1, dayOfWeek: window.dayOfWeek } },
              durationHours: window.durationHours,
              startTime: window.startTime,
              utcOffset: window.utcOffset,
            },
          },
          { abortSignal: options.abortSignal },
        );
      },
    );
  }

  private async putCluster(
    resourceGroup: string,
    cluster: string,
    operation: string,
    options: CallOptions,
    change: (mc: ManagedCluster) => void,
  ): Promise<ArmResult<void>> {
    return armCall(operation, `cluster ${cluster} in resource group ${resourceGroup}`, async () => {
      const mc = await this.client.managedClusters.get(resourceGroup, cluster, { abortSignal: options.abortSignal });
      change(mc);
      await this.client.managedClusters
        .createOrUpdate(resourceGroup, cluster, mc, { abortSignal: options.abortSignal })
        .submitted();
    });
  }
}

/** What AKS reports about a cluster's versions (the plan's input without the spec's cluster name). */
export type AksUpgradeState = Omit<ClusterUpgradeState, "cluster">;

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
