/**
 * How long Azure takes to create things (azure-notes "Typical timings"): used by the plan's critical path and
 * by the sandbox ARM server to simulate deployment durations. Seconds of simulated (real Azure) time.
 */

/**
 * Default provisioning time per resource type (type names compared case-insensitively). A line without a comment
 * is azure-notes' "most other resources 1–3 min"; the others name their source or say they are estimates.
 */
export const DEFAULT_LATENCY_SECONDS: Readonly<Record<string, number>> = {
  "Microsoft.Resources/resourceGroups": 5, // estimate (a synchronous PUT)
  "Microsoft.ContainerService/managedClusters": 600, // azure-notes: AKS create 8–18 min
  "Microsoft.ContainerService/managedClusters/agentPools": 300, // estimate
  "Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings": 60, // estimate
  "Microsoft.ContainerService/managedClusters/maintenanceConfigurations": 30, // estimate
  "Microsoft.Network/bastionHosts": 600, // azure-notes: Bastion ~10 min
  "Microsoft.KubernetesConfiguration/extensions": 240, // azure-notes: extensions 3–6 min
  "Microsoft.KubernetesConfiguration/fluxConfigurations": 180, // estimate (not an extension operation)
  "Microsoft.Compute/virtualMachines": 180,
  "Microsoft.Network/virtualNetworks": 60,
  "Microsoft.Network/virtualNetworks/subnets": 30, // estimate
  "Microsoft.Network/virtualNetworks/virtualNetworkPeerings": 60,
  "Microsoft.Network/networkSecurityGroups": 60,
  "Microsoft.Network/publicIPAddresses": 60,
  "Microsoft.Network/networkInterfaces": 60,
  "Microsoft.Network/dnsZones": 60,
  "Microsoft.KeyVault/vaults": 120,
  "Microsoft.ContainerRegistry/registries": 120,
  "Microsoft.OperationalInsights/workspaces": 120,
  "Microsoft.Monitor/accounts": 120,
  "Microsoft.Insights/components": 60,
  "Microsoft.Insights/dataCollectionEndpoints": 60,
  "Microsoft.Insights/dataCollectionRules": 60,
  "Microsoft.Insights/dataCollectionRuleAssociations": 30, // estimate
  "Microsoft.DataProtection/backupVaults": 120,
  "Microsoft.DataProtection/backupVaults/backupPolicies": 30, // estimate
  "Microsoft.DataProtection/backupVaults/backupInstances": 120,
  "Microsoft.ManagedIdentity/userAssignedIdentities": 30, // estimate
  "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials": 30, // estimate
  "Microsoft.Authorization/roleAssignments": 30, // estimate
  "Microsoft.Storage/storageAccounts": 90,
  "Microsoft.Storage/storageAccounts/blobServices/containers": 10, // estimate
  "Microsoft.EventGrid/systemTopics": 60,
  "Microsoft.EventGrid/topics": 60,
};

/**
 * A Virtual Network Manager commit (not a template resource: posted after the deployment that writes the
 * configuration). learn.microsoft.com/azure/virtual-network-manager/concept-deployments said "about 15-20 minutes
 * depending on how large the configuration is" (preview); the current page says "a few minutes". An estimate: the
 * preview's lower figure (the commit runs beside the clusters, off the critical path).
 */
export const NETWORK_MANAGER_COMMIT_SECONDS = 15 * 60;

/** Anything not listed: "most other resources 1–3 min". */
export const FALLBACK_LATENCY_SECONDS = 120;

const lowerDefaults = new Map(Object.entries(DEFAULT_LATENCY_SECONDS).map(([t, s]) => [t.toLowerCase(), s]));

/** Provisioning time of one resource type; `overrides` (same keys, any case) win over the defaults. */
export function latencySecondsForType(type: string, overrides?: Readonly<Record<string, number>>): number {
  const lower = type.toLowerCase();
  if (overrides) {
    for (const [key, seconds] of Object.entries(overrides)) if (key.toLowerCase() === lower) return seconds;
  }
  return lowerDefaults.get(lower) ?? FALLBACK_LATENCY_SECONDS;
}

export interface LatencyResource {
  type: string;
  /** Resource id; needed only to resolve `dependsOn` between resources of the list. */
  id?: string;
  /** Ids of resources that must finish first; ids not in the list are ignored (already there). */
  dependsOn?: readonly string[];
  /** This resource's own duration, overriding its type's latency (e.g. a slowed-down resource). */
  seconds?: number;
}

/**
 * How long a deployment of these resources takes: ARM starts every resource as soon as its dependencies
 * finished, so the duration is the longest dependsOn chain (the critical path), not the sum.
 */
export function deploymentLatencySeconds(
  resources: readonly LatencyResource[],
  overrides?: Readonly<Record<string, number>>,
): number {
  const finish = resourceFinishTimes(resources, overrides);
  return finish.reduce((max, f) => Math.max(max, f.finish), 0);
}

/** Start and finish offset (seconds from the deployment start) of each resource, in input order. */
export function resourceFinishTimes(
  resources: readonly LatencyResource[],
  overrides?: Readonly<Record<string, number>>,
): { start: number; finish: number }[] {
  const byId = new Map<string, number>();
  resources.forEach((r, i) => {
    if (r.id !== undefined) byId.set(r.id.toLowerCase(), i);
  });
  const memo: ({ start: number; finish: number } | undefined)[] = new Array<undefined>(resources.length);
  const visiting = new Set<number>();
  const visit = (i: number): { start: number; finish: number } => {
    const known = memo[i];
    if (known) return known;
    const r = resources[i]!;
    if (visiting.has(i)) throw new Error(`dependsOn cycle through resource ${r.id ?? r.type}`);
    visiting.add(i);
    let start = 0;
    for (const dep of r.dependsOn ?? []) {
      const j = byId.get(dep.toLowerCase());
      if (j !== undefined && j !== i) start = Math.max(start, visit(j).finish);
    }
    visiting.delete(i);
    const result = { start, finish: start + (r.seconds ?? latencySecondsForType(r.type, overrides)) };
    memo[i] = result;
    return result;
  };
  return resources.map((_, i) => visit(i));
}
