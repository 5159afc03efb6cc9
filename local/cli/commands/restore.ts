import type { CancelRequest } from "../../../lib/api/cancel-request";
import { restoreInstanceId } from "../../../lib/api/instance-ids";
import { cancelRestore, restoreBlocker, type RestoreInstances } from "../../../lib/api/restore";
import { describeElapsed, type RestoreClusterInput } from "../../../lib/backup";
import { Orchestrations } from "../../../lib/function-names";
import { defaultSpec } from "../../../lib/spec";
import type { RestoreOutcome } from "../../../orchestrations/restore/contracts";
import type { LocalRuntime } from "../../build/runner";
import { STATE_DIR_HELP } from "../../build/target";
import { CliUsageError } from "../errors";
import type { RegisterCommand } from "./index";
import { openTarget, type TargetOptions } from "./down";
import { DEFAULT_SANDBOX_TIME_SCALE } from "../target-options";
import { exitCodeOf } from "./up";

/**
 * `aks-platform restore` (OPS-7, cluster failure): the restore orchestration driven in this process through the
 * local durable driver, on the platform `aks-platform up` built (same state folder, same spec). With `--sandbox` it
 * works on the sandbox platform `aks-platform up --sandbox` built, whose daily backups (and the first backup right
 * after the build) made its recovery points; with `--subscription` on Azure (DefaultAzureCredential) or any ARM
 * endpoint (`--arm-endpoint`). One restore per cluster at a time (the restore's instance id); a restore an
 * interrupted `restore` left in the state is resumed by the next `restore` of the cluster.
 * Ctrl+C (or SIGTERM) cancels the restore: it stops before its next step and says what it left running (a second
 * Ctrl+C stops waiting and leaves it interrupted); `--cancel` cancels one an interrupted `restore` left.
 * Exit 0 restored (or, with `--cancel`, cancelled), 1 refused, failed or nothing to cancel, 2 usage error,
 * 130/143 cancelled by SIGINT/SIGTERM.
 */

interface RestoreOptions extends TargetOptions {
  cluster: string;
  recoveryPoint?: string;
  cancel?: boolean;
}

