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
import { buildPlan, PlanError } from "../../../lib/plan";
import { defaultSpec, loadSpecFile, SpecParseError, SpecValidationError, validateSpec } from "../../../lib/spec";
import type { PlatformSpec } from "../../../lib/spec";
import { CliUsageError } from "../errors";
import type { RegisterCommand } from "./index";

/**
 * `aks-platform check`: the spec's expanded plan against the official ARM schemas, the requirements of platform.md
 * and the best-practice rules; exit code 1 when anything fails (suppressed rules are listed with their reason).
 */

interface CheckOptions {
  spec?: string;
  schemas?: string;
  format: "text" | "json";
}

async function readSpec(file: string | undefined): Promise<PlatformSpec> {
  if (file !== undefined) return loadSpecFile(file);
  const result = validateSpec(defaultSpec);
  if (!result.ok) throw new SpecValidationError(result.problems, "the default spec");
  return result.spec;
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
    lines.push(`schemas: NOT CHECKED. ${SCHEMAS_HELP}`);
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
    .addOption(new Option("--format <format>", "report format").choices(["text", "json"]).default("text"))
    .action(async (options: CheckOptions) => {
      const config = loadAppConfig();
      // --schemas is relative to the working directory, like any path a person types.
      const schemasDir = options.schemas === undefined ? resolveSchemasDir() : path.resolve(options.schemas);
      let schemas: ArmSchemas | undefined;
      try {
        schemas = schemasDir === undefined ? undefined : loadArmSchemas(schemasDir);
      } catch (err) {
        throw new CliUsageError(`--schemas: ${err instanceof Error ? err.message : String(err)}`);
      }
      let spec: PlatformSpec;
      let plan: ReturnType<typeof buildPlan>;
      try {
        spec = await readSpec(options.spec);
        plan = buildPlan(spec, { templatesDir: config.templatesDir });
      } catch (err) {
        if (err instanceof SpecValidationError) {
          process.stderr.write(
            `error: ${err.source ?? "the spec"} is invalid:\n${err.problems.map((p) => `${p.path}: ${p.message}`).join("\n")}\n`,
          );
        } else if (err instanceof SpecParseError || err instanceof PlanError) {
          process.stderr.write(`error: ${err.message}\n`);
        } else throw err;
        setExitCode(1);
        return;
      }
      const report = checkPlan(plan, spec, {
        templatesDir: config.templatesDir,
        ...(schemas === undefined ? {} : { schemas }),
      });
      process.stdout.write(options.format === "json" ? `${JSON.stringify(report, null, 2)}\n` : renderText(report));
      if (checkFailed(report)) setExitCode(1);
    });
};
