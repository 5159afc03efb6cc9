import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler, Task } from "durable-functions";
import { parseCancelRequest } from "../../lib/api/cancel-request";
import { stepDone, type TeardownResult, type TeardownStatus, type TeardownStep } from "../../lib/api/clusters";
import { CANCEL_EVENT } from "../../lib/api/instance-ids";
import type { DeletePoll } from "../../lib/azure";
import { Activities, Orchestrations } from "../../lib/function-names";
import type { DeleteResourceResult } from "./activities/deleteResource";
import type { RecordEnvironmentStateInput } from "../shared/contracts";
import type { ClusterTeardownPlan, PlanClusterTeardownResult, TeardownTarget } from "./activities/planClusterTeardown";
import {
  EventListener,
  PollSchedule,
  settleAll,
  transientExhausted,
  transientRetry,
  waitForNextPoll,
  type Settled,
} from "../shared/longRunning";
import type { StopBackupProtectionResult } from "./activities/stopBackupProtection";
import { orchestrationInput } from "../shared/boundary";
import {
  teardownClusterInputSchema,
  type DeleteResourceInput,
  type ForgetClusterDeploymentsInput,
  type NotifyTeardownResultInput,
  type StopBackupProtectionInput,
} from "./contracts";

/**
 * RG-1: tears one cluster down. It first reads what belongs to the cluster (planClusterTeardown), then forgets the
 * cluster's deployment records (so a build started at any later point, even after a failed teardown, recreates
 * the cluster rather than trusting records of deleted resources), stops the protection of its backup instance so
 * that the recovery points outlive the cluster (or, asked to delete the backups, deletes the instance with them),
 * detaches what points at the cluster from the common group (role assignments of its identities, peerings to and
 * from its VNet), and last, when all of that is done, deletes its resource group. The common group is never deleted. Deletes are started and
 * then polled through the shared long-running-operation scheduler (orchestrations/shared/longRunning); those on one
 * VNet run one after another. The cancel event (raised by the teardown cancel API) is looked for before every
 * delete starts: after it nothing new starts, deletes ARM already accepted (which ARM cannot cancel) are awaited, and
 * the teardown completes with `canceled` naming what was deleted and what is left; running it again finishes it.
 */

/** Longest one delete may take before it is reported as failed (a cluster's group takes 10–20 minutes). */
const MAX_DELETE_MINUTES = 120;

