import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import { parseCancelRequest } from "../../lib/api/cancel-request";
import { CANCEL_EVENT, restoreRebuildInstanceId } from "../../lib/api/instance-ids";
import { elapsedMinutes, RESTORE_TARGET_MINUTES, vaultOf, type WorkloadCheck } from "../../lib/backup";
import { backupInstanceName } from "../../lib/plan/units";
import { Activities, Orchestrations } from "../../lib/function-names";
import { describeCause, type DeploymentProgress } from "../../lib/plan/progress";
import type { ComputePlanResult, DeploymentRef } from "../build/contracts";
import type { ForgetClusterDeploymentsInput } from "../teardown/contracts";
import type { GetRestoreJobResult } from "./activities/getRestoreJob";
import type { TriggerRestoreResult } from "./activities/triggerRestore";
import type { ValidateRestoreInput } from "../backup/contracts";
import type { ValidateRestoreTargetResult } from "./activities/validateRestoreTarget";
import { orchestrationInput } from "../shared/boundary";
import { innermostFailure } from "./rebuildFailure";
import {
  restoreClusterInputSchema,
  type CheckWorkloadsInput,
  type GetRestoreJobInput,
  type NotifyRestoreResultInput,
  type RestoreOutcome,
  type StopRestoreRebuildInput,
  type TriggerRestoreInput,
  type ValidateRestoreTargetInput,
} from "./contracts";
import type { RestoreStatus, RestoreValidation } from "../../lib/backup";
import { pinnedPlan } from "../build/deploymentLoop";
import { EventListener, settleAll, transientRetry, waitForNextPoll } from "../shared/longRunning";
import type { RecordEnvironmentStateInput } from "../shared/contracts";
import type { DeployUnitsInput, DeployUnitsResult } from "../build/deployUnits";

/**
 * OPS-7 cluster failure: if the cluster is gone, rebuild it through the provisioning deployments of that cluster
 * (a deployUnits sub-orchestration; the shared deployments it needs are already there), validate the restore,
 * restore from the newest (or the chosen) recovery point, wait for the job with durable timers, check the
 * workloads with a run command, and report the elapsed time against the ~30 min target.
 *
 * A cancel (the restore cancel API raises CANCEL_EVENT here and on the rebuild) is looked for before every step and
 * ends every wait: nothing starts after it, the rebuild stops as a build's deployments do, and the restore completes
 * `canceled` naming what it left running. Data Protection has no cancel for a backup vault's jobs (its job API only
 * gets and lists them: https://learn.microsoft.com/powershell/module/az.dataprotection/get-azdataprotectionjob;
 * cancelling jobs is a Recovery Services vault operation), so a restore job already started runs to its end.
 */

const MAX_JOB_WAIT_MINUTES = 180;
const WORKLOAD_CHECKS = 5;
const WORKLOAD_RECHECK_SECONDS = 60;

