import path from "node:path";
import { Option } from "commander";
import { azureContext, isLoopbackUrl } from "../../../lib/azure";
import { EnvironmentRegistry } from "../../../lib/environments";
import {
  buildInstanceId,
  buildModeInstanceId,
  cancellationOf,
  isActive,
  mergedStatus,
  type InstanceView,
} from "../../../lib/api/builds";
import { clusterRemoval, type ClusterRemoval } from "../../../lib/api/clusters";
import {
  describeCause,
  type BuildMode,
  type BuildStatus,
  type DeploymentProgress,
  type WhatIfSummary,
} from "../../../lib/plan/progress";
import { buildPlan, criticalPath, renderPlanText } from "../../../lib/plan";
import { makespanSeconds } from "../../../lib/plan/timeline";
import { UNSET_SUBSCRIPTION_ID, type PlatformSpec } from "../../../lib/spec";
import { writeBuildReport } from "../../build/report";
import {
  interruption,
  openBuildRecords,
  recordInterruption,
  recordRun,
  runBuild,
  runningDeployments,
  startLocalRuntime,
  type BuildOutcome,
  type LocalRuntime,
  type RunRecord,
} from "../../build/runner";
import { confirm } from "../prompt";
import { CliUsageError } from "../errors";
import { BuildProgressView } from "../progress";
import { readSpec } from "../spec-input";
import {
  inSandbox,
  SANDBOX_SUBSCRIPTION_ID,
  STATE_DIR_HELP,
  stateDirOf,
  targetOf,
  targetReportDir,
} from "../../build/target";
import { cliConventions } from "../output";
import { checkAzureLogin } from "../credentials";
import type { RegisterCommand } from "./index";

/**
 * `aks-platform up`: the build orchestration driven in this process through the local durable driver. With
 * `--sandbox` it never leaves this machine; real Azure only with an explicit `--subscription`, after a what-if and
 * a confirmation.
 */

interface UpOptions {
  spec?: string;
  subscription?: string;
  sandbox?: boolean;
  armEndpoint?: string;
  yes?: boolean;
  timeScale: string;
  report?: string;
  fresh?: boolean;
  whatif?: boolean;
  stateDir?: string;
}

export const DEFAULT_SANDBOX_TIME_SCALE = 120;

