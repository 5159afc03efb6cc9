import { existsSync } from "node:fs";
import path from "node:path";
import { Option } from "commander";
import { azureContext } from "../../../lib/azure";
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
  type BuildInput,
  type BuildMode,
  type BuildStatus,
  type DeploymentProgress,
} from "../../../lib/plan/progress";
import { buildPlan, criticalPath, renderPlanText } from "../../../lib/plan";
import { makespanSeconds } from "../../../lib/plan/timeline";
import { defaultSpec, type PlatformSpec } from "../../../lib/spec";
import { writeBuildReport } from "../../build/report";
import {
  interruption,
  openBuildRecords,
  recordInterruption,
  recordRun,
  runBuild,
  runningDeployments,
  type BuildOutcome,
  type LocalRuntime,
  type RunRecord,
} from "../../build/runner";
import { confirm } from "../prompt";
import { CliUsageError, ExitCode } from "../errors";
import { BuildProgressView } from "../progress";
import { readSpec } from "../spec-input";
import {
  knownStateDirs,
  SANDBOX_SUBSCRIPTION_ID,
  STATE_DIR_HELP,
  stateDirOf,
  targetOf,
  targetReportDir,
} from "../../build/target";
import { cliConventions, note, outputFormat, printData } from "../output";
import { addTargetOptions, checkTarget, specOnTarget, startTargetRuntime } from "../target-options";
import { targetEnvironments, unknownEnvironment } from "../target-environments";
import type { RegisterCommand } from "./index";
import { printTargetPlan } from "./plan";

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
  timeScale?: string;
  report?: string;
  fresh?: boolean;
  whatif?: boolean;
  stateDir?: string;
}

