import type { PlatformSpec } from "../spec";
import type { CriticalPath } from "./critical-path";
import { planDeployments } from "./plan";
import type { Plan, PlanResource } from "./plan";

/**
 * Mermaid diagrams of a plan. The architecture is drawn from the expanded resources (what the templates really
 * create, connected by the resource ids their properties reference), plus the Spot NodePool of each cluster, which
 * GitOps creates and therefore only the spec knows.
 */

/** Resource types drawn as boxes, with the label prefix each gets. */
const DRAWN: Record<string, string> = {
  "microsoft.network/virtualnetworks": "VNet",
  "microsoft.containerservice/managedclusters": "AKS",
  "microsoft.network/bastionhosts": "Bastion",
  "microsoft.compute/virtualmachines": "Jump VM",
  "microsoft.keyvault/vaults": "Key Vault",
  "microsoft.containerregistry/registries": "Container registry",
  "microsoft.operationalinsights/workspaces": "Log Analytics",
  "microsoft.monitor/accounts": "Monitor workspace",
  "microsoft.insights/components": "App Insights",
  "microsoft.dataprotection/backupvaults": "Backup vault",
  "microsoft.network/dnszones": "DNS zone",
};

/** Text inside a quoted Mermaid label: quotes and angle brackets would end or break it. */
function label(text: string): string {
  return text.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");
}

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value !== null && typeof value === "object" && !("$deferred" in value))
    for (const v of Object.values(value)) strings(v, out);
  return out;
}

const get = (value: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>(
    (v, k) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined),
    value,
  );

function poolLabel(pool: unknown): string {
  const name = get(pool, "name");
  const size = get(pool, "vmSize");
  const count = get(pool, "count");
  return `${typeof name === "string" ? name : "pool"}: ${typeof size === "string" ? size : "?"} × ${typeof count === "number" ? count : "?"}`;
}

export function renderArchitectureMermaid(plan: Plan, spec: PlatformSpec): string {
  const deployments = planDeployments(plan);
  const all = deployments.flatMap((d) =>
    d.resources.map((r) => ({ ...r, resourceGroup: r.resourceGroup ?? d.resourceGroup })),
  );
  const byId = new Map(all.map((r) => [r.id.toLowerCase(), r]));
  const drawn = all.filter((r) => DRAWN[r.type.toLowerCase()] !== undefined);
  const nodeId = new Map(drawn.map((r, i) => [r.id.toLowerCase(), `n${i}`]));

  const lines = ["flowchart LR"];
  const groups = new Map<string, typeof drawn>();
  for (const r of drawn) {
    const rg = r.resourceGroup ?? "(subscription)";
    groups.set(rg, [...(groups.get(rg) ?? []), r]);
  }
  [...groups].forEach(([rg, resources], g) => {
    lines.push(`  subgraph g${g}["${label(`Resource group ${rg}`)}"]`);
    for (const r of resources)
      lines.push(`    ${nodeId.get(r.id.toLowerCase())}["${label(describe(r, all, spec)).replace(/\n/g, "<br/>")}"]`);
    lines.push("  end");
  });

  // A drawn resource an id points at: the resource itself, its parent (a subnet → its VNet), or one hop through
  // an undrawn resource (a VM → its NIC → the subnet).
  const targets = (id: string, hops: number): string[] => {
    const lower = id.toLowerCase();
    for (const [drawnId, node] of nodeId) if (lower === drawnId || lower.startsWith(`${drawnId}/`)) return [node];
    const via = byId.get(lower);
    return via && hops > 0
      ? strings(via.properties).flatMap((s) => (s.startsWith("/subscriptions/") ? targets(s, hops - 1) : []))
      : [];
  };
  const edges = new Set<string>();
  const peerings = new Set<string>();
  for (const r of all) {
    const type = r.type.toLowerCase();
    if (type === "microsoft.network/virtualnetworks/virtualnetworkpeerings") {
      const local = targets(r.id.slice(0, r.id.toLowerCase().indexOf("/virtualnetworkpeerings/")), 0)[0];
      const remoteId = get(r.properties, "remoteVirtualNetwork", "id");
      const remote = typeof remoteId === "string" ? targets(remoteId, 0)[0] : undefined;
      if (local && remote && local !== remote) peerings.add([local, remote].sort().join(" <-->|peering| "));
      continue;
    }
    const from = nodeId.get(r.id.toLowerCase());
    if (!from) continue;
    for (const s of strings(r.properties)) {
      if (!s.startsWith("/subscriptions/")) continue;
      for (const to of targets(s, 1)) if (to !== from) edges.add(`${from} --> ${to}`);
    }
  }
  for (const e of [...peerings, ...edges]) lines.push(`  ${e}`);
  return `${lines.join("\n")}\n`;
}

function describe(r: PlanResource, all: readonly PlanResource[], spec: PlatformSpec): string {
  const kind = DRAWN[r.type.toLowerCase()] ?? r.type;
  const lines = [`${kind} ${r.name}`];
  const type = r.type.toLowerCase();
  if (type === "microsoft.network/virtualnetworks") {
    const prefixes = get(r.properties, "addressSpace", "addressPrefixes");
    if (Array.isArray(prefixes)) lines.push(prefixes.filter((p) => typeof p === "string").join(", "));
  }
  if (type === "microsoft.containerservice/managedclusters") {
    const inline = get(r.properties, "agentPoolProfiles");
    const pools = Array.isArray(inline) ? inline.map(poolLabel) : [];
    const prefix = `${r.id.toLowerCase()}/agentpools/`;
    for (const child of all) {
      if (child.id.toLowerCase().startsWith(prefix))
        pools.push(poolLabel({ ...(child.properties as object), name: child.name.split("/").pop() }));
    }
    const cluster = spec.clusters.find((c) => c.aksName.toLowerCase() === r.name.toLowerCase());
    if (cluster) {
      const spot = cluster.pools.spot;
      pools.push(
        `spot NodePool: ${spot.skuFamilies.join("/")} family, zones ${spot.zones.join("/")}, ≤ ${spot.cpuLimit} vCPU`,
      );
    }
    lines.push(...pools);
  }
  if (type === "microsoft.compute/virtualmachines") {
    const size = get(r.properties, "hardwareProfile", "vmSize");
    if (typeof size === "string") lines.push(size);
  }
  return lines.join("\n");
}

/** The phase/deployment graph: phases as subgraphs, an arrow per dependency, the critical path highlighted. */
export function renderPhasesMermaid(plan: Plan, path?: CriticalPath): string {
  const deployments = planDeployments(plan);
  const nodeId = new Map(deployments.map((d, i) => [d.name, `d${i}`]));
  const critical = new Set(path?.steps.map((s) => s.deployment));
  const lines = ["flowchart TB"];
  plan.phases.forEach((phase, p) => {
    lines.push(`  subgraph p${p}["${label(`${p + 1}. ${phase.name}`)}"]`);
    for (const d of phase.deployments) lines.push(`    ${nodeId.get(d.name)}["${label(d.name)}"]`);
    lines.push("  end");
  });
  for (const d of deployments) {
    for (const dep of d.dependsOn) {
      const from = nodeId.get(dep);
      if (from) lines.push(`  ${from} --> ${nodeId.get(d.name)}`);
    }
  }
  if (critical.size > 0) {
    lines.push("  classDef critical stroke:#d33,stroke-width:3px");
    lines.push(
      `  class ${deployments
        .filter((d) => critical.has(d.name))
        .map((d) => nodeId.get(d.name))
        .join(",")} critical`,
    );
  }
  return `${lines.join("\n")}\n`;
}
