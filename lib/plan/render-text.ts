import { irreducibleChain, type CriticalPath } from "./critical-path";
import { planDeployments } from "./plan";
import type { Plan } from "./plan";
import type { TopologyReport } from "./topology";

/** A plan as a person reads it in a terminal: phases, deployments, resource counts, critical path. */

const minutes = (seconds: number): string => `${(seconds / 60).toFixed(1)} min`;
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

export function renderPlanText(plan: Plan, path: CriticalPath, topology?: TopologyReport): string {
  const deployments = planDeployments(plan);
  const resourceCount = deployments.reduce((n, d) => n + d.resources.length, 0);
  const lines: string[] = [
    `Plan for ${plan.environment} in ${plan.location} (subscription ${plan.subscriptionId})`,
    `${plural(plan.phases.length, "phase")}, ${plural(deployments.length, "deployment")}, ${plural(resourceCount, "resource")}`,
    "",
  ];
  plan.phases.forEach((phase, i) => {
    const after = phase.dependsOn.length === 0 ? "" : ` (after ${phase.dependsOn.join(", ")})`;
    lines.push(`Phase ${i + 1}: ${phase.name}${after}`);
    for (const d of phase.deployments) {
      const where = d.scope === "subscription" ? "subscription" : `rg ${d.resourceGroup ?? "?"}`;
      lines.push(`  ${d.name}  [${where}, ${d.template}, ${plural(d.resources.length, "resource")}]`);
      if (d.dependsOn.length > 0) lines.push(`      after: ${d.dependsOn.join(", ")}`);
    }
    lines.push("");
  });

  const counts = new Map<string, number>();
  for (const r of deployments.flatMap((d) => d.resources)) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  const width = Math.max(0, ...[...counts.keys()].map((t) => t.length));
  lines.push("Resources by type");
  for (const [type, n] of [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
    lines.push(`  ${type.padEnd(width)}  ${String(n).padStart(4)}`);
  }
  lines.push("");

  lines.push(`Critical path: about ${minutes(path.totalSeconds)} (typical Azure provisioning times)`);
  for (const step of path.steps) {
    lines.push(
      `  at ${minutes(step.startSeconds).padStart(8)}  ${step.deployment} (${step.phase}, takes ${minutes(step.seconds)})`,
    );
  }
  const floor = irreducibleChain(plan);
  if (floor.steps.length > 0) {
    lines.push(
      `Irreducible chain: about ${minutes(floor.totalSeconds)} (what no reordering can shorten${floor.cluster ? `, cluster ${floor.cluster}` : ""})`,
    );
    for (const step of floor.steps) lines.push(`  ${step.what} (${minutes(step.seconds)})`);
  }
  if (topology) {
    lines.push("", `Network topology: ${topology.reason}`);
    if (topology.warning) lines.push(`  warning: ${topology.warning}`);
  }
  return `${lines.join("\n")}\n`;
}
