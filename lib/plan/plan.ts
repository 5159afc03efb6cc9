import { readFileSync } from "node:fs";
import path from "node:path";
import { DeferredValue, expandTemplate } from "../arm";
import type { DeploymentScope, ExpandedResource } from "../arm";
import { repoRoot } from "../config";
import type { PlatformSpec } from "../spec";
import { PHASES } from "./types";
import type { DeploymentUnit, PhaseName } from "./types";
import { buildDeploymentUnits } from "./units";

/**
 * The plan: the spec's deployment units with every template expanded offline, so a person (or a test) sees the
 * exact resources, properties and dependencies a build would send to ARM. Values ARM only knows at deploy time
 * stay as `{ "$deferred": expression }`.
 */

/** Tenant used for offline expansion: `tenant()` has no meaning before a real deployment. */
export const PLAN_TENANT_ID = "00000000-0000-0000-0000-000000000000";

/** A resource as the engine expanded it, turned into plain JSON (deferred values as `{ "$deferred": … }`). */
export type PlanResource = ExpandedResource;

/** A deployment unit with its template expanded (parameters: plain values plus `$deferred` output markers). */
export interface PlanDeployment extends Omit<DeploymentUnit, "outputParameters"> {
  resources: PlanResource[];
  /** Output names of the template (what later deployments may read). */
  outputs: string[];
}

export interface PlanPhase {
  name: PhaseName;
  /** Phases holding deployments this phase's deployments depend on. */
  dependsOn: PhaseName[];
  deployments: PlanDeployment[];
}

export interface Plan {
  environment: string;
  location: string;
  subscriptionId: string;
  phases: PlanPhase[];
}