export const register: RegisterCommand = (program, setExitCode) => {
  program
    .command("up")
    .description(
      "Build (or resume building) the platform of a spec: against the local sandbox ARM, or a real subscription.",
    )
    .option("--spec <file>", "platform spec (JSON or YAML); default: the seed spec k8s-demo")
    .option("--sandbox", "build against the local sandbox ARM (no Azure account; time-scaled)")
    .option("--subscription <id>", "build in this Azure subscription (DefaultAzureCredential)")
    .option("--arm-endpoint <url>", "ARM endpoint (sovereign cloud or an ARM-compatible stand-in; https)")
    .option("--yes", "do not ask for confirmation before deploying to Azure")
    .option("--whatif", "only run ARM what-if for every deployment; change nothing")
    .addOption(
      new Option("--time-scale <factor>", "sandbox: simulated seconds per real second").default(
        String(DEFAULT_SANDBOX_TIME_SCALE),
      ),
    )
    .option("--report <dir>", "where to write the report (default: .local/reports/<target>/<environment>)")
    .option("--fresh", "sandbox: forget every earlier sandbox run and its simulated resources first")
    .option("--state-dir <dir>", STATE_DIR_HELP)
    .action(async (options: UpOptions) => {
      if (Boolean(options.sandbox) === (options.subscription !== undefined)) {
        throw new CliUsageError(
          "choose exactly one target: --sandbox (local, no account) or --subscription ID (Azure)",
        );
      }
      if (options.sandbox && options.armEndpoint)
        throw new CliUsageError("--arm-endpoint cannot be combined with --sandbox");
      const timeScale = Number(options.timeScale);
      if (!Number.isFinite(timeScale) || timeScale <= 0) {
        throw new CliUsageError(`--time-scale "${options.timeScale}" must be a positive number`);
      }

      const given = await readSpec(options.spec);
      const spec: PlatformSpec =
        options.subscription !== undefined ? { ...given, subscriptionId: options.subscription } : inSandbox(given);

      const stateDir = stateDirOf(options);
      const runtime = options.sandbox
        ? await startLocalRuntime({
            stateDir,
            fresh: options.fresh ?? false,
            timeScale,
            sandbox: { timeScale, subscriptionId: SANDBOX_SUBSCRIPTION_ID },
          })
        : await startAzureRuntime(spec, options, stateDir);
      // A what-if is not the build: it leaves the record of the build's own `up` (and its resume command) alone.
      if (!options.whatif) recordRun(stateDir, process.argv.slice(2));
      let stopping = false;
      const stopOnSignal = (signal: NodeJS.Signals) => {
        if (stopping) return stopNow(signal, spec, options);
        stopping = true;
        void interrupted(runtime, stateDir, spec, options, signal);
      };
      process.on("SIGINT", stopOnSignal);
      process.on("SIGTERM", stopOnSignal);
      try {
        const code = await buildWith(runtime, spec, options);
        setExitCode(code);
      } finally {
        process.off("SIGINT", stopOnSignal);
        process.off("SIGTERM", stopOnSignal);
        await runtime.stop();
      }
    });

  program
    .command("status")
    .description(
      "Show the last build of an environment on this machine (progress, failures): on the sandbox, a subscription, or every target with a build of it.",
    )
    .option("--env <name>", "environment name", "k8s-demo")
    .option("--state-dir <dir>", STATE_DIR_HELP)
    .addOption(new Option("--format <format>", "output").choices(["json", "text"]).default("text"))
    .action(async (options: { env: string; stateDir?: string; format: "json" | "text" }) => {
      const stateDir = stateDirOf({ sandbox: true, ...options });
      const runtime = await openBuildRecords(stateDir);
      try {
        // The build, never a what-if: a preview is not "the last build".
        const view = await runtime.instances.get(buildInstanceId(options.env));
        if (!view) {
          process.stderr.write(`no build of ${options.env} has run on this machine\n`);
          setExitCode(1);
          return;
        }
        const status = await mergedStatus(view, runtime.instances);
        const stopped = isActive(view) ? interruption(stateDir) : undefined;
        const canceled = cancellationOf(view);
        const shown = shownStatus(view, stopped);
        // A cluster torn down since the build: its deployments no longer describe anything that exists.
        const removals = new Map<string, ClusterRemoval>();
        for (const cluster of new Set((status?.deployments ?? []).flatMap((d) => d.cluster ?? []))) {
          const removal = await clusterRemoval(options.env, cluster, runtime.instances);
          if (removal) removals.set(cluster, removal);
        }
        if (options.format === "json") {
          process.stdout.write(
            `${JSON.stringify({ ...view, runtimeStatus: shown, progress: status, ...(stopped ? { interrupted: stopped } : {}), removedClusters: Object.fromEntries(removals) }, null, 2)}\n`,
          );
        } else {
          process.stdout.write(statusText(options.env, view, status, stopped, removals));
        }
        setExitCode(!stopped && (isActive(view) || (view.runtimeStatus === "Completed" && !canceled)) ? 0 : 1);
      } finally {
        await runtime.stop();
      }
    });
};

function shownStatus(view: InstanceView, stopped: RunRecord | undefined): string {
  if (stopped) return "Interrupted";
  return cancellationOf(view) ? "Canceled" : view.runtimeStatus;
}

/** `status` as text: the build's state, why it stopped (interrupted, cancelled, failed) and each deployment's cause. */
export function statusText(
  env: string,
  view: InstanceView,
  status: BuildStatus | undefined,
  stopped: RunRecord | undefined,
  removals: ReadonlyMap<string, ClusterRemoval> = new Map(),
): string {
  const lines = [`${env}: ${shownStatus(view, stopped)} (last update ${view.lastUpdatedTime ?? "?"})`];
  if (stopped) {
    const how = stopped.interrupted
      ? `by ${stopped.interrupted.signal} at ${stopped.interrupted.at}`
      : "its process is gone";
    lines.push(`  interrupted ${how}: nothing drives it now; resume with: aks-platform ${stopped.args.join(" ")}`);
  }
  for (const [cluster, r] of removals) {
    const detail =
      r.state === "removed"
        ? `backups ${r.backups ?? "kept"}; \`aks-platform up\` rebuilds it${r.backups === "deleted" ? "" : ", `aks-platform restore` restores it"}`
        : r.state === "teardown failed"
          ? `left: ${(r.left ?? []).join(", ")}; run the teardown again`
          : "the teardown is running";
    lines.push(`  cluster ${cluster}: ${r.state} ${r.at} (${detail})`);
  }
  const deployments = status?.deployments ?? [];
  for (const d of deployments) {
    const state = d.cluster !== undefined && removals.get(d.cluster)?.state === "removed" ? "removed" : d.state;
    lines.push(`  ${state.padEnd(9)} ${d.name}${d.error ? `  ${describeCause(d.error)}` : ""}`);
  }
  // A build that failed before any deployment (while planning) has its reason only in its output.
  if (view.runtimeStatus === "Failed" && !deployments.some((d) => d.error))
    lines.push(`reason: ${typeof view.output === "string" ? view.output : JSON.stringify(view.output)}`);
  return `${lines.join("\n")}\n`;
}

