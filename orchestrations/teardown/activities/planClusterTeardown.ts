import { z } from "zod";
import { ResourcesAdapter, TransientArmError, type RoleAssignmentInfo } from "../../../lib/azure";
import { Activities } from "../../../lib/function-names";
import {
  backupInstanceName,
  controlPlaneIdentityName,
  kubeletIdentityName,
  workloadIdentityName,
} from "../../../lib/plan/units";
import type { DeploymentUnit } from "../../../lib/plan/types";
import { teardownUnits } from "../../../lib/plan/teardown";
import { ROLES, WORKLOAD_IDENTITIES } from "../../../lib/plan/identities";
import type { PlatformSpec } from "../../../lib/spec";
import type { TeardownClusterInput } from "../../../lib/api/clusters";
import type { DeploymentRef } from "../../build/contracts";
import { computePlan } from "../../build/activities/computePlan";
import { adapterRef, armConnection, deploymentsFor, toErrorInfo } from "../../shared/arm";
import { readTemplate } from "../../shared/templates";
import { registerActivity } from "../../shared/boundary";
import { teardownClusterInputSchema, type StopBackupProtectionInput } from "../contracts";

/**
 * What tearing one cluster down means, read before anything is deleted: the deployment records to forget (so the
 * next build recreates the cluster), the principal ids of the cluster's identities (its deployments' outputs and
 * the identities themselves) and their role assignments on the shared scopes, the peerings to and from its VNet,
 * its backup instance (kept with its recovery points, protection stopped, unless the backups are to be deleted too)
 * and its resource group.
 *
 * The cluster's VNet stays (NET-1 puts it in the common group): its NSG and diagnostic settings come from the
 * shared deployments and its address range stays reserved, so deleting it would force those shared deployments to
 * be redone. Its private DNS zone link stays with it. The peerings go in both directions, so no peering is left
 * Disconnected; the next build's network deployment (forgotten here too) recreates them.
 */

/** One resource to delete; targets with the same `lock` are deleted one after another (ARM rejects overlapping writes). */
export interface TeardownTarget {
  what: string;
  id: string;
  apiVersion: string;
  lock?: string;
}

export interface ClusterTeardownPlan {
  environment: string;
  cluster: string;
  subscriptionId: string;
  /** Records to delete, in the shape forgetClusterDeployments takes. */
  deployments: DeploymentRef[];
  /** The backup instance to stop protecting, its recovery points kept (absent with `deleteBackups`: it is in `detach`). */
  keepBackup?: TeardownTarget & StopBackupProtectionInput;
  /** Deleted first: what points at the cluster from outside its group. */
  detach: TeardownTarget[];
  resourceGroup: TeardownTarget;
  kept: string[];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The api-version each resource type is deployed with, from the templates of the plan. */
export async function apiVersionsOf(units: readonly DeploymentUnit[]): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  for (const template of new Set(units.map((u) => u.template))) {
    const parsed = z
      .object({ resources: z.array(z.object({ type: z.string(), apiVersion: z.string() }).loose()) })
      .loose()
      .safeParse(await readTemplate(template));
    if (!parsed.success) throw new Error(`template ${template}: resources without type or apiVersion`);
    for (const r of parsed.data.resources) versions.set(r.type.toLowerCase(), r.apiVersion);
  }
  return versions;
}