function printResult(r: RestoreOutcome): void {
  const lines = [
    `restore of cluster ${r.cluster}: ${r.outcome.toUpperCase()}`,
    ...(r.reason ? [`  ${r.reason}`] : []),
    ...(r.recoveryPoint ? [`  recovery point ${r.recoveryPoint.name} (${r.recoveryPoint.time})`] : []),
    `  cluster rebuilt: ${r.rebuilt ? "yes" : "no"}`,
    ...(r.resumed?.length ? [`  finished (the cluster existed without them): ${r.resumed.join(", ")}`] : []),
    ...(r.jobId ? [`  restore job ${r.jobId}`] : []),
    ...(r.workloads ? [`  workloads: ${r.workloads}`] : []),
    ...(r.canceled?.left.length ? [`  left running: ${r.canceled.left.join("; ")}`] : []),
    `  elapsed ${describeElapsed(r.elapsedMinutes, r.targetMinutes, r.outcome === "restored")}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

async function waitWithProgress(
  runtime: LocalRuntime,
  instanceId: string,
): Promise<{ runtimeStatus: string; output: unknown }> {
  let lastStage = "";
  for (;;) {
    const status = await runtime.driver.getStatus(instanceId);
    const stage = (status?.customStatus as { stage?: string } | undefined)?.stage;
    if (stage && stage !== lastStage) {
      process.stderr.write(`… ${stage}\n`);
      lastStage = stage;
    }
    if (status && ["Completed", "Failed", "Terminated"].includes(status.runtimeStatus))
      return { runtimeStatus: status.runtimeStatus, output: status.output };
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export const register: RegisterCommand = (program, setExitCode) => {
  program
    .command("restore")
    .description(
      "Restore a cluster from its backup (OPS-7): rebuild it if it is gone, restore the newest (or a chosen) recovery point, check the workloads.",
    )
    .requiredOption("--cluster <name>", "cluster of the spec to restore (e.g. app2)")
    .option("--recovery-point <id>", "recovery point name or id (default: the newest)")
    .option(
      "--cancel",
      "cancel the restore of --cluster an interrupted `restore` left: it stops before its next step and says what it left running",
    )
    .option("--env <name>", "environment built or registered in the target's state", defaultSpec.name)
    .option("--sandbox", "work on the sandbox platform built by `aks-platform up --sandbox`")
    .option("--subscription <id>", "Azure subscription of the platform")
    .option("--arm-endpoint <url>", "ARM endpoint (sovereign cloud or an ARM-compatible stand-in; https)")
    .option("--time-scale <factor>", "sandbox: simulated seconds per real second", String(DEFAULT_SANDBOX_TIME_SCALE))
    .option("--state-dir <dir>", STATE_DIR_HELP)
    .action(async (options: RestoreOptions) => {
      const { spec, runtime } = await openTarget(options);
      const cluster = spec.clusters.find((c) => c.name === options.cluster);
      if (!cluster?.addons.backup) {
        await runtime.stop();
        throw new CliUsageError(
          !cluster
            ? `--cluster: environment ${spec.name} has no cluster ${options.cluster} (clusters: ${spec.clusters.map((c) => c.name).join(", ")})`
            : `--cluster: cluster ${cluster.name} is not backed up (addons.backup is false)`,
        );
      }
      // The API's instance id, so that a teardown or a second restore of the cluster sees this one running.
      const instanceId = restoreInstanceId(spec.name, cluster.name);
      const instances: Pick<RestoreInstances, "get" | "raise"> = runtime.instances;
      const cancelWith = (request: CancelRequest) => cancelRestore(spec.name, cluster.name, instances, request);
      let stoppedBy: NodeJS.Signals | undefined;
      const onSignal = (signal: NodeJS.Signals) => {
        const again = stoppedBy !== undefined;
        stoppedBy = signal;
        if (again) {
          process.stderr.write(
            [
              `${signal} again: exiting now; the restore of cluster ${cluster.name} is left interrupted (nothing drives it, a restore job it started keeps running in the vault).`,
              `Resume: aks-platform ${process.argv.slice(2).join(" ")}`,
              `Cancel: aks-platform ${process.argv.slice(2).join(" ")} --cancel`,
              "",
            ].join("\n"),
          );
          process.exit(exitCodeOf(signal));
        }
        process.stderr.write(
          `\n${signal}: cancelling the restore of cluster ${cluster.name}: it stops before its next step and says what it left running (${signal === "SIGINT" ? "Ctrl+C" : signal} again stops waiting and leaves it interrupted).\n`,
        );
        cancelWith({ request: `aks-platform restore (${signal})` }).catch((err: unknown) =>
          process.stderr.write(
            `error: the cancel did not reach the restore: ${err instanceof Error ? err.message : String(err)}\n`,
          ),
        );
      };
      try {
        if (options.cancel) {
          const cancelled = await cancelWith({ request: "aks-platform restore --cancel" });
          if (!cancelled.ok) {
            process.stderr.write(
              `error: no restore of cluster ${cluster.name} in environment ${spec.name} is running (${cancelled.runtimeStatus ?? "none was started"})\n`,
            );
            setExitCode(1);
            return;
          }
        } else {
          const blocked = await restoreBlocker(spec.name, cluster.name, instances);
          // Its own restore still active here was left by an interrupted `restore` (one process owns the state):
          // this process drives it on, as `up` resumes an interrupted build.
          if (blocked?.instanceId === instanceId)
            process.stderr.write(`(resuming the interrupted restore of cluster ${cluster.name})\n`);
          else if (blocked) {
            process.stderr.write(`error: ${blocked.reason}\n`);
            setExitCode(1);
            return;
          } else {
            const input: RestoreClusterInput = {
              spec,
              cluster: cluster.name,
              ...(options.recoveryPoint !== undefined ? { recoveryPointId: options.recoveryPoint } : {}),
            };
            await runtime.driver.startNew(Orchestrations.restoreCluster, { instanceId, input });
          }
          process.on("SIGINT", onSignal);
          process.on("SIGTERM", onSignal);
        }
        const done = await waitWithProgress(runtime, instanceId);
        if (done.runtimeStatus !== "Completed") {
          process.stderr.write(
            `error: the restore orchestration ${done.runtimeStatus.toLowerCase()}: ${typeof done.output === "string" ? done.output : JSON.stringify(done.output)}\n`,
          );
          setExitCode(1);
          return;
        }
        const result = done.output as RestoreOutcome;
        printResult(result);
        setExitCode(
          result.outcome === "restored" || (options.cancel && result.outcome === "canceled")
            ? 0
            : stoppedBy !== undefined && result.outcome === "canceled"
              ? exitCodeOf(stoppedBy)
              : 1,
        );
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        await runtime.stop();
      }
    });
};
