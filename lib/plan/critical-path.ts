import { deploymentLatencySeconds, latencySecondsForType } from "./latency";
import { planDeployments } from "./plan";
import type { Plan, PlanDeployment } from "./plan";
import type { PhaseName } from "./types";

/**
 * The critical path of a build: the provisioning orchestration starts a deployment as soon as the deployments it
 * depends on have succeeded (phases group deployments, they are not barriers), so the build takes as long as the
 * longest dependsOn chain.
 */

export interface CriticalPathStep {
  deployment: string;
  phase: PhaseName;
  /** Offset from the build start. */
  startSeconds: number;
  seconds: number;
}

export interface CriticalPath {
  totalSeconds: number;
  /** The chain that determines the total, first deployment first. */
  steps: CriticalPathStep[];
}

/** Estimated duration of one deployment from its resources (slowest dependsOn chain of resource latencies). */
export function estimatedDeploymentSeconds(deployment: PlanDeployment): number {
  return deploymentLatencySeconds(deployment.resources);
}

export function criticalPath(
  plan: Plan,
  durationOf: (deployment: PlanDeployment) => number = estimatedDeploymentSeconds,
): CriticalPath {
  const deployments = planDeployments(plan);
  const byName = new Map(deployments.map((d) => [d.name, d]));
  const finish = new Map<string, { start: number; end: number; via?: string }>();
  // buildPlan has already refused cycles and unknown dependencies, so plain memoized recursion terminates.
  const visit = (d: PlanDeployment): number => {
    const known = finish.get(d.name);
    if (known) return known.end;
    let start = 0;
    let via: string | undefined;
    for (const dep of d.dependsOn) {
      const target = byName.get(dep);
      const end = target ? visit(target) : 0;
      if (end > start || via === undefined) {
        start = Math.max(start, end);
        via = target ? dep : via;
      }
    }
    const end = start + durationOf(d);
    finish.set(d.name, { start, end, ...(via === undefined ? {} : { via }) });
    return end;
  };
  let last: PlanDeployment | undefined;
  let total = 0;
  for (const d of deployments) {
    const end = visit(d);
    if (end > total || last === undefined) {
      total = end;
      last = d;
    }
  }
  const steps: CriticalPathStep[] = [];
  for (let d = last; d !== undefined;) {
    const f = finish.get(d.name)!;
    steps.unshift({ deployment: d.name, phase: d.phase, startSeconds: f.start, seconds: f.end - f.start });
    d = f.via === undefined ? undefined : byName.get(f.via);
  }
  return { totalSeconds: total, steps };
}

/** The seed's Phase 2, its add-on steps: what these templates create (its Phase 1 made the node pools). */
const SEED_ADD_ON_TEMPLATES: ReadonlySet<string> = new Set(["cluster-addons.json", "cluster-addons-common.json"]);

/**
 * The seed's schedule under the same model, the benchmark's baseline: all of its Phase 1 with full parallelism (every
 * other deployment as soon as its dependencies end, `durationOf` each: estimated, or measured by a build), then each
 * add-on resource one after another at its type's latency. A Phase 1 deployment the plan runs after add-ons (the
 * ingress pool) keeps the seed's place: after what those add-ons wait for.
 */
export function seedStrategySeconds(
  plan: Plan,
  durationOf: (deployment: PlanDeployment) => number = estimatedDeploymentSeconds,
): number {
  const deployments = planDeployments(plan);
  const byName = new Map(deployments.map((d) => [d.name, d]));
  const isAddOn = (d: PlanDeployment | undefined): boolean => d !== undefined && SEED_ADD_ON_TEMPLATES.has(d.template);
  const phaseOneDependencies = (names: readonly string[]): string[] =>
    names.flatMap((n) => (isAddOn(byName.get(n)) ? phaseOneDependencies(byName.get(n)!.dependsOn) : [n]));
  const phaseOne: Plan = {
    ...plan,
    phases: plan.phases.map((p) => ({
      ...p,
      deployments: p.deployments
        .filter((d) => !isAddOn(d))
        .map((d) => ({ ...d, dependsOn: [...new Set(phaseOneDependencies(d.dependsOn))] })),
    })),
  };
  const addOnSteps = deployments.filter(isAddOn).flatMap((d) => d.resources);
  return (
    criticalPath(phaseOne, durationOf).totalSeconds +
    addOnSteps.reduce((sum, r) => sum + latencySecondsForType(r.type), 0)
  );
}

/** One link of the irreducible chain of a cluster. */
export interface ChainStep {
  what: string;
  seconds: number;
}

/**
 * What no reordering of deployments can shorten, per cluster: its resource group, its VNet (with the NSGs the
 * subnets reference), its identities and the grants AKS checks at creation, the cluster with its node pools, then
 * its slowest single add-on. The slowest cluster's chain is the floor of any build of the plan under the same model.
 */
export function irreducibleChain(plan: Plan): { totalSeconds: number; cluster?: string; steps: ChainStep[] } {
  const deployments = planDeployments(plan);
  let best: { totalSeconds: number; cluster?: string; steps: ChainStep[] } = { totalSeconds: 0, steps: [] };
  const clusters = [...new Set(deployments.flatMap((d) => (d.cluster !== undefined ? [d.cluster] : [])))];
  for (const cluster of clusters) {
    const mine = deployments.filter((d) => d.cluster === cluster);
    const of = (template: string) => mine.filter((d) => d.template === template);
    const network = of("network.json").find((d) =>
      d.resources.some((r) => r.type === "Microsoft.Network/virtualNetworks"),
    );
    const aks = of("cluster.json");
    // The grants the cluster deployment waits for (AcrPull runs beside it, not before).
    const grants = of("cluster-grants.json").find((d) => aks.some((a) => a.dependsOn.includes(d.name)));
    const addOns = of("cluster-addons.json").flatMap((d) =>
      d.resources.filter((r) => r.type === "Microsoft.KubernetesConfiguration/extensions"),
    );
    const steps: ChainStep[] = [
      { what: `resource group of ${cluster}`, seconds: latencySecondsForType("Microsoft.Resources/resourceGroups") },
      {
        // Both need only resource groups: the slower of the two is on the chain.
        what: `VNet of ${cluster} (its identities beside it)`,
        seconds: Math.max(
          network ? estimatedDeploymentSeconds(network) : 0,
          ...of("cluster-identity.json").map(estimatedDeploymentSeconds),
        ),
      },
      { what: `creation grants of ${cluster}`, seconds: grants ? estimatedDeploymentSeconds(grants) : 0 },
      {
        // The cluster with its node pools, wherever the plan creates the pools (the ingress pool comes last).
        what: `cluster ${cluster} and its node pools`,
        seconds:
          Math.max(0, ...aks.map(estimatedDeploymentSeconds)) +
          Math.max(0, ...of("cluster-pool.json").map(estimatedDeploymentSeconds)),
      },
      {
        what: `slowest add-on of ${cluster}`,
        seconds: Math.max(0, ...addOns.map((r) => latencySecondsForType(r.type))),
      },
    ];
    const total = steps.reduce((sum, s) => sum + s.seconds, 0);
    if (total > best.totalSeconds) best = { totalSeconds: total, cluster, steps };
  }
  return best;
}
