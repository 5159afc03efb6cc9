import { restoreInstanceId } from "../../../lib/api/instance-ids";
import { restoreBlocker } from "../../../lib/api/restore";
import { describeElapsed, type RestoreClusterInput } from "../../../lib/backup";
import { Orchestrations } from "../../../lib/function-names";
import { defaultSpec } from "../../../lib/spec";
import type { RestoreOutcome } from "../../../orchestrations/restore/contracts";
import { startLocalRuntime, type LocalRuntime } from "../../build/runner";
import { SANDBOX_SUBSCRIPTION_ID, STATE_DIR_HELP } from "../../build/target";
import { CliUsageError } from "../errors";
import type { RegisterCommand } from "./index";
import { openTarget, type TargetOptions } from "./down";
import { DEFAULT_SANDBOX_TIME_SCALE } from "../target-options";

/**
 * `aks-platform restore` (OPS-7, cluster failure): the restore orchestration driven in this process through the
 * local durable driver, on the platform `aks-platform up` built (same state folder, same spec). With `--sandbox` it
 * works on the sandbox platform `aks-platform up --sandbox` built, whose daily backups (and the first backup right
 * after the build) made its recovery points; with `--subscription` on Azure (DefaultAzureCredential) or any ARM
 * endpoint (`--arm-endpoint`). One restore per cluster at a time (the restore's instance id).
 * Exit 0 restored, 1 refused or failed, 2 usage error.
 */

interface RestoreOptions extends TargetOptions {
  cluster: string;
  recoveryPoint?: string;
}

function printResult(r: RestoreOutcome): void {
  const lines = [
    `restore of cluster ${r.cluster}: ${r.outcome.toUpperCase()}`,
    ...(r.reason ? [`  ${r.reason}`] : []),
    ...(r.recoveryPoint ? [`  recovery point ${r.recoveryPoint.name} (${r.recoveryPoint.time})`] : []),
    `  cluster rebuilt: ${r.rebuilt ? "yes" : "no"}`,
    ...(r.jobId ? [`  restore job ${r.jobId}`] : []),
    ...(r.workloads ? [`  workloads: ${r.workloads}`] : []),
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
    .option("--env <name>", "environment `up` built", defaultSpec.name)
    .option("--sandbox", "work on the sandbox platform built by `aks-platform up --sandbox`")
    .option("--subscription <id>", "Azure subscription of the platform")
    .option("--arm-endpoint <url>", "ARM endpoint (sovereign cloud or an ARM-compatible stand-in; https)")
    .option("--time-scale <factor>", "sandbox: simulated seconds per real second", String(DEFAULT_SANDBOX_TIME_SCALE))
    .option("--state-dir <dir>", STATE_DIR_HELP)
    .action(async (options: RestoreOptions) => {
      const target = await openTarget(options);
      if (!target) {
        setExitCode(1);
        return;
      }
      const { stateDir, timeScale, spec } = target;
      const cluster = spec.clusters.find((c) => c.name === options.cluster);
      if (!cluster)
        throw new CliUsageError(
          `--cluster: environment ${spec.name} has no cluster ${options.cluster} (clusters: ${spec.clusters.map((c) => c.name).join(", ")})`,
        );
      if (!cluster.addons.backup)
        throw new CliUsageError(`--cluster: cluster ${cluster.name} is not backed up (addons.backup is false)`);
      const runtime = await startLocalRuntime({
        stateDir,
        timeScale: options.sandbox ? timeScale : 1,
        // The same sandbox (state and subscription) that `up --sandbox` built.
        ...(options.sandbox ? { sandbox: { timeScale, subscriptionId: SANDBOX_SUBSCRIPTION_ID } } : {}),
      });
      try {
        const blocked = await restoreBlocker(spec.name, cluster.name, {
          status: async (id) => (await runtime.instances.get(id))?.runtimeStatus,
        });
        if (blocked) {
          process.stderr.write(`error: ${blocked.reason}\n`);
          setExitCode(1);
          return;
        }
        // The API's instance id, so that a teardown or a second restore of the cluster sees this one running.
        const instanceId = restoreInstanceId(spec.name, cluster.name);
        const input: RestoreClusterInput = {
          spec,
          cluster: cluster.name,
          ...(options.recoveryPoint !== undefined ? { recoveryPointId: options.recoveryPoint } : {}),
        };
        await runtime.driver.startNew(Orchestrations.restoreCluster, { instanceId, input });
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
        setExitCode(result.outcome === "restored" ? 0 : 1);
      } finally {
        await runtime.stop();
      }
    });
};
