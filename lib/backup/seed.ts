import { DeploymentsAdapter, ResourceGroupsAdapter, type ArmConnection } from "../azure";
import { BACKUP_POLICY_NAME, backupInstanceName, buildDeploymentUnits } from "../plan/units";
import type { PlatformSpec } from "../spec";
import type { VaultRef } from "./report";

/**
 * Gives a sandbox ARM the Data Protection state of a spec without building the whole platform: the vault, the
 * spec's backup policy (the same rules the shared template deploys) and one backup instance per cluster with
 * `addons.backup`, pointing at the cluster's AKS resource id. Used by `backup verify --sandbox`, tests and the
 * benchmark; a real vault is built by the provisioning orchestration instead.
 */

export const SEED_DEPLOYMENT = "backup-verify-seed";

export function vaultOf(spec: PlatformSpec): VaultRef {
  return {
    subscriptionId: spec.subscriptionId,
    resourceGroup: spec.commonResourceGroup,
    vault: spec.shared.backupVault.name,
  };
}

export function clusterResourceId(spec: PlatformSpec, cluster: { resourceGroup: string; aksName: string }): string {
  return `/subscriptions/${spec.subscriptionId}/resourceGroups/${cluster.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${cluster.aksName}`;
}

/** The seed template; `extraInstances` adds synthetic instances (benchmarks with hundreds of instances). */
export function seedTemplate(spec: PlatformSpec, extraInstances = 0): unknown {
  const shared = buildDeploymentUnits(spec).find((u) => u.template === "shared.json");
  const rules = shared?.parameters["backupPolicyRules"];
  if (!Array.isArray(rules)) throw new Error("the shared deployment unit has no backupPolicyRules parameter");
  const vault = spec.shared.backupVault.name;
  const policyId = `[resourceId('Microsoft.DataProtection/backupVaults/backupPolicies', '${vault}', '${BACKUP_POLICY_NAME}')]`;
  const targets = [
    ...spec.clusters
      .filter((c) => c.addons.backup)
      .map((c) => ({ name: backupInstanceName(c), friendly: c.name, source: clusterResourceId(spec, c) })),
    ...Array.from({ length: extraInstances }, (_, i) => {
      const aks = `aks-${spec.name}-extra${String(i + 1).padStart(3, "0")}`;
      return {
        name: `bi-${aks}`,
        friendly: aks,
        source: clusterResourceId(spec, { resourceGroup: `rg-${spec.name}-extra`, aksName: aks }),
      };
    }),
  ];
  return {
    $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    contentVersion: "1.0.0.0",
    resources: [
      {
        type: "Microsoft.DataProtection/backupVaults",
        apiVersion: "2025-07-01",
        name: vault,
        location: spec.location,
        identity: { type: "SystemAssigned" },
        properties: {},
      },
      {
        type: "Microsoft.DataProtection/backupVaults/backupPolicies",
        apiVersion: "2025-07-01",
        name: `${vault}/${BACKUP_POLICY_NAME}`,
        dependsOn: [`[resourceId('Microsoft.DataProtection/backupVaults', '${vault}')]`],
        properties: {
          objectType: "BackupPolicy",
          datasourceTypes: ["Microsoft.ContainerService/managedClusters"],
          policyRules: rules,
        },
      },
      ...targets.map((t) => ({
        type: "Microsoft.DataProtection/backupVaults/backupInstances",
        apiVersion: "2025-07-01",
        name: `${vault}/${t.name}`,
        dependsOn: [
          `[resourceId('Microsoft.DataProtection/backupVaults/backupPolicies', '${vault}', '${BACKUP_POLICY_NAME}')]`,
        ],
        properties: {
          objectType: "BackupInstance",
          friendlyName: t.friendly,
          dataSourceInfo: {
            objectType: "Datasource",
            resourceID: t.source,
            resourceName: t.friendly,
            resourceType: "Microsoft.ContainerService/managedClusters",
            datasourceType: "Microsoft.ContainerService/managedClusters",
            resourceLocation: spec.location,
          },
          policyInfo: { policyId },
        },
      })),
    ],
  };
}

/** Deploys the seed and waits for it (polling on the deployment's own Retry-After, capped at 2 s). */
export async function seedBackupState(
  connection: ArmConnection,
  spec: PlatformSpec,
  options: { extraInstances?: number; signal?: AbortSignal } = {},
): Promise<VaultRef> {
  const vault = vaultOf(spec);
  const call = options.signal ? { abortSignal: options.signal } : {};
  const rg = await new ResourceGroupsAdapter(connection, spec.subscriptionId).ensure(
    vault.resourceGroup,
    spec.location,
    spec.tags,
    call,
  );
  if (!rg.ok)
    throw new Error(`seed: create resource group ${vault.resourceGroup}: ${rg.error.code}: ${rg.error.message}`);
  const deployments = new DeploymentsAdapter(connection, spec.subscriptionId);
  const ref = { scope: "resourceGroup" as const, resourceGroup: vault.resourceGroup, name: SEED_DEPLOYMENT };
  const started = await deployments.start(
    { ...ref, template: seedTemplate(spec, options.extraInstances ?? 0), parameters: {} },
    call,
  );
  if (!started.ok) throw new Error(`seed: start deployment: ${started.error.code}: ${started.error.message}`);
  for (;;) {
    const status = await deployments.status(ref, call);
    if (!status.ok) throw new Error(`seed: deployment status: ${status.error.code}: ${status.error.message}`);
    if (status.value.state === "succeeded") return vault;
    if (status.value.state !== "running")
      throw new Error(`seed: deployment ${status.value.state}: ${status.value.error?.message ?? ""}`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(2000, (status.value.retryAfterSeconds ?? 1) * 1000)));
  }
}