/** The part of the plan that needs no ARM call: names and ids from the spec and its deployment units. */
export function teardownTargets(
  spec: PlatformSpec,
  clusterName: string,
  units: readonly DeploymentUnit[],
  apiVersions: ReadonlyMap<string, string>,
): Omit<ClusterTeardownPlan, "detach"> & {
  peerings: TeardownTarget[];
  backupInstance: TeardownTarget & StopBackupProtectionInput;
  identityHolders: { id: string; apiVersion: string }[];
} {
  const cluster = spec.clusters.find((c) => c.name === clusterName);
  if (!cluster) throw new Error(`teardown: environment ${spec.name} has no cluster ${clusterName}`);
  if (cluster.resourceGroup.toLowerCase() === spec.commonResourceGroup.toLowerCase())
    throw new Error(
      `teardown: cluster ${clusterName} is in the common group ${spec.commonResourceGroup}, which is never deleted`,
    );
  const version = (type: string) => {
    const v = apiVersions.get(type.toLowerCase());
    if (!v) throw new Error(`teardown: no template deploys ${type}, so its api-version is unknown`);
    return v;
  };
  const sub = `/subscriptions/${spec.subscriptionId}`;
  const common = `${sub}/resourceGroups/${spec.commonResourceGroup}`;
  const vnetId = (name: string) => `${common}/providers/Microsoft.Network/virtualNetworks/${name}`;
  const vnet = cluster.network.vnetName;

  const { forget, peeringUnits } = teardownUnits(spec, clusterName, units);
  const peeringType = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings";

  const group = `${sub}/resourceGroups/${cluster.resourceGroup}`;
  const clusterId = `${group}/providers/Microsoft.ContainerService/managedClusters/${cluster.aksName}`;
  const identityType = "Microsoft.ManagedIdentity/userAssignedIdentities";
  const identityNames = [
    controlPlaneIdentityName(cluster),
    kubeletIdentityName(cluster),
    ...WORKLOAD_IDENTITIES.filter((w) => w.appliesTo(cluster)).map((w) => workloadIdentityName(cluster, w.suffix)),
  ];
  const extensionType = "Microsoft.KubernetesConfiguration/extensions";
  return {
    environment: spec.name,
    cluster: clusterName,
    subscriptionId: spec.subscriptionId,
    deployments: forget.map((u) => ({
      name: u.name,
      scope: u.scope,
      subscriptionId: spec.subscriptionId,
      location: spec.location,
      ...(u.resourceGroup !== undefined ? { resourceGroup: u.resourceGroup } : {}),
    })),
    peerings: peeringUnits
      .flatMap((p) => p.peerings)
      .map((p) => ({
        what: `peering ${p.name} of ${p.virtualNetwork}`,
        id: `${vnetId(p.virtualNetwork)}/virtualNetworkPeerings/${p.name}`,
        apiVersion: version(peeringType),
        lock: vnetId(p.virtualNetwork).toLowerCase(),
      })),
    // Always looked for: a spec that turned backup off after a build still has its instance handled.
    backupInstance: {
      what: `backup instance ${backupInstanceName(cluster)}`,
      id: `${common}/providers/Microsoft.DataProtection/backupVaults/${spec.shared.backupVault.name}/backupInstances/${backupInstanceName(cluster)}`,
      apiVersion: version("Microsoft.DataProtection/backupVaults/backupInstances"),
      subscriptionId: spec.subscriptionId,
      vault: { resourceGroup: spec.commonResourceGroup, vault: spec.shared.backupVault.name },
      backupInstance: backupInstanceName(cluster),
    },
    resourceGroup: {
      what: `resource group ${cluster.resourceGroup}`,
      id: `${sub}/resourceGroups/${cluster.resourceGroup}`,
      apiVersion: version("Microsoft.Resources/resourceGroups"),
    },
    identityHolders: [
      ...identityNames.map((name) => ({
        id: `${group}/providers/${identityType}/${name}`,
        apiVersion: version(identityType),
      })),
      { id: clusterId, apiVersion: version("Microsoft.ContainerService/managedClusters") },
      // The extension's name as cluster-addons.json deploys it; its identity holds the backup grants.
      ...(cluster.addons.backup
        ? [{ id: `${clusterId}/providers/${extensionType}/azure-aks-backup`, apiVersion: version(extensionType) }]
        : []),
    ],
    kept: [
      `virtual network ${vnet} (common group, NET-1): its NSG, diagnostic settings and private DNS zone link stay; the next build re-peers it`,
      `resource group ${spec.commonResourceGroup} and everything shared in it`,
    ],
  };
}

/**
 * Principal ids in deployment outputs (`controlPlanePrincipalId`, `kubeletObjectId`, …) or in a resource as ARM
 * returns it (`principalId`, `objectId` at any depth: identities, kubelet and add-on identities, extensions).
 */
export function principalIdsIn(value: unknown, name = ""): string[] {
  if (typeof value === "string")
    return /(principalId|objectId)$/i.test(name) && GUID.test(value) ? [value.toLowerCase()] : [];
  if (value !== null && typeof value === "object")
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => principalIdsIn(v, k));
  return [];
}

const roleNames = new Map<string, string>(Object.entries(ROLES).map(([name, id]) => [id, name]));

