import { deploymentLatencySeconds } from "./latency";
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