export async function startAzureRuntime(
  spec: PlatformSpec,
  options: Pick<UpOptions, "armEndpoint">,
  stateDir: string,
): Promise<LocalRuntime> {
  if (spec.subscriptionId === UNSET_SUBSCRIPTION_ID)
    throw new CliUsageError("--subscription needs a real subscription id");
  if (options.armEndpoint !== undefined) {
    if (isLoopbackUrl(options.armEndpoint) && !process.env.AKS_PLATFORM_ARM_TOKEN) {
      throw new CliUsageError("a loopback --arm-endpoint needs its bearer token in AKS_PLATFORM_ARM_TOKEN");
    }
    process.env.AKS_PLATFORM_ARM_ENDPOINT = options.armEndpoint;
  }
  // The login first: without it nothing below can work, and it would only show up later as a failed deployment.
  await checkAzureLogin(process.env.AKS_PLATFORM_ARM_ENDPOINT || undefined);
  // Durable state stays on this machine (Azurite); ARM calls go to Azure with DefaultAzureCredential.
  return startLocalRuntime({ stateDir, timeScale: 1 });
}

async function buildWith(runtime: LocalRuntime, spec: PlatformSpec, options: UpOptions): Promise<number> {
  const realAzure = !options.sandbox;
  if (realAzure && !options.whatif) {
    // Show the plan and what would change first; deploy only once a person said yes (or --yes).
    const plan = buildPlan(spec);
    process.stdout.write(renderPlanText(plan, criticalPath(plan)));
    const preview = await runOnce(runtime, spec, "whatif", options);
    if (preview.runtimeStatus !== "Completed") return 1;
    printWhatIf(preview.status?.deployments ?? []);
    if (!options.yes && !(await confirm(`Deploy ${spec.name} to subscription ${spec.subscriptionId}?`))) {
      process.stdout.write("Nothing deployed.\n");
      return 1;
    }
  }
  const outcome = await runOnce(runtime, spec, options.whatif ? "whatif" : "deploy", options);
  if (options.whatif) {
    // Read-only everywhere: the report of the last build stays as it is.
    printWhatIf(outcome.status?.deployments ?? []);
    printWhatIfSummary(spec, outcome);
    return outcome.runtimeStatus === "Completed" ? 0 : 1;
  }
  const reportDir = reportDirOf(options, spec.name);
  const counters = runtime.sandbox?.counters.snapshot();
  const files = await writeBuildReport(reportDir, spec, outcome, counters ? { sandboxCounters: counters } : {});
  printSummary(spec, outcome, files, runtime.sandbox !== undefined);
  return outcome.runtimeStatus === "Completed" ? 0 : 1;
}

/** Where `up` writes the build's report: `--report`, else the target's own folder (a sandbox run never overwrites a subscription's report). */
export function reportDirOf(
  options: Pick<UpOptions, "report" | "sandbox" | "subscription" | "armEndpoint">,
  environment: string,
): string {
  return path.resolve(options.report ?? targetReportDir(targetOf(options), environment));
}

async function runOnce(
  runtime: LocalRuntime,
  spec: PlatformSpec,
  mode: BuildMode,
  options: UpOptions,
): Promise<BuildOutcome> {
  const view = new BuildProgressView();
  process.stdout.write(
    `${mode === "whatif" ? "What-if" : "Build"} of ${spec.name} in ${spec.location}${options.sandbox ? " (sandbox ARM, simulated time)" : ""}\n`,
  );
  // Registered like a build the HTTP API accepts, in the target's own storage: `serve` on the same state, `env list`
  // and the timers know it (its end is recorded by the build itself). A what-if registers nothing.
  if (mode === "deploy")
    await (
      await EnvironmentRegistry.open({ storage: azureContext().hostStorage(process.env) })
    ).recordBuildAccepted(spec, new Date());
  const outcome = await runBuild(runtime, spec, mode, {
    ...(cliConventions().quiet ? {} : { onProgress: (s: BuildStatus | undefined, r: string) => view.update(s, r) }),
  });
  if (outcome.resumed) process.stdout.write("(resumed an interrupted build of this environment)\n");
  return outcome;
}