export const teardownClusterOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = orchestrationInput(context, teardownClusterInputSchema);
  const status: TeardownStatus = {
    environment: input.spec.name,
    cluster: input.cluster,
    stage: "planning",
    startedAt: context.df.currentUtcDateTime.toISOString(),
    steps: [],
    kept: [],
  };
  const publish = () => context.df.setCustomStatus(status);
  publish();
  const cancel = new EventListener(context, CANCEL_EVENT);
  const noteCancel = () => {
    if (status.cancelRequestedAt !== undefined) return;
    status.cancelRequestedAt = context.df.currentUtcDateTime.toISOString();
    status.stage = "cancelling";
    publish();
  };

  // The end goes to the environment's channels and to the registry of environments.
  const notify = (result: TeardownResult) =>
    settleAll(context, [
      context.df.callActivity(Activities.recordEnvironmentState, {
        spec: input.spec,
        work: {
          kind: "teardown",
          cluster: input.cluster,
          outcome: result.canceled ? "canceled" : result.succeeded ? "succeeded" : "failed",
          ...(leftBehind(result) !== undefined ? { error: leftBehind(result) } : {}),
          startedAt: result.startedAt,
          endedAt: result.endedAt,
        },
      } satisfies RecordEnvironmentStateInput),
      context.df.callActivity(Activities.notifyTeardownResult, {
        result,
        notifications: input.spec.notifications,
        correlationId: context.df.instanceId,
      } satisfies NotifyTeardownResultInput),
    ]);

  /** What the teardown keeps on purpose beyond the plan's list (the backups whose protection it stopped). */
  const kept: string[] = [];
  let plan: ClusterTeardownPlan;
  let forgotten: { forgotten: string[] };
  try {
    const read = (yield context.df.callActivityWithRetry(
      Activities.planClusterTeardown,
      transientRetry,
      input,
    )) as PlanClusterTeardownResult;
    if (read.kind === "refused") throw new Error(read.reason);
    plan = read.plan;
    const targets = [...(plan.keepBackup ? [plan.keepBackup] : []), ...plan.detach, plan.resourceGroup];
    status.steps = targets.map((t) => ({ what: t.what, id: t.id, state: "pending" }));
    status.kept = plan.kept;
    publish();
    // Cancelled while reading: nothing was changed, not even the deployment records.
    if (yield* cancel.check()) {
      noteCancel();
      return yield* finish(plan, { forgotten: [] });
    }
    status.stage = "forgetting deployments";
    publish();
    forgotten = (yield context.df.callActivityWithRetry(Activities.forgetClusterDeployments, transientRetry, {
      subscriptionId: plan.subscriptionId,
      deployments: plan.deployments,
    } satisfies ForgetClusterDeploymentsInput)) as { forgotten: string[] };
  } catch (err) {
    // Nothing was deleted yet; the channels still hear why the teardown did not happen.
    const reason = err instanceof Error ? err.message : String(err);
    yield* notify({
      environment: input.spec.name,
      cluster: input.cluster,
      succeeded: false,
      startedAt: status.startedAt,
      endedAt: context.df.currentUtcDateTime.toISOString(),
      steps: status.steps,
      kept: [],
      forgottenDeployments: [],
      reason,
    });
    throw new Error(`teardown of cluster ${input.cluster} (${input.spec.name}) did not start deleting: ${reason}`);
  }

  const update = (id: string, patch: Partial<TeardownStep>) => {
    const i = status.steps.findIndex((s) => s.id === id);
    status.steps[i] = { ...status.steps[i]!, ...patch };
  };
  // Before the cluster goes: a backup instance left protecting a deleted cluster fails every night and its
  // recovery points age out with the policy's retention. A cancel heard by now stops the teardown before it.
  if (plan.keepBackup && (yield* cancel.check())) noteCancel();
  else if (plan.keepBackup) {
    status.stage = "stopping backup protection";
    publish();
    const keep = plan.keepBackup;
    const [outcome] = yield* settleAll(context, [
      context.df.callActivityWithRetry(Activities.stopBackupProtection, transientRetry, {
        subscriptionId: keep.subscriptionId,
        vault: keep.vault,
        backupInstance: keep.backupInstance,
      } satisfies StopBackupProtectionInput),
    ]);
    const stopped: StopBackupProtectionResult = outcome!.ok
      ? (outcome!.value as StopBackupProtectionResult)
      : { state: "failed", error: transientExhausted(outcome!.error) };
    if (stopped.state === "failed") update(keep.id, { state: "failed", error: stopped.error });
    else update(keep.id, { state: stopped.state });
    if (stopped.state === "stopped")
      kept.push(
        `backup instance ${keep.backupInstance}: protection stopped, ${stopped.recoveryPoints} recovery point(s) kept` +
          `${stopped.newest !== undefined ? ` (newest ${stopped.newest})` : ""}; restore with \`aks-platform restore --cluster ${plan.cluster}\` ` +
          `or POST …/clusters/${plan.cluster}/restore, delete them with a teardown with deleteBackups`,
      );
    publish();
  }
  status.stage = "detaching";
  publish();
  yield* deleteAll(context, plan.detach, update, publish, { listener: cancel, noteCancel });
  // The group goes last, and only once nothing points at it any more and the backups are safe: after a failed
  // step the cluster and its identities are still there, so a person can look and a second teardown still finds
  // every principal.
  if (status.steps.every((s) => s.id === plan.resourceGroup.id || stepDone(s))) {
    if (status.cancelRequestedAt === undefined) status.stage = "deleting resource group";
    publish();
    yield* deleteAll(context, [plan.resourceGroup], update, publish, { listener: cancel, noteCancel });
  }
  return yield* finish(plan, forgotten);

  function* finish(plan: ClusterTeardownPlan, forgotten: { forgotten: string[] }): Generator<Task, TeardownResult> {
    const canceled = status.cancelRequestedAt !== undefined;
    status.stage = "done";
    status.kept = [...kept, ...plan.kept];
    publish();
    const result: TeardownResult = {
      environment: plan.environment,
      cluster: plan.cluster,
      succeeded: !canceled && status.steps.every(stepDone),
      startedAt: status.startedAt,
      endedAt: context.df.currentUtcDateTime.toISOString(),
      steps: status.steps,
      kept: status.kept,
      forgottenDeployments: forgotten.forgotten,
      ...(canceled
        ? {
            canceled: {
              requestedAt: status.cancelRequestedAt!,
              ...parseCancelRequest(cancel.payload),
              deleted: status.steps.filter((s) => s.state === "deleted").map((s) => s.what),
              left: status.steps.filter((s) => !stepDone(s)).map((s) => s.what),
            },
          }
        : {}),
    };
    // A notification that cannot be delivered now is kept and retried by lib/notify; it never fails the teardown.
    yield* notify(result);
    // Cancelled on purpose: it completes (as Canceled) and says what is left; running it again finishes it.
    if (canceled) return result;
    if (!result.succeeded) {
      const left = result.steps.filter((s) => !stepDone(s));
      throw new Error(
        `teardown of cluster ${plan.cluster} (${plan.environment}) left ${left.length} resource(s): ` +
          left
            .map(
              (s) =>
                `${s.what}: ${s.error ? `${s.error.code}: ${s.error.message}` : "not deleted (an earlier step failed)"}`,
            )
            .join("; "),
      );
    }
    return result;
  }
};

