import { Option } from "commander";
import { removedClustersOf, renderDriftText } from "../../../lib/drift";
import { Orchestrations } from "../../../lib/function-names";
import { buildDeploymentUnits } from "../../../lib/plan/units";
import { defaultSpec, type PlatformSpec } from "../../../lib/spec";
import type { DriftCheckInput, DriftCheckResult } from "../../../orchestrations/drift/contracts";
import { runOrchestration, type LocalRuntime } from "../../build/runner";
import { CliUsageError } from "../errors";
import { outputFormat, printData } from "../output";
import { describeSpecFailure, readSpec } from "../spec-input";
import type { RegisterCommand } from "./index";
import { inSandbox, STATE_DIR_HELP } from "../../build/target";
import { checkTarget, DEFAULT_SANDBOX_TIME_SCALE, startTargetRuntime } from "../target-options";
import { environmentOnTarget } from "../target-environments";

/**
 * `aks-platform drift`: the drift check of an environment on demand, through the same `driftCheck` orchestration the
 * sweep runs (a what-if per unit, noise removed), in this process with the local durable driver. It reports and
 * changes nothing (no message), unless `--remediate`: then every drifted unit is re-deployed through the build path
 * and checked again. Exit 0 no drift (left), 1 drift found (or not corrected), 2 usage error or units that could not
 * be checked (then "no drift" cannot be claimed).
 */

interface DriftOptions {
  spec?: string;
  env?: string;
  sandbox?: boolean;
  subscription?: string;
  armEndpoint?: string;
  stateDir?: string;
  timeScale: string;
  remediate?: boolean;
}

async function runCheck(runtime: LocalRuntime, spec: PlatformSpec, remediate: boolean): Promise<DriftCheckResult> {
  const instanceId = `drift-cli:${spec.name}:${new Date().toISOString()}`;
  const removedClusters = await removedClustersOf(spec, runtime.instances);
  const checked: DriftCheckInput = remediate
    ? // A person asked: every drifted unit may be re-deployed, through the same path the policy uses.
      {
        spec: {
          ...spec,
          drift: { ...spec.drift, mode: "remediate", autoRemediate: buildDeploymentUnits(spec).map((u) => u.name) },
        },
        trigger: "manual",
      }
    : { spec, trigger: "manual", act: false };
  const input: DriftCheckInput = { ...checked, removedClusters };
  return (await runOrchestration(runtime.driver, Orchestrations.driftCheck, instanceId, input)) as DriftCheckResult;
}

export const register: RegisterCommand = (program, setExitCode) => {
  program
    .command("drift")
    .description(
      "Check whether the platform still matches its spec (ARM what-if of every deployment unit, noise removed). Exit 0 no drift, 1 drift found.",
    )
    .option("--spec <file>", "platform spec (JSON or YAML); default: the environment's spec as this target built it")
    .option(
      "--env <name>",
      `environment to check: one built or registered in the target's state (default ${defaultSpec.name})`,
    )
    .option("--sandbox", "check the sandbox platform built by `aks-platform up --sandbox`")
    .option("--subscription <id>", "check the platform in this Azure subscription (DefaultAzureCredential)")
    .option("--arm-endpoint <url>", "ARM endpoint (sovereign cloud or an ARM-compatible stand-in; https)")
    .option("--state-dir <dir>", STATE_DIR_HELP)
    .addOption(
      new Option("--time-scale <factor>", "sandbox: simulated seconds per real second").default(
        String(DEFAULT_SANDBOX_TIME_SCALE),
      ),
    )
    .option(
      "--remediate",
      "re-deploy every drifted unit from the spec (the build path, incremental: nothing is deleted), then check again",
    )
    .action(async (options: DriftOptions) => {
      const { timeScale } = checkTarget(options);
      let fileSpec: PlatformSpec | undefined;
      if (options.spec !== undefined) {
        try {
          fileSpec = await readSpec(options.spec);
        } catch (err) {
          const message = describeSpecFailure(err);
          if (message === undefined) throw err;
          process.stderr.write(`${message}\n`);
          setExitCode(2);
          return;
        }
        if (options.env !== undefined && options.env !== fileSpec.name)
          throw new CliUsageError(
            `--env ${options.env}: the spec describes environment ${fileSpec.name} (give that environment's spec with --spec)`,
          );
      }
      const runtime = await startTargetRuntime(options, timeScale);
      try {
        // Without --spec: the environment as this target last built or registered it.
        const spec = fileSpec
          ? options.subscription !== undefined
            ? { ...fileSpec, subscriptionId: options.subscription }
            : inSandbox(fileSpec)
          : (await environmentOnTarget(runtime, options.env ?? defaultSpec.name, options)).spec;
        const { report, remediation } = await runCheck(runtime, spec, options.remediate ?? false);
        // After a remediation, the check that followed it decides the exit code.
        const final = remediation?.after ?? report;
        printData(outputFormat(), { ...report, remediation }, () => {
          const lines = [renderDriftText(report)];
          if (remediation) {
            lines.push(`re-deployed: ${remediation.units.join(", ") || "(nothing)"}`);
            for (const r of remediation.refused) lines.push(`  not re-deployed: ${r.unit}: ${r.reason}`);
            for (const f of remediation.failures) lines.push(`  failed: ${f}`);
            if (remediation.after) lines.push(`after the re-deploy: ${renderDriftText(remediation.after)}`);
          }
          return `${lines.join("\n")}\n`;
        });
        const failed = (remediation?.failures.length ?? 0) + (remediation?.refused.length ?? 0) > 0;
        setExitCode(final.findings.length > 0 || failed ? 1 : final.errors.length > 0 ? 2 : 0);
      } finally {
        await runtime.stop();
      }
    });
};