export const restoreClusterOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = orchestrationInput(context, restoreClusterInputSchema);
  const startedAt = context.df.currentUtcDateTime.toISOString();
  const cluster = input.spec.clusters.find((c) => c.name === input.cluster);
  if (!cluster) throw new Error(`restore: environment ${input.spec.name} has no cluster ${input.cluster}`);
  const vault = vaultOf(input.spec);
  const backupInstance = backupInstanceName(cluster);
  const status: RestoreStatus = { stage: "checking", rebuilt: false };
  context.df.setCustomStatus(status);

  const cancel = new EventListener(context, CANCEL_EVENT);

  const finish = function* (outcome: RestoreOutcome["outcome"], extra: Partial<RestoreOutcome>) {
    const endedAt = context.df.currentUtcDateTime.toISOString();
    const result: RestoreOutcome = {
      outcome,
      environment: input.spec.name,
      cluster: cluster.name,
      backupInstance,
      rebuilt: status.rebuilt,
      ...(status.resumed !== undefined ? { resumed: status.resumed } : {}),
      startedAt,
      endedAt,
      elapsedMinutes: elapsedMinutes(startedAt, endedAt),
      targetMinutes: RESTORE_TARGET_MINUTES,
      ...extra,
    };
    status.stage = outcome;
    context.df.setCustomStatus(status);
    // The end goes to the environment's channels and to the registry of environments.
    yield* settleAll(context, [
      context.df.callActivity(Activities.recordEnvironmentState, {
        spec: input.spec,
        work: {
          kind: "restore",
          cluster: cluster.name,
          outcome: outcome === "restored" ? "succeeded" : outcome === "canceled" ? "canceled" : "failed",
          ...(result.reason !== undefined ? { error: result.reason } : {}),
          startedAt,
          endedAt,
        },
      } satisfies RecordEnvironmentStateInput),
      context.df.callActivity(Activities.notifyRestoreResult, {
        result,
        notifications: input.spec.notifications,
        correlationId: context.df.instanceId,
      } satisfies NotifyRestoreResultInput),
    ]);
    return result;
  };

  /** Ends the restore after a cancel heard while at `stage`, naming what it could not stop. */
  const stopped = function* (stage: string, left: string[], extra: Partial<RestoreOutcome> = {}, note = "") {
    const request = parseCancelRequest(cancel.payload);
    status.cancelRequestedAt ??= context.df.currentUtcDateTime.toISOString();
    return yield* finish("canceled", {
      ...extra,
      reason: `cancelled${request?.requestedBy ? ` by ${request.requestedBy}` : ""} at the ${stage} step${note}; ${left.length > 0 ? `left running: ${left.join("; ")}` : "nothing left running"}`,
      canceled: { requestedAt: status.cancelRequestedAt, ...request, stage, left },
    });
  };

  // The plan names the shared deployments a rebuild depends on.
  const plan = (yield context.df.callActivity(Activities.computePlan, { spec: input.spec })) as ComputePlanResult;
  const clusterUnits = plan.units.filter((u) => u.cluster === cluster.name);
  const clusterNames = new Set(clusterUnits.map((u) => u.name));
  const byName = new Map(plan.units.map((u) => [u.name, u]));
  const refOf = (u: (typeof plan.units)[number]): DeploymentRef => ({
    name: u.name,
    scope: u.scope,
    subscriptionId: input.spec.subscriptionId,
    location: input.spec.location,
    ...(u.resourceGroup !== undefined ? { resourceGroup: u.resourceGroup } : {}),
  });
  const prerequisites: DeploymentRef[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const unit = byName.get(name);
    if (!unit) return;
    for (const d of unit.dependsOn) visit(d);
    if (!clusterNames.has(name)) prerequisites.push(refOf(unit));
  };
  for (const u of clusterUnits) for (const d of u.dependsOn) visit(d);
  if (yield* cancel.check()) return yield* stopped("checking", []);

  const target = (yield context.df.callActivityWithRetry(Activities.validateRestoreTarget, transientRetry, {
    vault,
    backupInstance,
    cluster: { name: cluster.name, resourceGroup: cluster.resourceGroup, aksName: cluster.aksName },
    prerequisites,
    clusterDeployments: clusterUnits.map(refOf),
    // A teardown forgets the network deployment (the cluster's peerings): the rebuild recreates them.
    redeployable: prerequisites.filter((p) => byName.get(p.name)?.template === "network.json").map((p) => p.name),
    ...(input.recoveryPointId !== undefined ? { recoveryPointId: input.recoveryPointId } : {}),
  } satisfies ValidateRestoreTargetInput)) as ValidateRestoreTargetResult;
  if (!target.ok) return yield* finish("refused", { reason: target.reason });
  const recoveryPoint = target.recoveryPoint;
  status.recoveryPoint = recoveryPoint.name;
  if (yield* cancel.check()) return yield* stopped("checking", [], { recoveryPoint });

  // A cluster that is gone is rebuilt; one a cancelled restore (or build) left without some of its deployments (its
  // add-ons, backup extension, trusted access) gets them: the backup vault restores only into a cluster with both.
  const unfinished = target.clusterExists ? (target.unfinished ?? []) : [];
  if (!target.clusterExists || unfinished.length > 0) {
    status.stage = "rebuilding";
    status.rebuilt = true;
    if (unfinished.length > 0) status.resumed = unfinished;
    context.df.setCustomStatus(status);
    const { spec, plan: pinned } = yield* pinnedPlan(context, input.spec);
    const redeploy = new Set(target.redeploy ?? []);
    const rebuildUnits = pinned.units.filter((u) => u.cluster === cluster.name || redeploy.has(u.name));
    // A lost cluster's records are dropped so that it is redeployed, not reused. An existing cluster's stay: its
    // succeeded deployments are reused as they are (startDeployment), only the unfinished ones run.
    if (!target.clusterExists)
      yield context.df.callActivityWithRetry(Activities.forgetClusterDeployments, transientRetry, {
        subscriptionId: spec.subscriptionId,
        deployments: rebuildUnits.map(refOf),
      } satisfies ForgetClusterDeploymentsInput);
    if (yield* cancel.check()) return yield* stopped("rebuilding", [], { recoveryPoint });
    const done: DeploymentProgress[] = prerequisites
      .filter((p) => !redeploy.has(p.name))
      .map((p) => ({
        name: p.name,
        phase: byName.get(p.name)!.phase,
        state: "succeeded",
      }));
    // Listed before it starts, so that a cancel arriving as it starts reaches it (lib/api/cancel-tree).
    status.rebuildInstanceId = restoreRebuildInstanceId(
      context.df.instanceId,
      context.df.newGuid(`${context.df.instanceId}:rebuild`).slice(0, 8),
    );
    context.df.setCustomStatus(status);
    const rebuildTask = context.df.callSubOrchestrator(
      Orchestrations.deployUnits,
      {
        environment: spec.name,
        target: { subscriptionId: spec.subscriptionId, location: spec.location },
        label: `cluster ${cluster.name}`,
        mode: "deploy",
        maxDeploymentSeconds: 90 * 60,
        units: rebuildUnits,
        deployments: done,
        outputs: target.outputs,
      } satisfies DeployUnitsInput,
      status.rebuildInstanceId,
    );
    // The rebuild hears the cancel (the cancel API raises it there too, and the restore raises it again for a rebuild
    // that API's reach missed): it stops before its next deployment and cancels (or awaits) the ones ARM had
    // accepted, as a build's do. Marked here, so that the API stops reaching for the rebuild, which is then awaited.
    let rebuild: DeployUnitsResult;
    let unreachedNote = "";
    try {
      if (yield* cancel.race(rebuildTask)) {
        status.cancelRequestedAt = context.df.currentUtcDateTime.toISOString();
        context.df.setCustomStatus(status);
        const [raised] = yield* settleAll(context, [
          context.df.callActivityWithRetry(Activities.stopRestoreRebuild, transientRetry, {
            rebuildInstanceId: status.rebuildInstanceId,
            request: parseCancelRequest(cancel.payload) ?? { request: `cancel event on ${context.df.instanceId}` },
          } satisfies StopRestoreRebuildInput),
        ]);
        // Not reached: the rebuild runs to its end (awaited below), which the result says.
        if (!raised!.ok)
          unreachedNote = ` (the cancel could not be raised on the rebuild, which ran to its end: ${innermostFailure(raised!.error)})`;
      }
      rebuild = (yield rebuildTask) as DeployUnitsResult;
    } catch (err) {
      // The rebuild crashed (an activity failed past its retries) or was terminated: the restore still ends as a
      // restore does, naming the rebuild and its innermost cause, so that it is reported once and can be posted again.
      const cause = `the rebuild ${status.rebuildInstanceId} ended without a result: ${innermostFailure(err)}`;
      if (yield* cancel.check()) return yield* stopped("rebuilding", [], { recoveryPoint }, ` (${cause})`);
      return yield* finish("failed", { recoveryPoint, reason: `rebuilding the cluster failed: ${cause}` });
    }
    if (yield* cancel.check()) {
      const notDone = rebuild.deployments.filter((d) => d.state !== "succeeded").map((d) => d.name);
      return yield* stopped(
        "rebuilding",
        [],
        { recoveryPoint },
        `${notDone.length > 0 ? ` (the cluster is only partly rebuilt, not deployed: ${notDone.join(", ")})` : ""}${unreachedNote}`,
      );
    }
    const failed = rebuild.deployments.filter((d) => d.state === "failed" || d.state === "skipped");
    if (failed.length > 0) {
      // Each deployment's innermost cause (ARM's DeploymentFailed wrapper says nothing by itself).
      const reason = failed.map((d) => `${d.name}: ${d.error ? describeCause(d.error) : d.state}`).join("; ");
      return yield* finish("failed", { recoveryPoint, reason: `rebuilding the cluster failed: ${reason}` });
    }
  }

  status.stage = "validating";
  context.df.setCustomStatus(status);
  const validation = (yield context.df.callActivityWithRetry(Activities.validateRestore, transientRetry, {
    vault,
    instance: backupInstance,
    location: input.spec.location,
    recoveryPointId: recoveryPoint.name,
  } satisfies ValidateRestoreInput)) as RestoreValidation;
  if (!validation.ok)
    return yield* finish("failed", {
      recoveryPoint,
      reason: `restore validation failed: ${validation.error ?? "no details"}`,
    });

  if (yield* cancel.check()) return yield* stopped("restoring", [], { recoveryPoint });
  status.stage = "restoring";
  context.df.setCustomStatus(status);
  const started = (yield context.df.callActivityWithRetry(Activities.triggerRestore, transientRetry, {
    vault,
    backupInstance,
    recoveryPoint: recoveryPoint.name,
    location: input.spec.location,
  } satisfies TriggerRestoreInput)) as TriggerRestoreResult;
  if (started.kind === "failed")
    return yield* finish("failed", { recoveryPoint, reason: `the restore could not be started: ${started.error}` });

  let poll: GetRestoreJobInput =
    started.kind === "started"
      ? { vault, statusUrl: started.statusUrl }
      : { vault, ...(started.jobId !== undefined ? { jobId: started.jobId } : {}) };
  let wait = started.kind === "started" ? started.retryAfterSeconds : 0;
  const deadline = context.df.currentUtcDateTime.getTime() + MAX_JOB_WAIT_MINUTES * 60_000;
  let job: GetRestoreJobResult;
  const jobLeft = () => [
    `restore job ${poll.jobId ?? "(being created)"} in vault ${vault.vault}: Data Protection cannot cancel it, it runs to its end`,
  ];
  for (;;) {
    const at = context.df.currentUtcDateTime.getTime() + Math.min(Math.max(wait, 5), 120) * 1000;
    if (wait > 0 && (yield* waitForNextPoll(context, { nextPollAt: () => at }, cancel)) === "cancel")
      return yield* stopped("restoring", jobLeft(), { recoveryPoint, ...(poll.jobId ? { jobId: poll.jobId } : {}) });
    job = (yield context.df.callActivityWithRetry(
      Activities.getRestoreJob,
      transientRetry,
      poll,
    )) as GetRestoreJobResult;
    if (job.jobId !== undefined && poll.jobId === undefined) {
      poll = { vault, jobId: job.jobId };
      status.jobId = job.jobId;
      context.df.setCustomStatus(status);
    }
    if (job.state !== "running") break;
    if (context.df.currentUtcDateTime.getTime() > deadline) {
      return yield* finish("failed", {
        recoveryPoint,
        ...(job.jobId ? { jobId: job.jobId } : {}),
        reason: `the restore job did not finish within ${MAX_JOB_WAIT_MINUTES} minutes`,
      });
    }
    wait = job.retryAfterSeconds;
  }
  const jobId = job.jobId !== undefined ? { jobId: job.jobId } : {};
  if (job.state === "failed") return yield* finish("failed", { recoveryPoint, ...jobId, reason: job.error });

  if (yield* cancel.check()) return yield* stopped("checking workloads", [], { recoveryPoint, ...jobId });
  status.stage = "checking workloads";
  context.df.setCustomStatus(status);
  let workloads: WorkloadCheck | undefined;
  for (let attempt = 1; attempt <= WORKLOAD_CHECKS; attempt++) {
    workloads = (yield context.df.callActivityWithRetry(Activities.checkWorkloads, transientRetry, {
      subscriptionId: input.spec.subscriptionId,
      resourceGroup: cluster.resourceGroup,
      aksName: cluster.aksName,
    } satisfies CheckWorkloadsInput)) as WorkloadCheck;
    if (workloads.ok || attempt === WORKLOAD_CHECKS) break;
    const at = context.df.currentUtcDateTime.getTime() + WORKLOAD_RECHECK_SECONDS * 1000;
    if ((yield* waitForNextPoll(context, { nextPollAt: () => at }, cancel)) === "cancel")
      return yield* stopped("checking workloads", [], { recoveryPoint, ...jobId, workloads: workloads.message });
  }
  if (!workloads!.ok)
    return yield* finish("failed", {
      recoveryPoint,
      ...jobId,
      workloads: workloads!.message,
      reason: `the restore finished but the workloads are not back: ${workloads!.message}`,
    });
  return yield* finish("restored", { recoveryPoint, ...jobId, workloads: workloads!.message });
};

df.app.orchestration(Orchestrations.restoreCluster, restoreClusterOrchestrator);
