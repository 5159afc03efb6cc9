import { existsSync } from "node:fs";
import path from "node:path";
import { Option } from "commander";
import {
  teardownBlocker,
  teardownInput,
  teardownInstanceId,
  type ClusterInstances,
  type TeardownResult,
  type TeardownStatus,
} from "../../../lib/api/clusters";
import { buildRecordEnvironments } from "../../../lib/api/environments";
import { Orchestrations } from "../../../lib/function-names";
import { defaultSpec, UNSET_SUBSCRIPTION_ID, type PlatformSpec } from "../../../lib/spec";
import { openBuildRecords, type LocalRuntime } from "../../build/runner";
import { STATE_DIR_HELP, stateDirOf } from "../../build/target";
import { confirm } from "../prompt";
import { CliUsageError } from "../errors";
import type { RegisterCommand } from "./index";
import { checkTarget, DEFAULT_SANDBOX_TIME_SCALE, startTargetRuntime } from "../target-options";
import { environmentOnTarget } from "../target-environments";

/**
 * `aks-platform down --cluster NAME` (RG-1): the teardown orchestration driven in this process through the local
 * durable driver, on the platform `aks-platform up` built (same state folder, same spec). With `--sandbox` it
 * never leaves this machine; on Azure only with `--subscription` and after a confirmation (or `--yes`). The
 * cluster's recovery points are kept (its backup instance stops protecting); `--delete-backups` deletes them, after
 * a second question.
 * Exit 0 torn down, 1 refused or failed, 2 usage error.
 */

interface DownOptions extends TargetOptions {
  cluster: string;
  yes?: boolean;
  deleteBackups?: boolean;
}

export const register: RegisterCommand = (program, setExitCode) => {
  program
    .command("down")
    .description(
      "Tear one cluster down: its resource group, its identities' role assignments and the peerings to its VNet; its backups are kept (protection stopped) unless --delete-backups. A later `up` or `restore` brings it back.",
    )
    .requiredOption("--cluster <name>", "cluster of the environment to tear down (e.g. app2)")
    .option("--env <name>", "environment built or registered in the target's state", defaultSpec.name)
    .option("--sandbox", "work on the sandbox platform built by `aks-platform up --sandbox`")
    .option("--subscription <id>", "Azure subscription of the platform (DefaultAzureCredential)")
    .option("--arm-endpoint <url>", "ARM endpoint (sovereign cloud or an ARM-compatible stand-in; https)")
    .option("--yes", "do not ask for confirmation")
    .option("--delete-backups", "also delete the cluster's backup instance and all its recovery points (asked twice)")
    .addOption(
      new Option("--time-scale <factor>", "sandbox: simulated seconds per real second").default(
        String(DEFAULT_SANDBOX_TIME_SCALE),
      ),
    )
    .option("--state-dir <dir>", STATE_DIR_HELP)
    .action(async (options: DownOptions) => {
      const { spec, runtime } = await openTarget(options);
      try {
        setExitCode(await tearDown(runtime, spec, options));
      } finally {
        await runtime.stop();
      }
    });
};

/** What `down` and `restore` take to name their target (checked by openTarget). */
export interface TargetOptions {
  env: string;
  sandbox?: boolean;
  subscription?: string;
  armEndpoint?: string;
  timeScale: string;
  stateDir?: string;
}

/**
 * The target of `down` or `restore`, its options checked (usage errors throw) and its ARM endpoint set, with its
 * local runtime started (the sandbox with `--sandbox`) and the environment `--env` names resolved through the
 * target's registry of environments (lib/environments, and the builds its task hub holds), as the sandbox or
 * `--subscription` runs it; an unknown one is a usage error naming the known (exit 2). The caller stops the runtime.
 */
export async function openTarget(
  options: TargetOptions,
): Promise<{ stateDir: string; timeScale: number; spec: PlatformSpec; runtime: LocalRuntime }> {
  const { timeScale } = checkTarget(options);
  const stateDir = stateDirOf(options);
  const runtime = await startTargetRuntime(options, timeScale);
  try {
    const { spec } = await environmentOnTarget(runtime, options.env, options);
    return { stateDir, timeScale, spec, runtime };
  } catch (err) {
    await runtime.stop();
    throw err;
  }
}

/**
 * The spec the environment was last built with here (read without a driver, so nothing resumes), with the
 * `--subscription` of an Azure teardown; a recorded build in another subscription is a usage error.
 */
export async function recordedSpec(
  stateDir: string,
  options: { env: string; subscription?: string },
): Promise<PlatformSpec | undefined> {
  // Nothing built here: the default environment is the seed spec (and no Azurite is started to find that out).
  if (!existsSync(path.join(stateDir, "azurite")))
    return options.env === defaultSpec.name ? withSubscription(defaultSpec, options.subscription) : undefined;
  const records = await openBuildRecords(stateDir);
  let recorded: PlatformSpec | undefined;
  try {
    recorded = (await buildRecordEnvironments(records.instances).find(options.env))?.spec;
  } finally {
    await records.stop();
  }
  if (!recorded) return undefined;
  if (
    options.subscription !== undefined &&
    recorded.subscriptionId !== UNSET_SUBSCRIPTION_ID &&
    recorded.subscriptionId !== options.subscription
  )
    throw new CliUsageError(
      `--subscription ${options.subscription}: environment ${options.env} was built in subscription ${recorded.subscriptionId}`,
    );
  return withSubscription(recorded, options.subscription);
}