/** The deployment units (or their templates) do not form a valid plan; `problems` names each deployment at fault. */
export class PlanError extends Error {
  override readonly name = "PlanError";
  readonly code = "PlanInvalid";
  constructor(readonly problems: string[]) {
    super(`The deployment plan is invalid:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
}

export interface BuildPlanOptions {
  /** Folder holding `arm/<template>.json`; default `<repo>/templates`. */
  templatesDir?: string;
  /** Units to expand instead of `buildDeploymentUnits(spec)`. */
  units?: DeploymentUnit[];
}

/** ARM deployment names: 1–64 characters of letters, digits, `-`, `_`, `.`, `(` and `)`. */
const DEPLOYMENT_NAME = /^[-\w.()]{1,64}$/;

/**
 * Checks the unit graph: unique valid names, known dependencies, no dependency on a later phase, no cycles, and
 * output parameters read only from deployments that finish first. Returns every problem found.
 */
export function checkUnitGraph(units: readonly DeploymentUnit[]): string[] {
  const problems: string[] = [];
  const byName = new Map<string, DeploymentUnit>();
  for (const unit of units) {
    if (!DEPLOYMENT_NAME.test(unit.name)) {
      problems.push(`Deployment "${unit.name}" is not a valid ARM deployment name (1–64 letters, digits, - _ . ( )).`);
    }
    if (byName.has(unit.name)) problems.push(`Deployment "${unit.name}" is defined twice.`);
    else byName.set(unit.name, unit);
  }
  const phaseIndex = (p: PhaseName): number => PHASES.indexOf(p);
  for (const unit of units) {
    for (const dep of unit.dependsOn) {
      const target = byName.get(dep);
      if (!target) {
        problems.push(
          `Deployment "${unit.name}" (phase ${unit.phase}) depends on "${dep}", which is not a deployment of the plan.`,
        );
      } else if (phaseIndex(target.phase) > phaseIndex(unit.phase)) {
        problems.push(
          `Deployment "${unit.name}" (phase ${unit.phase}) depends on "${dep}" of the later phase ${target.phase}; a dependency must be in the same or an earlier phase.`,
        );
      }
    }
  }
  // Cycles: depth-first search, reporting each cycle once by its path.
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, "visiting");
    stack.push(name);
    for (const dep of byName.get(name)?.dependsOn ?? []) {
      if (!byName.has(dep)) continue;
      const s = state.get(dep);
      if (s === "visiting") {
        const cycle = [...stack.slice(stack.indexOf(dep)), dep];
        problems.push(`Deployments depend on each other in a cycle: ${cycle.join(" → ")}.`);
      } else if (s === undefined) {
        visit(dep);
      }
    }
    stack.pop();
    state.set(name, "done");
  };
  for (const unit of units) if (!state.has(unit.name)) visit(unit.name);

  const ancestors = (name: string): Set<string> => {
    const seen = new Set<string>();
    const todo = [...(byName.get(name)?.dependsOn ?? [])];
    for (let dep = todo.pop(); dep !== undefined; dep = todo.pop()) {
      if (seen.has(dep)) continue;
      seen.add(dep);
      todo.push(...(byName.get(dep)?.dependsOn ?? []));
    }
    return seen;
  };
  for (const unit of units) {
    const before = ancestors(unit.name);
    for (const [param, ref] of Object.entries(unit.outputParameters)) {
      if (!before.has(ref.deployment)) {
        problems.push(
          `Deployment "${unit.name}" reads parameter ${param} from the output ${ref.output} of "${ref.deployment}", which it does not depend on.`,
        );
      }
    }
  }
  return problems;
}

interface ArmTemplateFile {
  outputs?: Record<string, unknown>;
}

function readTemplate(file: string, unit: DeploymentUnit): ArmTemplateFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new PlanError([`Deployment "${unit.name}": template ${unit.template} not found at ${file}.`]);
  }
  try {
    return JSON.parse(text) as ArmTemplateFile;
  } catch (err) {
    throw new PlanError([
      `Deployment "${unit.name}": template ${unit.template} is not valid JSON (${err instanceof Error ? err.message : String(err)}).`,
    ]);
  }
}

/** JSON round trip: DeferredValue markers become `{ "$deferred": … }`, so the plan is plain data. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export function buildPlan(spec: PlatformSpec, options: BuildPlanOptions = {}): Plan {
  const units = options.units ?? buildDeploymentUnits(spec);
  const graphProblems = checkUnitGraph(units);
  if (graphProblems.length > 0) throw new PlanError(graphProblems);

  const templatesDir = options.templatesDir ?? path.join(repoRoot(), "templates");
  const templates = new Map<string, ArmTemplateFile>();
  const templateOf = (unit: DeploymentUnit): ArmTemplateFile => {
    let t = templates.get(unit.template);
    if (!t) {
      t = readTemplate(path.join(templatesDir, "arm", unit.template), unit);
      templates.set(unit.template, t);
    }
    return t;
  };

  const problems: string[] = [];
  const unitsByName = new Map(units.map((u) => [u.name, u]));
  const deployments = new Map<string, PlanDeployment>();
  for (const unit of units) {
    const template = templateOf(unit);
    const deferred: Record<string, DeferredValue> = {};
    for (const [param, ref] of Object.entries(unit.outputParameters)) {
      const source = unitsByName.get(ref.deployment);
      if (source && !Object.hasOwn(templateOf(source).outputs ?? {}, ref.output)) {
        problems.push(
          `Deployment "${unit.name}" reads parameter ${param} from output ${ref.output} of "${ref.deployment}", whose template ${source.template} has no such output.`,
        );
      }
      deferred[param] = new DeferredValue(
        `[reference to output ${ref.output} of deployment ${ref.deployment}]`,
        `output of deployment ${ref.deployment}, known once it has succeeded`,
      );
    }
    const parameters = { ...unit.parameters, ...deferred };
    const scope: DeploymentScope = {
      kind: unit.scope,
      subscriptionId: spec.subscriptionId,
      tenantId: PLAN_TENANT_ID,
      ...(unit.resourceGroup === undefined ? {} : { resourceGroup: unit.resourceGroup }),
      location: spec.location,
      deploymentName: unit.name,
    };
    let expanded: ReturnType<typeof expandTemplate>;
    try {
      expanded = expandTemplate(template, { parameters, scope, templateName: unit.template });
    } catch (err) {
      problems.push(
        `Deployment "${unit.name}" (template ${unit.template}): ${err instanceof Error ? err.message : String(err)}`,
      );
      continue;
    }
    deployments.set(unit.name, {
      name: unit.name,
      phase: unit.phase,
      scope: unit.scope,
      ...(unit.resourceGroup === undefined ? {} : { resourceGroup: unit.resourceGroup }),
      ...(unit.cluster === undefined ? {} : { cluster: unit.cluster }),
      template: unit.template,
      parameters: plain(parameters),
      dependsOn: [...unit.dependsOn],
      resources: plain<PlanResource[]>(expanded.resources),
      outputs: Object.keys(template.outputs ?? {}),
    });
  }
  if (problems.length > 0) throw new PlanError(problems);

  const phases: PlanPhase[] = [];
  for (const name of PHASES) {
    const inPhase = units.filter((u) => u.phase === name).map((u) => deployments.get(u.name)!);
    if (inPhase.length === 0) continue;
    const needs = new Set(inPhase.flatMap((d) => d.dependsOn.map((dep) => unitsByName.get(dep)!.phase)));
    phases.push({ name, dependsOn: PHASES.filter((p) => p !== name && needs.has(p)), deployments: inPhase });
  }
  return { environment: spec.name, location: spec.location, subscriptionId: spec.subscriptionId, phases };
}

/** Every deployment of the plan in phase order. */
export function planDeployments(plan: Plan): PlanDeployment[] {
  return plan.phases.flatMap((p) => p.deployments);
}
