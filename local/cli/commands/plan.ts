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
import { CliUsageError } from "../errors";
import { note, outputFormat, printData } from "../output";
import { readSpec } from "../spec-input";
import type { RegisterCommand } from "./index";

/**
 * `aks-platform plan`: the spec's deployments expanded offline (phases, deployments, resources, critical path) as
 * a table, JSON or YAML (`-o`); `--format mermaid` writes one plain `.mmd` file per diagram. Nothing talks to Azure.
 */

interface PlanOptions {
  spec?: string;
  format?: "json" | "text" | "mermaid";
  out?: string;
}

export const register: RegisterCommand = (program) => {
  program
    .command("plan")
    .description("Show what a build of the spec would deploy: phases, deployments, expanded resources, critical path.")
    .option("--spec <file>", "platform spec (JSON or YAML); default: the seed spec k8s-demo")
    .addOption(
      new Option(
        "--format <format>",
        "mermaid: write architecture.mmd and phases.mmd into --out (json and text: the same as -o json / -o table)",
      ).choices(["json", "text", "mermaid"]),
    )
    .option("--out <dir>", "write plan.json, plan.txt, architecture.mmd and phases.mmd into this folder")
    .action(async (options: PlanOptions) => {
      const spec = await readSpec(options.spec);
      const plan = buildPlan(spec, { templatesDir: loadAppConfig().templatesDir });
      const critical = criticalPath(plan);
      const architecture = renderArchitectureMermaid(plan, spec);
      const phases = renderPhasesMermaid(plan, critical);
      if (options.format === "mermaid") {
        // Two diagrams are two Mermaid documents: each its own file, nothing around it, so editors and `mmdc` read it.
        if (options.out === undefined)
          throw new CliUsageError(
            "--format mermaid writes architecture.mmd and phases.mmd: give the folder with --out",
          );
      } else {
        const format = outputFormat(options.format);
        printData(format, JSON.parse(renderPlanJson(plan, critical)), () => renderPlanText(plan, critical, topologyReport(plan, spec)));
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
    });
};