function withSubscription(spec: PlatformSpec, subscription: string | undefined): PlatformSpec {
  return subscription === undefined ? spec : { ...spec, subscriptionId: subscription };
}

async function tearDown(runtime: LocalRuntime, spec: PlatformSpec, options: DownOptions): Promise<number> {
  const instances: ClusterInstances = {
    get: (instanceId) => runtime.instances.get(instanceId),
    async startTeardown(instanceId, input) {
      await runtime.driver.startNew(Orchestrations.teardownCluster, { instanceId, input });
    },
    managementUrls: () => ({}),
  };
  if (!spec.clusters.some((c) => c.name === options.cluster))
    throw new CliUsageError(
      `--cluster: environment ${spec.name} has no cluster ${options.cluster} (clusters: ${spec.clusters.map((c) => c.name).join(", ")})`,
    );
  const blocked = await teardownBlocker(spec.name, options.cluster, instances);
  if (blocked) {
    process.stderr.write(`error: ${(blocked.jsonBody as { error: string }).error}\n`);
    return 1;
  }
  const where = options.sandbox ? "(sandbox)" : `in subscription ${spec.subscriptionId}`;
  if (
    !options.yes &&
    !(await confirmTeardown(confirm, spec.name, options.cluster, where, options.deleteBackups ?? false))
  ) {
    process.stdout.write("Nothing deleted.\n");
    return 1;
  }

  const instanceId = teardownInstanceId(spec.name, options.cluster);
  await instances.startTeardown(
    instanceId,
    await teardownInput(spec, options.cluster, options.deleteBackups ?? false, instances),
  );
  let lastStage = "";
  for (;;) {
    const view = await runtime.instances.get(instanceId);
    const stage = (view?.customStatus as TeardownStatus | undefined)?.stage;
    if (stage !== undefined && stage !== lastStage) {
      process.stderr.write(`… ${stage}\n`);
      lastStage = stage;
    }
    if (view && ["Completed", "Failed", "Terminated"].includes(view.runtimeStatus)) {
      if (view.runtimeStatus !== "Completed") {
        const steps = (view.customStatus as TeardownStatus | undefined)?.steps ?? [];
        printSteps(steps);
        process.stderr.write(`error: the teardown ${view.runtimeStatus.toLowerCase()}: ${String(view.output)}\n`);
        return 1;
      }
      const result = view.output as TeardownResult;
      printSteps(result.steps);
      for (const kept of result.kept) process.stdout.write(`  kept    ${kept}\n`);
      if (result.canceled) {
        const by = result.canceled.requestedBy !== undefined ? ` by ${result.canceled.requestedBy}` : "";
        process.stderr.write(
          `teardown of cluster ${result.cluster} cancelled${by}: ${result.canceled.left.length} left; run \`aks-platform down --cluster ${result.cluster}\` again to finish it\n`,
        );
        return 1;
      }
      const absent = result.steps.filter((s) => s.state === "absent").length;
      process.stdout.write(
        `cluster ${result.cluster} torn down (${result.steps.filter((s) => s.state === "deleted").length} deleted` +
          `${absent > 0 ? `, ${absent} already absent` : ""}); ${result.forgottenDeployments.length} deployment records forgotten, so \`aks-platform up\` rebuilds it\n`,
      );
      return 0;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Asks before a teardown (every answer must be yes): one question saying what is deleted and what happens to the
 * backups, and with `deleteBackups` a second one, since the recovery points cannot come back.
 */
export async function confirmTeardown(
  ask: (question: string) => Promise<boolean>,
  environment: string,
  cluster: string,
  where: string,
  deleteBackups: boolean,
): Promise<boolean> {
  const backups = deleteBackups
    ? "its backup instance and ALL its recovery points are DELETED (it cannot be restored afterwards)"
    : "its backups are kept (protection stopped, recovery points retained for `aks-platform restore`)";
  if (
    !(await ask(
      `Tear down cluster ${cluster} of ${environment} ${where}? Its resource group, grants and peerings are deleted; ${backups}.`,
    ))
  )
    return false;
  return (
    !deleteBackups ||
    ask(
      `Really delete every recovery point of cluster ${cluster}? This cannot be undone (leave out --delete-backups to keep them).`,
    )
  );
}

const STEP_LABEL: Record<TeardownStatus["steps"][number]["state"], string> = {
  pending: "not done",
  deleting: "deleting",
  deleted: "deleted",
  absent: "already absent",
  stopped: "stopped",
  failed: "FAILED",
};

function printSteps(steps: TeardownStatus["steps"]): void {
  for (const s of steps)
    process.stdout.write(
      `  ${STEP_LABEL[s.state].padEnd(14)} ${s.what}${s.error ? `  ${s.error.code}: ${s.error.message}` : ""}\n`,
    );
}
