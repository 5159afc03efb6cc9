import { isLoopbackUrl } from "../../../lib/azure";
import { isActive } from "../../../lib/api/builds";
import { restoreInstanceId, teardownInstanceId } from "../../../lib/api/instance-ids";
import { describeElapsed, type RestoreClusterInput } from "../../../lib/backup";
import { Orchestrations } from "../../../lib/function-names";
import { defaultSpec, UNSET_SUBSCRIPTION_ID } from "../../../lib/spec";
import type { RestoreOutcome } from "../../../orchestrations/restore/contracts";
import { startLocalRuntime, type LocalRuntime } from "../../build/runner";
import { inSandbox, SANDBOX_SUBSCRIPTION_ID, STATE_DIR_HELP, stateDirOf } from "../../build/target";
import { CliUsageError } from "../errors";
import type { RegisterCommand } from "./index";
import { recordedSpec } from "./down";
import { DEFAULT_SANDBOX_TIME_SCALE } from "./up";

/**
 * `aks-platform restore` (OPS-7, cluster failure): the restore orchestration driven in this process through the
 * local durable driver, on the platform `aks-platform up` built (same state folder, same spec). With `--sandbox` it
 * works on the sandbox platform `aks-platform up --sandbox` built, whose daily backups (and the first backup right
 * after the build) made its recovery points; with `--subscription` on Azure (DefaultAzureCredential) or any ARM
 * endpoint (`--arm-endpoint`). One restore per cluster at a time (the restore's instance id).
 * Exit 0 restored, 1 refused or failed, 2 usage error.
 */

interface RestoreOptions {
  cluster: string;
  env: string;
  recoveryPoint?: string;
  sandbox?: boolean;
  subscription?: string;
  armEndpoint?: string;
  timeScale: string;
  stateDir?: string;
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
      if (Boolean(options.sandbox) === (options.subscription !== undefined)) {
        throw new CliUsageError(
          "choose exactly one target: --sandbox (the local sandbox platform) or --subscription ID (Azure)",
        );
      }
      if (options.sandbox && options.armEndpoint !== undefined)
        throw new CliUsageError("--arm-endpoint cannot be combined with --sandbox");
      const timeScale = Number(options.timeScale);
      if (!Number.isFinite(timeScale) || timeScale <= 0)
        throw new CliUsageError(`--time-scale "${options.timeScale}" must be a positive number`);
      if (options.subscription === UNSET_SUBSCRIPTION_ID)
        throw new CliUsageError("--subscription needs a real subscription id");
      const stateDir = stateDirOf(options);
      const recorded = await recordedSpec(stateDir, options);
      if (!recorded) {
        process.stderr.write(`error: environment ${options.env} has not been built here and is not the default\n`);
        setExitCode(1);
        return;
      }
      const base = options.sandbox ? inSandbox(recorded) : recorded;
      const cluster = base.clusters.find((c) => c.name === options.cluster);
      if (!cluster)
        throw new CliUsageError(
          `--cluster: environment ${base.name} has no cluster ${options.cluster} (clusters: ${base.clusters.map((c) => c.name).join(", ")})`,
        );
      if (!cluster.addons.backup)
        throw new CliUsageError(`--cluster: cluster ${cluster.name} is not backed up (addons.backup is false)`);
      if (options.armEndpoint !== undefined) {
        if (isLoopbackUrl(options.armEndpoint) && !process.env.AKS_PLATFORM_ARM_TOKEN)
          throw new CliUsageError("a loopback --arm-endpoint needs its bearer token in AKS_PLATFORM_ARM_TOKEN");
        process.env.AKS_PLATFORM_ARM_ENDPOINT = options.armEndpoint;
      }

      const runtime = await startLocalRuntime({
        stateDir,
        timeScale: options.sandbox ? timeScale : 1,
        // The same sandbox (state and subscription) that `up --sandbox` built.
        ...(options.sandbox ? { sandbox: { timeScale, subscriptionId: SANDBOX_SUBSCRIPTION_ID } } : {}),
      });
      try {
        const spec = base;
        const teardown = await runtime.instances.get(teardownInstanceId(spec.name, cluster.name));
        if (isActive(teardown)) {
          process.stderr.write(`error: a teardown of cluster ${cluster.name} is running; restore it after it ends\n`);
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
