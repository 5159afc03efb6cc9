import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Option } from "commander";
import { loadAppConfig } from "../../../lib/config";
import {
  buildPlan,
  criticalPath,
  renderArchitectureMermaid,
  renderPhasesMermaid,
  renderPlanJson,
  renderPlanText,
  topologyReport,
} from "../../../lib/plan";
import { describeCause } from "../../../lib/plan/progress";
import { renderTargetPlanText, targetPlan, type TargetPlan } from "../../../lib/plan/what-if";
import type { PlatformSpec } from "../../../lib/spec";
import { runBuild, type BuildOutcome } from "../../build/runner";
import { targetKey, targetOf } from "../../build/target";
import { CliUsageError, ExitCode } from "../errors";
import { cliConventions, note, outputFormat, printData, type OutputFormat } from "../output";
import { BuildProgressView } from "../progress";
import { readSpec } from "../spec-input";
import { addTargetOptions, checkTarget, specOnTarget, startTargetRuntime, type TargetChoice } from "../target-options";
import type { RegisterCommand } from "./index";

/**
 * `aks-platform plan`: with a target (`--sandbox`, `--subscription ID`), ARM what-if of every deployment unit as a
 * per-resource listing, Terraform-like (`+ ~ - =`, changed property paths before → after, noise removed); with no
 * target (or `--offline`), the spec's deployments expanded offline (phases, deployments, resources, critical path),
 * and `--format mermaid` writes one plain `.mmd` file per diagram. Neither changes anything.
 */

interface PlanOptions extends TargetChoice {
  spec?: string;
  offline?: boolean;
  format?: "json" | "text" | "mermaid";
  out?: string;
  detailedExitcode?: boolean;
}

export const register: RegisterCommand = (program, setExitCode) => {
  const plan = program
    .command("plan")
    .description(
      "Show what a build of the spec would change: per resource (+ create, ~ modify, - delete, = unchanged) from ARM what-if on a target, or offline its phases, deployments and critical path.",
    )
    .option("--spec <file>", "platform spec (JSON or YAML); default: the seed spec k8s-demo")
    .option("--offline", "the offline plan: phases, deployments, expanded resources, critical path (no ARM call)")
    .addOption(
      new Option(
        "--format <format>",
        "offline: mermaid writes architecture.mmd and phases.mmd into --out (json and text: the same as -o json / -o table)",
      ).choices(["json", "text", "mermaid"]),
    )
    .option("--out <dir>", "offline: write plan.json, plan.txt, architecture.mmd and phases.mmd into this folder")
    .option(
      "--detailed-exitcode",
      "with a target: exit 1 when something would be created, modified or deleted (0: nothing to change)",
    );
  addTargetOptions(plan, {
    sandbox: "what-if against the sandbox platform (`up --sandbox`'s state)",
    subscription: "what-if against this Azure subscription (DefaultAzureCredential; reads only)",
  }).action(async (options: PlanOptions) => {
    const targeted = options.sandbox || options.subscription !== undefined;
    if (!targeted) {
      if (options.armEndpoint !== undefined) throw new CliUsageError("--arm-endpoint needs --subscription");
      if (options.detailedExitcode)
        throw new CliUsageError("--detailed-exitcode needs a target: --sandbox or --subscription ID");
      await offlinePlan(options);
      return;
    }
    if (options.offline)
      throw new CliUsageError("--offline plans without a target: leave out --sandbox / --subscription");
    if (options.format === "mermaid" || options.out !== undefined)
      throw new CliUsageError("--format mermaid and --out write the offline plan: use them with --offline");
    const { timeScale } = checkTarget(options);
    setExitCode(await targetedPlan(specOnTarget(await readSpec(options.spec), options), options, timeScale));
  });
};

/** The what-if of every unit on the target, listed per resource. Exit 0 (or 1 with changes and --detailed-exitcode); 3 when ARM could not evaluate a unit. */
async function targetedPlan(spec: PlatformSpec, options: PlanOptions, timeScale: number): Promise<number> {
  const format = outputFormat(options.format);
  const runtime = await startTargetRuntime(options, timeScale);
  try {
    const view = new BuildProgressView(process.stderr);
    const outcome = await runBuild(runtime, spec, "whatif", {
      ...(cliConventions().quiet ? {} : { onProgress: (s, r) => view.update(s, r) }),
    });
    return printTargetPlan(spec, options, outcome, format, options.detailedExitcode ?? false);
  } finally {
    await runtime.stop();
  }
}

/** The per-resource plan of a what-if build on the target: every unit ARM evaluated, each one it could not with its innermost error. */
export function whatIfPlan(spec: PlatformSpec, target: TargetChoice, outcome: BuildOutcome): TargetPlan {
  return targetPlan(spec.name, targetKey(targetOf(target)), outcome.status?.deployments ?? [], (d) =>
    d.error ? describeCause(d.error) : "what-if failed",
  );
}

/**
 * Prints the plan of a what-if build (`plan` on a target, `up --whatif`, `up --subscription`'s preview) and returns
 * the exit code: 3 when ARM could not evaluate a unit, else 0 (1 with changes when `detailedExitcode`).
 */
export function printTargetPlan(
  spec: PlatformSpec,
  target: TargetChoice,
  outcome: BuildOutcome,
  format: OutputFormat,
  detailedExitcode: boolean,
): number {
  const result = whatIfPlan(spec, target, outcome);
  printData(format, result, () => renderTargetPlanText(result));
  const failed = result.units.some((u) => u.state !== "planned") || outcome.runtimeStatus !== "Completed";
  if (failed) {
    if (outcome.failure !== undefined) note(outcome.failure);
    return ExitCode.azure;
  }
  return detailedExitcode && result.hasChanges ? ExitCode.notOk : ExitCode.ok;
}

/** The offline plan: nothing talks to Azure. */
async function offlinePlan(options: PlanOptions): Promise<void> {
  const spec = await readSpec(options.spec);
  const plan = buildPlan(spec, { templatesDir: loadAppConfig().templatesDir });
  const critical = criticalPath(plan);
  const architecture = renderArchitectureMermaid(plan, spec);
  const phases = renderPhasesMermaid(plan, critical);
  if (options.format === "mermaid") {
    // Two diagrams are two Mermaid documents: each its own file, nothing around it, so editors and `mmdc` read it.
    if (options.out === undefined)
      throw new CliUsageError("--format mermaid writes architecture.mmd and phases.mmd: give the folder with --out");
  } else {
    const format = outputFormat(options.format);
    printData(format, JSON.parse(renderPlanJson(plan, critical)), () =>
      renderPlanText(plan, critical, topologyReport(plan, spec)),
    );
    // A person asking `plan` with no target gets the offline view and the way to the per-resource one.
    if (format === "table" && !options.offline)
      note(
        "(offline plan: phases and deployments. For what would change per resource: aks-platform plan --sandbox, or --subscription ID)",
      );
  }
  if (options.out !== undefined) {
    const files: [string, string][] = [
      ["plan.json", renderPlanJson(plan, critical)],
      ["plan.txt", renderPlanText(plan, critical, topologyReport(plan, spec))],
      ["architecture.mmd", architecture],
      ["phases.mmd", phases],
    ];
    await mkdir(options.out, { recursive: true });
    for (const [name, content] of files) await writeFile(path.join(options.out, name), content);
    // stderr, so stdout stays exactly the chosen format (one JSON document for -o json).
    note(`wrote ${files.map(([name]) => name).join(", ")} to ${options.out}`);
  }
}