/** Why a teardown that did not succeed left the cluster (partly) in place, for the registry. */
function leftBehind(result: TeardownResult): string | undefined {
  if (result.succeeded) return undefined;
  if (result.reason !== undefined) return result.reason;
  const left = result.steps.filter((s) => !stepDone(s));
  return `left ${left.map((s) => `${s.what}${s.error ? ` (${s.error.code})` : ""}`).join(", ")}`;
}

/**
 * Deletes every target: those of different locks side by side, those of one lock in order. Each round starts what
 * may start, then waits (a fresh timer) for the earliest poll that is due and looks at all due deletes.
 */
function* deleteAll(
  context: OrchestrationContext,
  targets: readonly TeardownTarget[],
  update: (id: string, patch: Partial<TeardownStep>) => void,
  publish: () => void,
  /** The cancel event (looked for before each round of starts and during waits) and what to do once it is heard. */
  cancel: { listener: EventListener; noteCancel: () => void },
): Generator<Task, void, unknown> {
  const queues = new Map<string, TeardownTarget[]>();
  for (const t of targets) {
    const lock = t.lock ?? t.id;
    queues.set(lock, [...(queues.get(lock) ?? []), t]);
  }
  const now = () => context.df.currentUtcDateTime.getTime();
  const running = new PollSchedule<{ target: TeardownTarget; poll: DeletePoll }>(now, MAX_DELETE_MINUTES * 60);
  const busy = (lock: string) => running.values().some((r) => (r.target.lock ?? r.target.id) === lock);

  const settle = (target: TeardownTarget, outcome: Settled) => {
    if (!outcome.ok) {
      running.remove(target.id);
      return update(target.id, { state: "failed", error: transientExhausted(outcome.error) });
    }
    const result = outcome.value as DeleteResourceResult;
    if (result.state !== "deleting") {
      running.remove(target.id);
      return update(
        target.id,
        result.state === "failed" ? { state: "failed", error: result.error } : { state: result.state },
      );
    }
    if (running.overdue(target.id)) {
      running.remove(target.id);
      return update(target.id, {
        state: "failed",
        error: { code: "DeleteTimedOut", message: `still deleting after ${MAX_DELETE_MINUTES} minutes` },
      });
    }
    if (running.has(target.id)) running.again(target.id, result.retryAfterSeconds, { target, poll: result.poll });
    else running.add(target.id, { target, poll: result.poll }, now(), result.retryAfterSeconds);
    update(target.id, { state: "deleting" });
  };

  let canceled = false;
  for (;;) {
    // A cancel stops the teardown before its next delete: what is still queued is never started.
    const ready = [...queues].filter(([lock, queue]) => queue.length > 0 && !busy(lock));
    canceled ||= ready.length > 0 && (yield* cancel.listener.check());
    if (canceled) cancel.noteCancel();
    const startable = canceled ? [] : ready.map(([, queue]) => queue.shift()!);
    if (startable.length > 0) {
      const settled = yield* settleAll(
        context,
        startable.map((t) =>
          context.df.callActivityWithRetry(Activities.deleteResource, transientRetry, {
            id: t.id,
            apiVersion: t.apiVersion,
          } satisfies DeleteResourceInput),
        ),
      );
      startable.forEach((t, i) => settle(t, settled[i]!));
      publish();
      continue;
    }
    if (running.size === 0) return;

    // Until a cancel arrives, it ends the wait early; after it, deletes ARM accepted (it cannot cancel them) are awaited.
    if ((yield* waitForNextPoll(context, running, canceled ? undefined : cancel.listener)) === "cancel") {
      canceled = true;
      cancel.noteCancel();
    }
    const due = running.due().map(([, r]) => r);
    const settled = yield* settleAll(
      context,
      due.map((r) =>
        context.df.callActivityWithRetry(Activities.deleteResource, transientRetry, {
          id: r.target.id,
          apiVersion: r.target.apiVersion,
          poll: r.poll,
        } satisfies DeleteResourceInput),
      ),
    );
    due.forEach((r, i) => settle(r.target, settled[i]!));
    publish();
  }
}

df.app.orchestration(Orchestrations.teardownCluster, teardownClusterOrchestrator);
