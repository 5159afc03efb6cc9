import type { CriticalPath } from "./critical-path";
import type { Plan } from "./plan";

/** The plan as one JSON document; the critical path rides along as an extra top-level key. */
export function renderPlanJson(plan: Plan, path: CriticalPath): string {
  return `${JSON.stringify({ ...plan, criticalPath: path }, null, 2)}\n`;
}
