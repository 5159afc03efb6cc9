import type { ClusterSpec, PlatformSpec } from "../spec";
import { UNSET_SUBSCRIPTION_ID } from "../spec";

/** An ARM resource id split into its parts; names keep their case, comparisons are done case-insensitively. */
export interface ParsedResourceId {
  subscriptionId: string;
  resourceGroup?: string;
  /** Resource provider namespace, e.g. `Microsoft.Compute`. */
  provider?: string;
  /** Type/name pairs below the provider: `[{type: "virtualMachineScaleSets", name: "aks-…-vmss"}, …]`. */
  segments: { type: string; name: string }[];
}

/** Parses `/subscriptions/{s}[/resourceGroups/{rg}][/providers/{ns}/{type}/{name}…]`; undefined when it is not one. */
export function parseResourceId(id: string): ParsedResourceId | undefined {
  const parts = id
    .trim()
    .split("/")
    .filter((p) => p.length > 0);
  if (parts.length < 2 || parts[0]?.toLowerCase() !== "subscriptions") return undefined;
  const result: ParsedResourceId = { subscriptionId: parts[1] ?? "", segments: [] };
  let i = 2;
  if (parts[i]?.toLowerCase() === "resourcegroups") {
    const rg = parts[i + 1];
    if (rg === undefined) return undefined;
    result.resourceGroup = rg;
    i += 2;
  }
  if (i < parts.length) {
    if (parts[i]?.toLowerCase() !== "providers" || parts[i + 1] === undefined) return undefined;
    result.provider = parts[i + 1];
    i += 2;
    // Stop at a nested `/providers/…` (extension resources such as Microsoft.ResourceHealth annotations).
    while (i + 1 < parts.length && parts[i]?.toLowerCase() !== "providers") {
      result.segments.push({ type: parts[i] ?? "", name: parts[i + 1] ?? "" });
      i += 2;
    }
  }
  return result;
}

/**
 * The base resource of an extension resource id: `…/virtualMachines/vm1/providers/Microsoft.ResourceHealth/
 * resourceAnnotations/x` → `…/virtualMachines/vm1` (older Health Resources samples put the annotation id in `subject`).
 */
export function baseResourceId(id: string): string {
  const match = /^(.*?\/providers\/[^/]+\/.+?)\/providers\//i.exec(id.trim());
  return match?.[1] ?? id.trim();
}

/** Where an Azure VM (or scale set) of the platform sits. */
export interface NodeLocation {
  cluster: string;
  /** AKS node pool (VMSS pools) or Karpenter NodePool (NAP VMs); undefined when the name does not tell. */
  pool?: string;
  /** The VM name, or `<vmss>_<instance>` for a scale-set instance (the name Azure shows for it). */
  vmName: string;
  nodeKind: "vmss-instance" | "vmss" | "vm";
}

const VMSS_NAME = /^aks-([a-z0-9]+)-[a-z0-9]+-vmss$/i;
const NAP_VM_NAME = /^aks-(.+)-[a-z0-9]+$/i;

/** Maps resource ids to clusters of one spec through node resource groups and managed cluster ids. */
export class ClusterResolver {
  private readonly byNodeGroup = new Map<string, ClusterSpec>();
  private readonly byClusterId = new Map<string, ClusterSpec>();
  private readonly subscription: string | undefined;

  constructor(readonly spec: PlatformSpec) {
    for (const cluster of spec.clusters) {
      this.byNodeGroup.set(cluster.nodeResourceGroup.toLowerCase(), cluster);
      this.byClusterId.set(`${cluster.resourceGroup}/${cluster.aksName}`.toLowerCase(), cluster);
    }
    // A sandbox spec has no subscription: match on resource groups alone.
    this.subscription = spec.subscriptionId === UNSET_SUBSCRIPTION_ID ? undefined : spec.subscriptionId.toLowerCase();
  }

  private inSubscription(id: ParsedResourceId): boolean {
    return this.subscription === undefined || id.subscriptionId.toLowerCase() === this.subscription;
  }

  /** A VM, a VMSS, or a VMSS instance in one of the spec's node resource groups; undefined otherwise. */
  locateNode(resourceId: string): NodeLocation | undefined {
    const id = parseResourceId(baseResourceId(resourceId));
    if (!id?.resourceGroup || !this.inSubscription(id) || id.provider?.toLowerCase() !== "microsoft.compute")
      return undefined;
    const cluster = this.byNodeGroup.get(id.resourceGroup.toLowerCase());
    const [first, second] = id.segments;
    if (!cluster || !first) return undefined;
    const firstType = first.type.toLowerCase();
    if (firstType === "virtualmachinescalesets") {
      const pool = VMSS_NAME.exec(first.name)?.[1];
      const isInstance = second?.type.toLowerCase() === "virtualmachines";
      return {
        cluster: cluster.name,
        ...(pool !== undefined ? { pool } : {}),
        vmName: isInstance ? `${first.name}_${second.name}` : first.name,
        nodeKind: isInstance ? "vmss-instance" : "vmss",
      };
    }
    if (firstType === "virtualmachines" && id.segments.length === 1) {
      const pool = NAP_VM_NAME.exec(first.name)?.[1];
      return { cluster: cluster.name, ...(pool !== undefined ? { pool } : {}), vmName: first.name, nodeKind: "vm" };
    }
    return undefined;
  }

  /** The cluster whose managed cluster id this is (`…/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{aks}`). */
  clusterByManagedClusterId(resourceId: string): ClusterSpec | undefined {
    const id = parseResourceId(resourceId);
    const first = id?.segments[0];
    if (!id?.resourceGroup || !first || !this.inSubscription(id)) return undefined;
    if (id.provider?.toLowerCase() !== "microsoft.containerservice" || first.type.toLowerCase() !== "managedclusters")
      return undefined;
    return this.byClusterId.get(`${id.resourceGroup}/${first.name}`.toLowerCase());
  }

  clusterByAksName(aksName: string): ClusterSpec | undefined {
    const lower = aksName.trim().toLowerCase();
    return this.spec.clusters.find((c) => c.aksName.toLowerCase() === lower);
  }

  /**
   * The cluster mentioned in free-form identifiers (backup instance names, datasource ids): a managed cluster id, or
   * else the longest AKS name contained in the text (longest, so `aks-x-app1` does not claim `aks-x-app10`).
   */
  clusterMentionedIn(texts: readonly string[]): ClusterSpec | undefined {
    for (const text of texts) {
      const direct = this.clusterByManagedClusterId(text);
      if (direct) return direct;
    }
    const lowered = texts.map((t) => t.toLowerCase());
    let best: ClusterSpec | undefined;
    for (const cluster of this.spec.clusters) {
      const name = cluster.aksName.toLowerCase();
      if (lowered.some((t) => t.includes(name)) && (!best || name.length > best.aksName.length)) best = cluster;
    }
    return best;
  }
}
