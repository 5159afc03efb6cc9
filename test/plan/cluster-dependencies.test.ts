import { describe, expect, it } from "vitest";
import { buildPlan, planDeployments, type Plan, type PlanDeployment } from "../../lib/plan";
import { resourceFinishTimes } from "../../lib/plan/latency";
import { defaultSpec, fleetSpec, type PlatformSpec } from "../../lib/spec";
import { lockKeyFor } from "../../local/sandbox/deployments";

/** Every resource id a value mentions (strings anywhere, object keys included: userAssignedIdentities). */
function referencedIds(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === "string") {
    for (const m of value.match(/\/subscriptions\/[^\s"]+?\/providers\/[^\s"]+/gi) ?? []) into.add(m.toLowerCase());
  } else if (Array.isArray(value)) value.forEach((v) => referencedIds(v, into));
  else if (value !== null && typeof value === "object")
    for (const [k, v] of Object.entries(value)) {
      referencedIds(k, into);
      referencedIds(v, into);
    }
  return into;
}

/** The deployment whose resource is the most specific creator of `id` (a subnet is created with its VNet). */
function creatorOf(deployments: readonly PlanDeployment[], id: string): string | undefined {
  let best: { name: string; length: number } | undefined;
  for (const d of deployments)
    for (const r of d.resources) {
      const rid = r.id.toLowerCase();
      if ((id === rid || id.startsWith(`${rid}/`)) && rid.length > (best?.length ?? 0))
        best = { name: d.name, length: rid.length };
    }
  return best?.name;
}

/**
 * What a cluster deployment needs at creation, derived from the expanded cluster.json: the deployments creating
 * what its managedClusters resource references (subnet, identities, private DNS zone, Log Analytics workspace),
 * the grants AKS checks on those (role assignments scoped to them), the Monitor workspace its data collection rules
 * name, and the subscription's Defender plan when its security profile enables Defender.
 */
function derivedNeeds(plan: Plan, aks: PlanDeployment): Set<string> {
  const deployments = planDeployments(plan);
  const cluster = aks.resources.find((r) => r.type === "Microsoft.ContainerService/managedClusters")!;
  const ids = referencedIds([cluster.identity, cluster.properties]);
  for (const r of aks.resources.filter((r) => r.type === "Microsoft.Insights/dataCollectionRules"))
    referencedIds(r.properties, ids);
  const needs = new Set<string>();
  for (const id of ids) {
    const creator = creatorOf(deployments, id);
    if (creator !== undefined && creator !== aks.name) needs.add(creator);
  }
  const referencedVnets = [...ids].map((id) => id.replace(/\/subnets\/.*$/, ""));
  for (const d of deployments.filter((d) => d.template === "cluster-grants.json" && d.cluster === aks.cluster)) {
    const scopes = d.resources.map((r) => String(r.scope ?? "").toLowerCase());
    if (scopes.some((s) => referencedVnets.includes(s) || ids.has(s))) needs.add(d.name);
  }
  const defender = (cluster.properties as { securityProfile?: { defender?: unknown } }).securityProfile?.defender;
  const plans = deployments.find((d) => d.resources.some((r) => r.type === "Microsoft.Security/pricings"));
  if (defender !== undefined && plans) needs.add(plans.name);
  return needs;
}

const hubAndSpoke: PlatformSpec = { ...fleetSpec(6), network: { topology: "hubAndSpoke" } };
const splits: [string, PlatformSpec][] = [
  ["the seed (3 clusters, full mesh)", defaultSpec],
  ["12 clusters, full mesh", fleetSpec(12)],
  ["6 clusters, hub and spoke", hubAndSpoke],
];

describe("a cluster starts as soon as exactly what it reads at creation exists", () => {
  it.each(splits)("%s: each cluster deployment depends on exactly the derived set", (_, spec) => {
    const plan = buildPlan(spec);
    const clusters = planDeployments(plan).filter((d) => d.template === "cluster.json");
    expect(clusters).toHaveLength(spec.clusters.length);
    for (const aks of clusters) {
      const needs = derivedNeeds(plan, aks);
      // Sanity: the four things of the issue are among them (subnet, identity, zone, workspace).
      expect([...needs].map((n) => n.replace(`${spec.name}-`, "").replace(`-${aks.cluster}`, "")).sort()).toEqual(
        ["defender", "dns", "grants", "identity", "monitoring", "network"].sort(),
      );
      expect(new Set(aks.dependsOn), aks.name).toEqual(needs);
    }
  });
});

/**
 * The sandbox's serialization rule (lockKeyFor: one write at a time per cluster, identity and VNet; one extension
 * operation at a time per cluster; Flux configurations apart) applied to the schedule the build follows: every
 * deployment as soon as its dependencies end, every resource as soon as its dependsOn end, at modelled latencies.
 */
function overlaps(plan: Plan): string[] {
  const deployments = planDeployments(plan);
  const byName = new Map(deployments.map((d) => [d.name, d]));
  const end = new Map<string, number>();
  const windows: { lock: string; what: string; start: number; finish: number }[] = [];
  const schedule = (d: PlanDeployment): number => {
    const known = end.get(d.name);
    if (known !== undefined) return known;
    const start = Math.max(0, ...d.dependsOn.map((n) => schedule(byName.get(n)!)));
    const times = resourceFinishTimes(d.resources);
    d.resources.forEach((r, i) => {
      const lock = lockKeyFor(r.id);
      if (lock !== undefined)
        windows.push({
          lock,
          what: `${d.name}: ${r.id}`,
          start: start + times[i]!.start,
          finish: start + times[i]!.finish,
        });
    });
    const finish = start + Math.max(0, ...times.map((t) => t.finish));
    end.set(d.name, finish);
    return finish;
  };
  deployments.forEach(schedule);
  const problems: string[] = [];
  for (const [i, a] of windows.entries())
    for (const b of windows.slice(i + 1))
      if (a.lock === b.lock && a.start < b.finish && b.start < a.finish) problems.push(`${a.what} overlaps ${b.what}`);
  return problems;
}

describe("no two operations Azure serializes overlap", () => {
  it.each(splits)("%s", (_, spec) => {
    expect(overlaps(buildPlan(spec))).toEqual([]);
  });

  it("would be caught: the Flux and backup extensions of one cluster side by side overlap", () => {
    const plan = buildPlan(defaultSpec);
    const addons = planDeployments(plan).find((d) => d.template === "cluster-addons.json")!;
    const backup = addons.resources.find((r) => r.name === "azure-aks-backup")!;
    backup.dependsOn = [];
    expect(overlaps(plan).join("\n")).toMatch(
      /extensions\/flux overlaps .*azure-aks-backup|azure-aks-backup overlaps .*extensions\/flux/i,
    );
  });

  it("would be caught: an ingress pool started with its cluster's add-ons overlaps their extension operations", () => {
    const plan = buildPlan(defaultSpec);
    const pool = planDeployments(plan).find((d) => d.template === "cluster-pool.json")!;
    pool.dependsOn = [`${defaultSpec.name}-aks-${pool.cluster}`];
    expect(overlaps(plan).join("\n")).toMatch(
      /agentPools\/ingress overlaps .*extensions\/flux|extensions\/flux overlaps .*agentPools\/ingress/i,
    );
  });
});
