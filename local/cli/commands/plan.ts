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
} from "../../../lib/plan";
import type { PlatformSpec } from "../../../lib/spec";
import { describeSpecFailure, readSpec } from "../spec-input";
import type { RegisterCommand } from "./index";

/** `aks-platform plan`: the spec's deployments expanded offline, as JSON, text or Mermaid; nothing talks to Azure. */

type Format = "json" | "text" | "mermaid";

interface PlanOptions {
  spec?: string;
  format: Format;
  out?: string;
}

export const register: RegisterCommand = (program, setExitCode) => {
  program
    .command("plan")
    .description("Show what a build of the spec would deploy: phases, deployments, expanded resources, critical path.")
    .option("--spec <file>", "platform spec (JSON or YAML); default: the seed spec k8s-demo")
    .addOption(new Option("--format <format>", "output on stdout").choices(["json", "text", "mermaid"]).default("text"))
    .option("--out <dir>", "also write plan.json, plan.txt, architecture.mmd and phases.mmd into this folder")
    .action(async (options: PlanOptions) => {
      let spec: PlatformSpec;
      let plan: ReturnType<typeof buildPlan>;
      try {
        spec = await readSpec(options.spec);
        plan = buildPlan(spec, { templatesDir: loadAppConfig().templatesDir });
      } catch (err) {
        const message = describeSpecFailure(err);
        if (message === undefined) throw err;
        process.stderr.write(`${message}\n`);
        setExitCode(1);
        return;
      }
      const critical = criticalPath(plan);
      const architecture = renderArchitectureMermaid(plan, spec);
      const phases = renderPhasesMermaid(plan, critical);
      const rendered: Record<Format, () => string> = {
        json: () => renderPlanJson(plan, critical),
        text: () => renderPlanText(plan, critical),
        // Two diagrams do not fit one Mermaid document; fenced blocks render as both in Markdown viewers.
        mermaid: () => `\`\`\`mermaid\n${architecture}\`\`\`\n\n\`\`\`mermaid\n${phases}\`\`\`\n`,
      };
      process.stdout.write(rendered[options.format]());
      if (options.out !== undefined) {
        const files: [string, string][] = [
          ["plan.json", rendered.json()],
          ["plan.txt", rendered.text()],
          ["architecture.mmd", architecture],
          ["phases.mmd", phases],
        ];
        await mkdir(options.out, { recursive: true });
        for (const [name, content] of files) await writeFile(path.join(options.out, name), content);
        // stderr, so stdout stays exactly the chosen format (one JSON document for --format json).
        process.stderr.write(`wrote ${files.map(([name]) => name).join(", ")} to ${options.out}\n`);
      }
    });
};
