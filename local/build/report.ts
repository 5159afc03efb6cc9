import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  buildPlan,
  criticalPath,
  renderArchitectureMermaid,
  renderPhasesMermaid,
  renderPlanJson,
} from "../../lib/plan";
import { buildGantt, makespanSeconds } from "../../lib/plan/timeline";
import type { PlatformSpec } from "../../lib/spec";
import type { BuildOutcome } from "./runner";

/** What a finished build leaves behind for people: the plan, the run as a Gantt chart, the architecture, a summary. */
export async function writeBuildReport(
  dir: string,
  spec: PlatformSpec,
  outcome: BuildOutcome,
  extra: Record<string, unknown> = {},
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const deployments = outcome.status?.deployments ?? [];
  // The run's own record is written even when the plan cannot be drawn (e.g. a template changed since).
  let planFiles: Record<string, string> = {};
  let criticalPathSeconds: number | undefined;
  let planError: string | undefined;
  try {
    const plan = buildPlan(spec);
    const critical = criticalPath(plan);
    criticalPathSeconds = critical.totalSeconds;
    planFiles = {
      "plan.json": renderPlanJson(plan, critical),
      "architecture.mmd": renderArchitectureMermaid(plan, spec),
      "phases.mmd": renderPhasesMermaid(plan, critical),
    };
  } catch (err) {
    planError = err instanceof Error ? err.message : String(err);
  }
  const files: Record<string, string> = {
    ...planFiles,
    "timeline.mmd": buildGantt(`Build of ${spec.name} (${outcome.runtimeStatus})`, deployments),
    "summary.json": `${JSON.stringify(
      {
        environment: spec.name,
        instanceId: outcome.instanceId,
        runtimeStatus: outcome.runtimeStatus,
        resumed: outcome.resumed,
        makespanSeconds: makespanSeconds(deployments),
        ...(criticalPathSeconds !== undefined ? { criticalPathSeconds } : {}),
        ...(planError !== undefined ? { planError } : {}),
        deployments,
        ...(outcome.failure !== undefined ? { failure: outcome.failure } : {}),
        ...extra,
      },
      null,
      2,
    )}\n`,
  };
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
  return Object.keys(files).map((name) => path.join(dir, name));
}
