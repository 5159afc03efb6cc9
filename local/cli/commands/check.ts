import path from "node:path";
import { Option } from "commander";
import {
  checkFailed,
  checkPlan,
  loadArmSchemas,
  resolveSchemasDir,
  SCHEMAS_HELP,
  type ArmSchemas,
  type CheckReport,
} from "../../../lib/check";
import { loadAppConfig } from "../../../lib/config";
import { buildPlan } from "../../../lib/plan";
import { CliUsageError } from "../errors";
import { outputFormat, printData } from "../output";
import { readSpec } from "../spec-input";
import type { RegisterCommand } from "./index";

/**
 * `aks-platform check`: the spec's expanded plan against the official ARM schemas, the requirements of platform.md
 * and the best-practice rules; exit code 1 when anything fails (suppressed rules are listed with their reason).
 */

interface CheckOptions {
  spec?: string;
  schemas?: string;
  skipSchemas?: boolean;
  format?: "text" | "json";
}

function renderText(report: CheckReport): string {
  const lines: string[] = [];
  if (report.schemas) {
    const s = report.schemas;
    lines.push(
      `schemas (${s.dir}): ${s.validated} resources validated, ${s.problems.length} problem(s), ${s.missing.length} type(s) without schema`,
    );
    for (const p of s.problems) lines.push(`  FAIL ${p.subject} ${p.path}: ${p.message}`);
    for (const m of s.missing)
      lines.push(
        `  FAIL ${m.resourceId}: no schema for ${m.type}@${m.apiVersion} (and not in lib/check/schema-allowlist.ts)`,
      );
    for (const a of s.allowed) lines.push(`  allowed without schema: ${a.type} (${a.reason})`);
  } else {
    lines.push("schemas: skipped (--skip-schemas)");
  }
  const failedReqs = report.requirements.filter((r) => r.problems.length > 0);
  lines.push(`requirements: ${report.requirements.length - failedReqs.length}/${report.requirements.length} hold`);
  for (const r of failedReqs) for (const p of r.problems) lines.push(`  FAIL ${r.id}: ${p}`);
  const fails = report.rules.filter((r) => r.outcome === "fail");
  const suppressed = report.rules.filter((r) => r.outcome === "suppressed");
  lines.push(
    `rules: ${report.rules.length - fails.length - suppressed.length} pass, ${fails.length} fail, ${suppressed.length} suppressed`,
  );
  for (const r of fails) lines.push(`  FAIL ${r.rule} ${r.resourceId}: ${r.message ?? ""}`);
  for (const r of suppressed)
    lines.push(`  suppressed ${r.rule} ${r.resourceId}: ${r.message ?? ""} — ${r.reason ?? ""}`);
  lines.push(`limits: ${report.limits.length === 0 ? "within ARM limits" : `${report.limits.length} problem(s)`}`);
  for (const l of report.limits) lines.push(`  FAIL ${l}`);
  for (const w of report.warnings) lines.push(`WARN ${w}`);
  return `${lines.join("\n")}\n`;
}

export const register: RegisterCommand = (program, setExitCode) => {
  program
    .command("check")
    .description(
      "Validate the spec's expanded ARM plan: official schemas, platform requirements, best-practice rules, ARM limits.",
    )
    .option("--spec <file>", "platform spec (JSON or YAML); default: the seed spec k8s-demo")
    .option(
      "--schemas <dir>",
      "folder laid out like https://schema.management.azure.com/schemas/ (default: AKS_PLATFORM_ARM_SCHEMAS_DIR or ../shared/arm-schemas)",
    )
    .option("--skip-schemas", "run the other checks without the official schemas")
    .addOption(new Option("--format <format>", "the same as -o json / -o table").choices(["text", "json"]))
    .action(async (options: CheckOptions) => {
      const config = loadAppConfig();
      // --schemas is relative to the working directory, like any path a person types.
      const schemasDir = options.schemas === undefined ? resolveSchemasDir() : path.resolve(options.schemas);
      if (schemasDir === undefined && !options.skipSchemas)
        throw new CliUsageError(
          `no ARM schemas at ${config.armSchemasDir}, so nothing was checked. ${SCHEMAS_HELP} Or run with --skip-schemas.`,
        );
      let schemas: ArmSchemas | undefined;
      try {
        schemas = schemasDir === undefined || options.skipSchemas ? undefined : loadArmSchemas(schemasDir);
      } catch (err) {
        throw new CliUsageError(`--schemas: ${err instanceof Error ? err.message : String(err)}`);
      }
      const spec = await readSpec(options.spec);
      const plan = buildPlan(spec, { templatesDir: config.templatesDir });
      const report = checkPlan(plan, spec, {
        templatesDir: config.templatesDir,
        ...(schemas === undefined ? {} : { schemas }),
      });
      printData(outputFormat(options.format), report, () => renderText(report));
      if (checkFailed(report)) setExitCode(1);
    });
};