function printWhatIf(deployments: readonly DeploymentProgress[]): void {
  for (const d of deployments) {
    const w = d.whatIf;
    if (!w) continue;
    process.stdout.write(
      `  ${d.name}: ${w.create} create, ${w.modify} modify, ${w.delete} delete, ${w.noChange} unchanged\n`,
    );
    for (const change of w.changes) process.stdout.write(`      ${change}\n`);
  }
}

function printWhatIfSummary(spec: PlatformSpec, outcome: BuildOutcome): void {
  const deployments = outcome.status?.deployments ?? [];
  const total = (key: keyof Omit<WhatIfSummary, "changes">) =>
    deployments.reduce((sum, d) => sum + (d.whatIf?.[key] ?? 0), 0);
  const failed = deployments.filter((d) => d.state === "failed");
  process.stdout.write(
    [
      "",
      `${spec.name}: what-if ${outcome.runtimeStatus} — ${deployments.length} deployments: ${total("create")} to create, ` +
        `${total("modify")} to modify, ${total("delete")} to delete, ${total("noChange")} unchanged` +
        (failed.length > 0 ? `; ${failed.length} could not be evaluated` : "") +
        "; nothing was changed, no report written",
      ...failed.map((d) => `  ${d.name}: ${d.error ? describeCause(d.error) : "failed"}`),
      ...(outcome.failure !== undefined ? [outcome.failure] : []),
      "",
    ].join("\n"),
  );
}

/** Ctrl+C or SIGTERM during `up`: say what keeps running and how to resume, record it for `status`, stop cleanly. */
async function interrupted(
  runtime: LocalRuntime,
  stateDir: string,
  spec: PlatformSpec,
  options: UpOptions,
  signal: NodeJS.Signals,
): Promise<never> {
  // Recorded before anything is awaited, so that `status` knows even when a second signal ends the process at once.
  if (!options.whatif) recordInterruption(stateDir, signal, []);
  process.stderr.write(
    `\n${signal}: stopped driving the ${options.whatif ? "what-if" : "build"} of ${spec.name}; it is interrupted, not cancelled.\n`,
  );
  const running = await runningDeployments(
    runtime.instances,
    buildModeInstanceId(spec.name, options.whatif ? "whatif" : "deploy"),
  ).catch(() => [] as string[]);
  if (!options.whatif) recordInterruption(stateDir, signal, running);
  process.stderr.write(
    [
      running.length > 0
        ? `Left running in ${options.sandbox ? "the sandbox ARM (its state is kept)" : "ARM"}: ${running.join(", ")}.`
        : "No deployment was running.",
      ...resumeLines(spec, options),
      "",
    ].join("\n"),
  );
  await runtime.stop().catch(() => undefined);
  process.exit(exitCodeOf(signal));
}

/** A second Ctrl+C while `up` stops: leave at once, still saying how to resume. */
function stopNow(signal: NodeJS.Signals, spec: PlatformSpec, options: UpOptions): never {
  process.stderr.write([`${signal} again: exiting now.`, ...resumeLines(spec, options), ""].join("\n"));
  process.exit(exitCodeOf(signal));
}

function resumeLines(spec: PlatformSpec, options: UpOptions): string[] {
  return [
    `Resume: aks-platform ${process.argv.slice(2).join(" ")}`,
    `Status: aks-platform status --env ${spec.name}${options.stateDir ? ` --state-dir ${options.stateDir}` : ""}`,
  ];
}

const exitCodeOf = (signal: NodeJS.Signals) => (signal === "SIGINT" ? 130 : 143);

function printSummary(spec: PlatformSpec, outcome: BuildOutcome, files: string[], simulated: boolean): void {
  const deployments = outcome.status?.deployments ?? [];
  const count = (state: DeploymentProgress["state"]) => deployments.filter((d) => d.state === state).length;
  const minutes = (makespanSeconds(deployments) / 60).toFixed(1);
  process.stdout.write(
    [
      "",
      `${spec.name}: ${outcome.runtimeStatus} — ${count("succeeded")} succeeded (${deployments.filter((d) => d.reused).length} unchanged), ` +
        `${count("failed")} failed, ${count("skipped")} skipped; ${minutes} min${simulated ? " simulated" : ""}`,
      ...(outcome.failure !== undefined ? [outcome.failure] : []),
      `report: ${path.dirname(files[0] ?? ".")} (${files.map((f) => path.basename(f)).join(", ")})`,
      "",
    ].join("\n"),
  );
}
