import type { DeploymentProgress } from "./progress";
import { PHASES } from "./types";

/**
 * A build's deployments as a Mermaid Gantt chart: one section per phase, one bar per deployment, failed ones
 * marked `crit` (drawn red) and labelled with their error code.
 */
export function buildGantt(title: string, deployments: readonly DeploymentProgress[]): string {
  const lines = ["gantt", `  title ${label(title)}`, "  dateFormat YYYY-MM-DDTHH:mm:ss", "  axisFormat %H:%M"];
  for (const phase of PHASES) {
    const inPhase = deployments.filter((d) => d.phase === phase && d.startedAt !== undefined);
    if (inPhase.length === 0) continue;
    lines.push(`  section ${phase}`);
    for (const [i, d] of inPhase.entries()) {
      const tag = d.state === "failed" ? "crit" : d.state === "running" ? "active" : "done";
      const name = d.state === "failed" && d.error ? `${d.name} FAILED ${d.error.code}` : d.name;
      const end = d.endedAt ?? d.startedAt!;
      lines.push(`  ${label(name)} :${tag}, ${phase}${i}, ${mermaidTime(d.startedAt!)}, ${mermaidTime(end)}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** Seconds from the first start to the last end: the build's makespan. */
export function makespanSeconds(deployments: readonly DeploymentProgress[]): number {
  const starts = deployments.flatMap((d) => (d.startedAt ? [Date.parse(d.startedAt)] : []));
  const ends = deployments.flatMap((d) => (d.endedAt ? [Date.parse(d.endedAt)] : []));
  if (starts.length === 0 || ends.length === 0) return 0;
  return (Math.max(...ends) - Math.min(...starts)) / 1000;
}

function mermaidTime(iso: string): string {
  return new Date(iso).toISOString().slice(0, 19);
}

/** Mermaid Gantt labels end at ':' and '#' starts a comment: keep them out. */
function label(text: string): string {
  return text.replace(/[:#;]/g, " ");
}