function describeAssignment(a: RoleAssignmentInfo): string {
  const roleId = a.roleDefinitionId.split("/").pop() ?? "";
  const scopeName = a.scope.split("/").pop() ?? a.scope;
  return `role assignment ${roleNames.get(roleId) ?? roleId} of ${a.principalId} on ${scopeName}`;
}

export type PlanClusterTeardownResult =
  | { kind: "plan"; plan: ClusterTeardownPlan }
  /** A failure retrying will not fix (refused, not found, a malformed answer): the teardown stops before deleting. */
  | { kind: "refused"; reason: string };

/** Transient ARM trouble is thrown (Durable retries it); anything else comes back as `refused`. */
export async function planClusterTeardown(
  input: TeardownClusterInput,
  signal: AbortSignal,
): Promise<PlanClusterTeardownResult> {
  try {
    return { kind: "plan", plan: await readClusterTeardown(input, signal) };
  } catch (err) {
    if (err instanceof TransientArmError || (err instanceof Error && err.name === "AbortError")) throw err;
    return { kind: "refused", reason: err instanceof Error ? err.message : String(err) };
  }
}

async function readClusterTeardown(input: TeardownClusterInput, signal: AbortSignal): Promise<ClusterTeardownPlan> {
  const { spec, cluster } = input;
  const { units } = computePlan({ spec });
  const versions = await apiVersionsOf(units);
  const { peerings, backupInstance, identityHolders, ...plan } = teardownTargets(spec, cluster, units, versions);
  const resources = new ResourcesAdapter(armConnection());
  const fail = (what: string, e: { code: string; message: string }) =>
    new Error(`teardown of ${cluster}: ${what} failed: ${e.code}: ${e.message}`);

  // The cluster's principals from its deployments' outputs and from the identities themselves: a teardown run
  // again after a failed one finds them although the first run already forgot the deployments.
  const deployments = deploymentsFor(spec.subscriptionId);
  const principals = new Set<string>();
  for (const holder of identityHolders) {
    const found = await resources.get(holder.id, holder.apiVersion, { abortSignal: signal });
    if (!found.ok) throw fail(`reading ${holder.id}`, found.error);
    for (const id of principalIdsIn(found.value)) principals.add(id);
  }
  for (const unit of units.filter((u) => u.cluster === cluster)) {
    const status = await deployments.status(adapterRef(unit), { abortSignal: signal });
    if (!status.ok) {
      // A deployment that never ran (or was forgotten by an earlier teardown) has no identities to clean up.
      if (status.error.kind === "notFound") continue;
      throw fail(`reading deployment ${unit.name}`, toErrorInfo(status.error));
    }
    for (const id of principalIdsIn(status.value.outputs)) principals.add(id);
  }

  // Every grant of the cluster's identities outside its own group is on a resource in the common group (ACR,
  // VNet, private DNS zone, DNS zone, Key Vault, backup storage and vault); ARM lists those below the group too.
  const scope = `/subscriptions/${spec.subscriptionId}/resourceGroups/${spec.commonResourceGroup}`;
  const assignments = new Map<string, RoleAssignmentInfo>();
  for (const principal of [...principals].sort()) {
    const listed = await resources.listRoleAssignments(scope, principal, { abortSignal: signal });
    if (!listed.ok) throw fail(`listing role assignments of ${principal}`, listed.error);
    for (const a of listed.value) assignments.set(a.id.toLowerCase(), a);
  }
  const roleAssignmentVersion = versions.get("microsoft.authorization/roleassignments");
  if (!roleAssignmentVersion) throw new Error("teardown: no template deploys role assignments");
  const instanceName = backupInstance.backupInstance;
  return {
    ...plan,
    ...(input.deleteBackups
      ? {}
      : {
          keepBackup: {
            ...backupInstance,
            what: `protection of backup instance ${instanceName} (its recovery points are kept)`,
          },
        }),
    detach: [
      ...(input.deleteBackups
        ? [
            {
              what: `backup instance ${instanceName} and all its recovery points`,
              id: backupInstance.id,
              apiVersion: backupInstance.apiVersion,
            },
          ]
        : []),
      ...[...assignments.values()].map((a) => ({
        what: describeAssignment(a),
        id: a.id,
        apiVersion: roleAssignmentVersion,
      })),
      ...peerings,
    ],
  };
}

registerActivity(Activities.planClusterTeardown, teardownClusterInputSchema, planClusterTeardown);
