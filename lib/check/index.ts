import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Plan } from "../plan";
import { planDeployments, topologyReport } from "../plan";
import type { PlatformSpec } from "../spec";
import { limitProblems } from "./limits";
import { verifyRequirements } from "./requirements";
import { runRules, type RuleResult } from "./rules";
import { parametersFile, type ArmSchemas, type SchemaProblem } from "./schemas";

export * from "./schemas";
export * from "./rules";
export * from "./requirements";
export * from "./limits";
export { SCHEMA_ALLOWLIST, ENUM_EXTENSIONS } from "./schema-allowlist";

/**
 * `aks-platform check` and the tests run the same checks: official schemas (when available), requirement
 * traceability, best-practice rules and ARM limits, over the expanded plan of a spec.
 */

export interface SchemaReport {
  dir: string;
  /** Resources, template envelopes and parameter files that do not match their schema. */
  problems: SchemaProblem[];
  /** Resource types with no schema and no allow-list entry. */
  missing: { resourceId: string; type: string; apiVersion: string }[];
  /** Resource types deployed without a schema, with the allow-list's reason. */
  allowed: { type: string; reason: string }[];
  /** How many resources were validated. */
  validated: number;
}

export interface CheckReport {
  /** Undefined when no schemas folder was available (schema validation not run). */
  schemas?: SchemaReport;
  requirements: { id: string; problems: string[] }[];
  rules: RuleResult[];
  limits: string[];
  /** Not failures: choices that cost build time at this size (full mesh with many clusters). */
  warnings: string[];
}

export function validatePlanSchemas(plan: Plan, schemas: ArmSchemas, templatesDir: string): SchemaReport {
  const report: SchemaReport = { dir: schemas.dir, problems: [], missing: [], allowed: [], validated: 0 };
  for (const deployment of planDeployments(plan)) {
    for (const resource of deployment.resources) {
      const result = schemas.validateResource(resource);
      report.validated++;
      if (result.status === "invalid") report.problems.push(...result.problems);
      else if (result.status === "no-schema")
        report.missing.push({ resourceId: resource.id, type: resource.type, apiVersion: resource.apiVersion });
      else if (result.status === "allowed-without-schema" && !report.allowed.some((a) => a.type === resource.type)) {
        report.allowed.push({ type: resource.type, reason: result.reason });
      }
    }
    report.problems.push(
      ...schemas.validateParametersFile(parametersFile(deployment.parameters), `parameters of ${deployment.name}`),
    );
  }
  const armDir = path.join(templatesDir, "arm");
  for (const file of readdirSync(armDir)
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    const template: unknown = JSON.parse(readFileSync(path.join(armDir, file), "utf8"));
    report.problems.push(...schemas.validateTemplate(template, `templates/arm/${file}`));
  }
  return report;
}

export function checkPlan(
  plan: Plan,
  spec: PlatformSpec,
  options: { schemas?: ArmSchemas; templatesDir: string },
): CheckReport {
  return {
    ...(options.schemas ? { schemas: validatePlanSchemas(plan, options.schemas, options.templatesDir) } : {}),
    requirements: verifyRequirements(plan, spec),
    rules: runRules(plan),
    limits: limitProblems(plan),
    warnings: [topologyReport(plan, spec).warning].filter((w): w is string => w !== undefined),
  };
}

/** Whether the report holds anything that must fail a build (suppressed rules do not). */
export function checkFailed(report: CheckReport): boolean {
  return (
    (report.schemas !== undefined && (report.schemas.problems.length > 0 || report.schemas.missing.length > 0)) ||
    report.requirements.some((r) => r.problems.length > 0) ||
    report.rules.some((r) => r.outcome === "fail") ||
    report.limits.length > 0
  );
}