export const register: RegisterCommand = (program, setExitCode) => {
  const up = program
    .command("up")
    .description(
      "Build (or resume building) the platform of a spec: against the local sandbox ARM, or a real subscription.",
    )
    .option("--spec <file>", "platform spec (JSON or YAML); default: the seed spec k8s-demo")
    .option("--yes", "do not ask for confirmation before deploying to Azure")
    .option("--whatif", "only run ARM what-if for every deployment; change nothing")
    .option("--report <dir>", "where to write the report (default: .local/reports/<target>/<environment>)")
    .option("--fresh", "sandbox: forget every earlier sandbox run and its simulated resources first");
  addTargetOptions(up, {
    sandbox: "build against the local sandbox ARM (no Azure account; time-scaled)",
    subscription: "build in this Azure subscription (DefaultAzureCredential)",
  }).action(async (options: UpOptions) => {
    const { timeScale } = checkTarget(options);
    const spec = specOnTarget(await readSpec(options.spec), options);
    const stateDir = stateDirOf(options);
    const runtime = await startTargetRuntime(options, timeScale, { fresh: options.fresh ?? false });
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
      "Show the last build of an environment on this machine (progress, failures): on the sandbox, a subscription, or (no target given) the first target with a build of it.",
    )
    .option("--env <name>", "environment name", "k8s-demo")
    .option("--sandbox", "the sandbox's builds (`up --sandbox`)")
    .option("--subscription <id>", "the builds `up --subscription ID` ran from this machine")
    .option("--arm-endpoint <url>", "with --subscription: the ARM endpoint those builds used")
    .option("--state-dir <dir>", STATE_DIR_HELP)
    .addOption(new Option("--format <format>", "the same as -o json / -o table").choices(["json", "text"]))
    .action(async (options: StatusOptions) => {
      if (options.sandbox && options.subscription !== undefined)
        throw new CliUsageError("choose one target: --sandbox or --subscription ID");
      if (options.armEndpoint !== undefined && options.subscription === undefined)
        throw new CliUsageError("--arm-endpoint needs --subscription (the subscription the builds ran in)");
      const format = outputFormat(options.format);
      const explicit = options.stateDir !== undefined || options.sandbox || options.subscription !== undefined;
      const chosen = stateDirOf(options);
      // A target never used here has no builds: nothing to open (and no folder to leave behind).
      const candidates = explicit ? (existsSync(chosen) ? [chosen] : []) : knownStateDirs();
      const found: { stateDir: string; runtime: BuildRecords; view: InstanceView }[] = [];
      try {
        for (const stateDir of candidates) {
          if (!explicit && found.length > 0) {
            // Only asked whether other targets have one too: the first (the sandbox's) is the one shown.
            const other = await openBuildRecords(stateDir);
            const view = await other.instances.get(buildInstanceId(options.env)).finally(() => other.stop());
            if (view)
              note(
                `(${options.env} was also built on target ${path.basename(stateDir)}: choose it with --subscription or --state-dir)`,
              );
            continue;
          }
          const runtime = await openBuildRecords(stateDir);
          // The build, never a what-if: a preview is not "the last build".
          const view = await runtime.instances.get(buildInstanceId(options.env));
          if (view) found.push({ stateDir, runtime, view });
          else await runtime.stop();
        }
        const shown = found[0];
        if (!shown) {
          // An environment no target's registry (nor a build) knows is a usage error naming the known ones.
          const known = new Set<string>([defaultSpec.name]);
          for (const stateDir of candidates) {
            const records = await openBuildRecords(stateDir);
            try {
              for (const name of (await targetEnvironments(records.environments)).keys()) known.add(name);
            } finally {
              await records.stop();
            }
          }
          // A target never used here has no registry to ask: its environments are unknown, not wrong.
          if (candidates.length > 0 && !known.has(options.env))
            throw unknownEnvironment(
              options.env,
              explicit ? `on target ${path.basename(chosen)}` : "on this machine",
              known,
            );
          const where = explicit ? ` (target ${path.basename(chosen)})` : "";
          process.stderr.write(`no build of ${options.env} has run on this machine${where}\n`);
          setExitCode(1);
          return;
        }
        const { stateDir, runtime, view } = shown;
        const status = await mergedStatus(view, runtime.instances);
        const stopped = isActive(view) ? interruption(stateDir) : undefined;
        const canceled = cancellationOf(view);
        // A cluster torn down since the build: its deployments no longer describe anything that exists.
        const removals = new Map<string, ClusterRemoval>();
        for (const cluster of new Set((status?.deployments ?? []).flatMap((d) => d.cluster ?? []))) {
          const removal = await clusterRemoval(options.env, cluster, runtime.instances);
          if (removal) removals.set(cluster, removal);
        }
        printData(
          format,
          {
            environment: options.env,
            target: path.basename(stateDir),
            stateDir,
            ...view,
            runtimeStatus: shownStatus(view, stopped),
            clock: workflowClock(view),
            progress: status,
            ...(stopped ? { interrupted: stopped } : {}),
            removedClusters: Object.fromEntries(removals),
          },
          () => statusText(options.env, view, status, stopped, removals),
        );
        setExitCode(!stopped && (isActive(view) || (view.runtimeStatus === "Completed" && !canceled)) ? 0 : 1);
      } finally {
        await Promise.all(found.map((f) => f.runtime.stop()));
      }
    });
};

interface StatusOptions {
  env: string;
  sandbox?: boolean;
  subscription?: string;
  armEndpoint?: string;
  stateDir?: string;
  format?: "json" | "text";
}

type BuildRecords = Awaited<ReturnType<typeof openBuildRecords>>;

function shownStatus(view: InstanceView, stopped: RunRecord | undefined): string {
  if (stopped) return "Interrupted";
  return cancellationOf(view) ? "Canceled" : view.runtimeStatus;
}

/**
 * Whose clock a build's times are on: a sandbox build's workflows run on the local driver's time-scaled clock
 * (`--time-scale`, 120× by default), which each process resumes from the last recorded time, so its times run ahead
 * of the wall clock and cannot be mapped back afterwards; a subscription's build runs on the wall clock.
 */
export function workflowClock(view: InstanceView): "simulated" | "wall" {
  const input = view.input as Partial<BuildInput> | undefined;
  return input?.spec?.subscriptionId === SANDBOX_SUBSCRIPTION_ID ? "simulated" : "wall";
}

/** `status` as text: the build's state, why it stopped (interrupted, cancelled, failed) and each deployment's cause. */
export function statusText(
  env: string,
  view: InstanceView,
  status: BuildStatus | undefined,
  stopped: RunRecord | undefined,
  removals: ReadonlyMap<string, ClusterRemoval> = new Map(),
): string {
  const simulated = workflowClock(view) === "simulated";
  const sim = simulated ? " simulated" : "";
  const lines = [`${env}: ${shownStatus(view, stopped)} (last update ${view.lastUpdatedTime ?? "?"}${sim})`];
  if (simulated) {
    const minutes = makespanSeconds(status?.deployments ?? []) / 60;
    lines.push(
      "  times: the sandbox's simulated clock (time-scaled, ahead of the wall clock), not real times" +
        (minutes > 0 ? `; the build took ${minutes.toFixed(1)} simulated min` : ""),
    );
  }
  if (stopped) {
    const how = stopped.interrupted
      ? `by ${stopped.interrupted.signal} at ${stopped.interrupted.at}${simulated ? " (wall clock)" : ""}`
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
    lines.push(`  cluster ${cluster}: ${r.state} ${r.at}${sim} (${detail})`);
  }
  const deployments = status?.deployments ?? [];
  if (status?.unlistedDeployments && isActive(view))
    lines.push(
      `  (${status.unlistedDeployments} per-cluster deployment(s) the build started are not listed yet: Durable caps its status at 16 KB; all are listed once the build ends)`,
    );
  for (const d of deployments) {
    const state = d.cluster !== undefined && removals.get(d.cluster)?.state === "removed" ? "removed" : d.state;
    lines.push(`  ${state.padEnd(9)} ${d.name}${d.error ? `  ${describeCause(d.error)}` : ""}`);
  }
  // A build that failed before any deployment (while planning) has its reason only in its output.
  if (view.runtimeStatus === "Failed" && !deployments.some((d) => d.error))
    lines.push(`reason: ${typeof view.output === "string" ? view.output : JSON.stringify(view.output)}`);
  return `${lines.join("\n")}\n`;
}

async function buildWith(runtime: LocalRuntime, spec: PlatformSpec, options: UpOptions): Promise<number> {
  const realAzure = !options.sandbox;
  if (realAzure && !options.whatif) {
    // Show the plan and what would change first; deploy only once a person said yes (or --yes).
    const plan = buildPlan(spec);
    process.stdout.write(renderPlanText(plan, criticalPath(plan)));
    const preview = await runOnce(runtime, spec, "whatif", options);
    // The per-resource plan `plan --subscription` shows; a unit ARM could not evaluate deploys nothing (exit 3).
    const previewed = printTargetPlan(spec, options, preview, "table", false);
    if (previewed !== ExitCode.ok) return previewed;
    if (!options.yes && !(await confirm(`Deploy ${spec.name} to subscription ${spec.subscriptionId}?`))) {
      process.stdout.write("Nothing deployed.\n");
      return 1;
    }
  }
  if (options.whatif) {
    // Exactly `plan` on this target (-o json|yaml|table, exit 3 when ARM could not evaluate a unit); read-only
    // everywhere: the report of the last build stays as it is.
    const outcome = await runOnce(runtime, spec, "whatif", options);
    const code = printTargetPlan(spec, options, outcome, outputFormat(), false);
    note("(a what-if: no report written)");
    return code;
  }
  const outcome = await runOnce(runtime, spec, "deploy", options);
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
  // A what-if's result is its plan on stdout (one document with -o json): its progress goes to stderr, as plan's.
  const whatIf = mode === "whatif";
  const view = new BuildProgressView(whatIf ? process.stderr : process.stdout);
  const heading = `${whatIf ? "What-if" : "Build"} of ${spec.name} in ${spec.location}${options.sandbox ? " (sandbox ARM, simulated time)" : ""}\n`;
  if (whatIf) note(heading);
  else process.stdout.write(heading);
  // Registered like a build the HTTP API accepts, in the target's own storage: `serve` on the same state, `env list`
  // and the timers know it (its end is recorded by the build itself). A what-if registers nothing.
  if (mode === "deploy")
    await (
      await EnvironmentRegistry.open({ storage: azureContext().hostStorage(process.env) })
    ).recordBuildAccepted(spec, new Date());
  const outcome = await runBuild(runtime, spec, mode, {
    ...(cliConventions().quiet ? {} : { onProgress: (s: BuildStatus | undefined, r: string) => view.update(s, r) }),
  });
  if (outcome.resumed)
    (whatIf ? process.stderr : process.stdout).write("(resumed an interrupted build of this environment)\n");
  return outcome;
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

export const exitCodeOf = (signal: NodeJS.Signals) => (signal === "SIGINT" ? 130 : 143);

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
