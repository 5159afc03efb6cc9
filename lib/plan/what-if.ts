import { describeValue, meaningfulChanges, typeAndName, type WhatIfResourceChange } from "../drift/report";
import type { DeploymentProgress } from "./progress";

/**
 * `plan` against a target, Terraform-like: what ARM what-if says each resource of each deployment unit would do
 * (`+` create, `~` modify, `-` delete, `=` unchanged), with the property paths that change (before → after). The
 * noise (what-if's false positives, read-only and server-managed paths) is dropped by the same filter drift uses.
 * Pure: the what-if activity gives it what ARM answered; the CLI renders it.
 */

export type ResourceAction = "create" | "modify" | "delete" | "unchanged";

export interface PlannedPropertyChange {
  /** `properties.securityRules[3]`: the what-if path, array elements as `[index]`. */
  path: string;
  /** `create`: only the template has it; `delete`: only the resource has it now; `modify`: both differ. */
  action: "create" | "modify" | "delete";
  before?: unknown;
  after?: unknown;
}

export interface PlannedResourceChange {
  resourceId: string;
  action: ResourceAction;
  /** Only for `modify`: the changes that mean something (noise removed). */
  changes?: PlannedPropertyChange[];
}

const ACTION_OF: Record<string, ResourceAction | undefined> = {
  create: "create",
  modify: "modify",
  // `Deploy`: ARM will deploy it but cannot say which properties change (a resource type without what-if support).
  deploy: "modify",
  delete: "delete",
  nochange: "unchanged",
};

/**
 * Each resource of one unit's what-if with its action. `Ignore` (incremental mode leaves a resource the template
 * does not hold alone) is not listed; a `Modify` whose every property change is noise is `unchanged`.
 */
export function plannedChanges(changes: readonly WhatIfResourceChange[]): PlannedResourceChange[] {
  const out: PlannedResourceChange[] = [];
  for (const change of changes) {
    const kind = change.changeType.toLowerCase();
    const action = ACTION_OF[kind];
    if (action === undefined) continue;
    if (kind !== "modify") {
      out.push({ resourceId: change.resourceId, action });
      continue;
    }
    const kept = meaningfulChanges(typeAndName(change.resourceId).type, change.delta, () => undefined);
    if (kept.length === 0) {
      out.push({ resourceId: change.resourceId, action: "unchanged" });
      continue;
    }
    out.push({
      resourceId: change.resourceId,
      action: "modify",
      changes: kept.map((leaf) =>
        masked(leaf.path, {
          path: leaf.path,
          // Drift's words are now → spec: present now only is a property the deployment would delete.
          action: leaf.change === "added" ? "delete" : leaf.change === "removed" ? "create" : "modify",
          ...(leaf.now !== undefined ? { before: leaf.now } : {}),
          ...(leaf.spec !== undefined ? { after: leaf.spec } : {}),
        }),
      ),
    });
  }
  return out;
}

/** Paths whose values are credentials: shown as changed, never with their value. */
const SECRET_PATH =
  /(password|secret|token|connectionstring|privatekey|accesskey|sharedkey|sastoken|certificate(data|password)?$|keydata|clientsecret)/i;
export const MASKED = "(sensitive)";

function masked(path: string, change: PlannedPropertyChange): PlannedPropertyChange {
  if (!SECRET_PATH.test(path)) return change;
  return {
    ...change,
    ...(change.before !== undefined ? { before: MASKED } : {}),
    ...(change.after !== undefined ? { after: MASKED } : {}),
  };
}

// ---- the plan of a target ------------------------------------------------------------------------

export interface TargetPlanUnit {
  name: string;
  phase: string;
  cluster?: string;
  /** `planned`: ARM answered (or the offline expansion did, for a unit whose inputs do not exist yet). */
  state: "planned" | "failed" | "not evaluated";
  /** Why ARM could not evaluate it (its innermost error). */
  error?: string;
  resources: PlannedResourceChange[];
}

export interface TargetPlanSummary {
  add: number;
  change: number;
  destroy: number;
  unchanged: number;
}

export interface TargetPlan {
  environment: string;
  target: string;
  units: TargetPlanUnit[];
  summary: TargetPlanSummary;
  /** True when some resource would be created, modified or deleted. */
  hasChanges: boolean;
}

/** The plan of a target from a what-if build's deployments (in plan order). */
export function targetPlan(
  environment: string,
  target: string,
  deployments: readonly DeploymentProgress[],
  errorText: (d: DeploymentProgress) => string,
): TargetPlan {
  const units: TargetPlanUnit[] = deployments.map((d) => ({
    name: d.name,
    phase: d.phase,
    ...(d.cluster !== undefined ? { cluster: d.cluster } : {}),
    state: d.state === "failed" ? "failed" : d.whatIf ? "planned" : "not evaluated",
    ...(d.state === "failed" ? { error: errorText(d) } : {}),
    resources: d.whatIf?.resources ?? [],
  }));
  const count = (action: ResourceAction) =>
    units.reduce((n, u) => n + u.resources.filter((r) => r.action === action).length, 0);
  const summary = {
    add: count("create"),
    change: count("modify"),
    destroy: count("delete"),
    unchanged: count("unchanged"),
  };
  return {
    environment,
    target,
    units,
    summary,
    hasChanges: summary.add + summary.change + summary.destroy > 0,
  };
}

const SYMBOL: Record<ResourceAction, string> = { create: "+", modify: "~", delete: "-", unchanged: "=" };
const VERB: Record<ResourceAction, string> = {
  create: "create",
  modify: "modify",
  delete: "delete",
  unchanged: "unchanged",
};

/** The plan as text: per deployment unit, one line per resource, changed paths below a modified one. */
export function renderTargetPlanText(plan: TargetPlan): string {
  const lines = [`Plan for ${plan.environment} on ${plan.target} (ARM what-if; nothing was changed)`, ""];
  for (const unit of plan.units) {
    lines.push(`deployment ${unit.name} (phase ${unit.phase}${unit.cluster ? `, cluster ${unit.cluster}` : ""})`);
    if (unit.state === "failed") lines.push(`  ! could not be evaluated: ${unit.error ?? "what-if failed"}`);
    else if (unit.state === "not evaluated") lines.push("  ? not evaluated (an earlier unit failed)");
    for (const r of unit.resources) {
      const { type, name } = typeAndName(r.resourceId);
      lines.push(`  ${SYMBOL[r.action]} ${type} ${name}${r.action === "unchanged" ? "" : `  (${VERB[r.action]})`}`);
      for (const c of r.changes ?? []) {
        const what =
          c.action === "create"
            ? describeValue(c.after)
            : c.action === "delete"
              ? describeValue(c.before)
              : `${describeValue(c.before)} → ${describeValue(c.after)}`;
        lines.push(`      ${SYMBOL[c.action]} ${c.path}: ${what}`);
      }
    }
  }
  const failed = plan.units.filter((u) => u.state !== "planned").length;
  const { add, change, destroy, unchanged } = plan.summary;
  lines.push(
    "",
    `Plan: ${add} to add, ${change} to change, ${destroy} to destroy (${unchanged} unchanged).` +
      (failed > 0 ? ` ${failed} deployment(s) could not be evaluated.` : ""),
  );
  return `${lines.join("\n")}\n`;
}
