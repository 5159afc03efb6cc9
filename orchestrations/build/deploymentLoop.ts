import type { OrchestrationContext, Task } from "durable-functions";
import type { DeploymentUnit } from "../../lib/plan/types";
import {
  blockedUnits,
  resolveParameters,
  runnableUnits,
  type ArmErrorInfo,
  type BuildCancellation,
  type BuildMode,
  type DeploymentProgress,
  type DeploymentState,
  type OutputsByDeployment,
} from "../../lib/plan/progress";
import { Activities } from "../../lib/function-names";
import { NETWORK_MANAGER_COMMIT_SECONDS } from "../../lib/plan/latency";
import type { PlatformSpec } from "../../lib/spec";
import {
  errorMessage,
  type EventListener,
  PollSchedule,
  scaledLimitSeconds,
  settleAll,
  transientExhausted,
  transientRetry,
  waitForNextPoll,
} from "../shared/longRunning";
import type {
  ComputePlanResult,
  DeploymentRef,
  DeploymentRequest,
  DeploymentStatusResult,
  DeploymentTarget,
  NetworkManagerCommitRequest,
  StartDeploymentResult,
  WhatIfResult,
} from "./contracts";

/**
 * The deterministic heart of the build: starts every deployment whose dependencies have succeeded, polls the
 * running ones through the shared long-running-operation scheduler (orchestrations/shared/longRunning) at the
 * pace of each deployment's expected duration, and records progress. A `cancel` event (raised by the cancel API on every instance of the build's tree) stops it
 * starting anything, asks ARM to cancel what runs, and awaits those deployments to their end.
 */

export interface DeploymentLoopOptions {
  environment: string;
  target: DeploymentTarget;
  mode: BuildMode;
  /**
   * Longest a single deployment may run before it is cancelled and reported as timed out; absent, each
   * deployment's own limit scaled from its expected duration (scaledLimitSeconds).
   */
  maxDeploymentSeconds?: number;
  /** Return as soon as all of these deployments are finished (used to hand work over to sub-orchestrations). */
  stopWhenFinished?: readonly string[];
  /** Called after every change so the orchestrator can publish its custom status. */
  onProgress(deployments: DeploymentProgress[]): void;
  /** Hears the build's cancel event (one listener per orchestration, shared by its loops). */
  cancel?: EventListener;
  /** Called once when the cancel event arrives (the orchestrator records it in its status). */
  onCancel?(requestedAt: string): void;
}

export interface DeploymentLoopResult {
  deployments: DeploymentProgress[];
  outputs: OutputsByDeployment;
  /** Set when the loop was cancelled. */
  canceled?: BuildCancellation;
}

/** ARM's cancel is asynchronous (Canceling, then Canceled): look again shortly. */
const POLL_AFTER_CANCEL_SECONDS = 5;

const isFinished = (s: DeploymentState | undefined) => s === "succeeded" || s === "failed" || s === "skipped";

export function* runDeploymentLoop(
  context: OrchestrationContext,
  units: readonly DeploymentUnit[],
  initial: { deployments: readonly DeploymentProgress[]; outputs: OutputsByDeployment },
  options: DeploymentLoopOptions,
): Generator<Task, DeploymentLoopResult, unknown> {
  const progress = new Map<string, DeploymentProgress>();
  for (const unit of units)
    progress.set(unit.name, { name: unit.name, phase: unit.phase, state: "pending", ...clusterOf(unit) });
  for (const known of initial.deployments) progress.set(known.name, { ...known });
  const outputs: OutputsByDeployment = { ...initial.outputs };
  const now = () => context.df.currentUtcDateTime.getTime();
  const running = new PollSchedule<DeploymentUnit>(now, (unit) => ({
    ...(unit.expectedSeconds !== undefined ? { expectedSeconds: unit.expectedSeconds } : {}),
    limitSeconds: scaledLimitSeconds(unit.expectedSeconds, options.maxDeploymentSeconds),
  }));
  const byName = new Map(units.map((u) => [u.name, u]));
  let canceled: BuildCancellation | undefined;
  const iso = () => context.df.currentUtcDateTime.toISOString();
  const states = () => new Map([...progress].map(([name, p]) => [name, p.state] as const));
  const publish = () => options.onProgress([...progress.values()]);
  const finish = (name: string, patch: Partial<DeploymentProgress>) => {
    running.remove(name);
    progress.set(name, { ...progress.get(name)!, ...patch, endedAt: iso() });
  };
  // Units whose deployment succeeded and whose configuration takes effect only once committed (AVNM): they stay
  // running until the commit is in effect, polled by the same schedule.
  const committing = new Set<string>();
  /** Units started again because their deployment vanished from ARM while running (once each). */
  const restarted = new Set<string>();
  let toCommit: DeploymentUnit[] = [];
  const succeeded = (unit: DeploymentUnit, patch: Partial<DeploymentProgress>) => {
    if (unit.commit && options.mode !== "whatif" && !committing.has(unit.name)) {
      running.remove(unit.name);
      progress.set(unit.name, { ...progress.get(unit.name)!, ...patch });
      toCommit.push(unit);
      return;
    }
    finish(unit.name, { state: "succeeded", ...patch });
  };

  // Deployments handed over while running (e.g. from the parent orchestration) are polled, not restarted.
  for (const p of progress.values()) {
    if (p.state === "running" && byName.has(p.name))
      running.add(p.name, byName.get(p.name)!, Date.parse(p.startedAt ?? iso()), 0);
  }

  for (;;) {
    for (let blocked = blockedUnits(units, states()); blocked.length > 0; blocked = blockedUnits(units, states())) {
      for (const unit of blocked) {
        const failedDeps = unit.dependsOn.filter((d) => progress.get(d)?.state !== "succeeded");
        progress.set(unit.name, {
          ...progress.get(unit.name)!,
          state: "skipped",
          error: { code: "DependencyFailed", message: `not started because ${failedDeps.join(", ")} did not succeed` },
        });
      }
      publish();
    }
    // A cancelled loop hands nothing over: it awaits its own deployments to their end. What became startable
    // when the last of `stopWhenFinished` ended starts before the hand-over, so it does not wait for the
    // children's start (they poll it).
    const handOver = !canceled && options.stopWhenFinished?.every((n) => isFinished(progress.get(n)?.state));
    const startable = runnableUnits(units, states());
    if (startable.length > 0) {
      yield* startRound(startable);
      publish();
      if (handOver) break;
      continue;
    }
    if (handOver) break;
    if (running.size === 0) break;

    // Once cancelled, the remaining waits only await the deployments ARM is cancelling (or would not cancel).
    if ((yield* waitForNextPoll(context, running, canceled ? undefined : options.cancel)) === "cancel") {
      yield* cancelRound();
      publish();
      continue;
    }
    yield* pollRound(running.due().map(([, unit]) => unit));
    publish();
  }
  return { deployments: [...progress.values()], outputs, ...(canceled ? { canceled } : {}) };

  /** Nothing new starts; ARM is asked to cancel every running deployment, which is then polled to its end. */
  function* cancelRound(): Generator<Task, void, unknown> {
    canceled = { requestedAt: iso(), cancelledInArm: [], awaited: [], notStarted: [] };
    options.onCancel?.(canceled.requestedAt);
    for (const p of progress.values()) {
      if (p.state !== "pending" || !byName.has(p.name)) continue;
      canceled.notStarted.push(p.name);
      progress.set(p.name, {
        ...p,
        state: "skipped",
        error: { code: "BuildCanceled", message: "not started: the build was cancelled" },
      });
    }
    const inFlight = running.values();
    const settled = yield* settleAll(
      context,
      inFlight.map((unit) =>
        context.df.callActivityWithRetry(Activities.cancelDeployment, transientRetry, refOf(unit, options.target)),
      ),
    );
    inFlight.forEach((unit, i) => {
      const outcome = settled[i]!;
      const accepted = outcome.ok && (outcome.value as { cancelled: boolean }).cancelled;
      (accepted ? canceled!.cancelledInArm : canceled!.awaited).push(unit.name);
      // Look again shortly: ARM's cancel takes effect within seconds, and one it would not cancel is finishing.
      running.again(unit.name, POLL_AFTER_CANCEL_SECONDS);
    });
  }

  function* startRound(startable: DeploymentUnit[]): Generator<Task, void, unknown> {
    const requests: (DeploymentRequest | ArmErrorInfo)[] = startable.map((unit) => {
      try {
        return {
          ...options.target,
          environment: options.environment,
          unit,
          // A what-if may need outputs of deployments not made yet: they stay markers the activity understands.
          parameters: resolveParameters(unit, outputs, { deferMissing: options.mode === "whatif" }),
          ...(options.mode === "redeploy" ? { redeploy: true } : {}),
        };
      } catch (err) {
        return { code: "MissingOutput", message: errorMessage(err) };
      }
    });
    const activity = options.mode === "whatif" ? Activities.whatIfDeployment : Activities.startDeployment;
    const settled = yield* settleAll(
      context,
      requests.map((r) => ("unit" in r ? context.df.callActivityWithRetry(activity, transientRetry, r) : undefined)),
    );
    startable.forEach((unit, i) => {
      const request = requests[i]!;
      progress.set(unit.name, { ...progress.get(unit.name)!, state: "running", startedAt: iso() });
      if (!("unit" in request)) return finish(unit.name, { state: "failed", error: request });
      const outcome = settled[i]!;
      if (!outcome.ok) return finish(unit.name, { state: "failed", error: transientExhausted(outcome.error) });
      if (options.mode === "whatif") {
        const result = outcome.value as WhatIfResult;
        if (result.kind === "failed") return finish(unit.name, { state: "failed", error: result.error });
        if (result.outputs) outputs[unit.name] = result.outputs;
        return finish(unit.name, { state: "succeeded", whatIf: result.summary });
      }
      const result = outcome.value as StartDeploymentResult;
      const correlation = result.correlationId !== undefined ? { correlationId: result.correlationId } : {};
      switch (result.kind) {
        case "reused":
          outputs[unit.name] = result.outputs;
          return succeeded(unit, { reused: true, ...correlation });
        case "failed":
          return finish(unit.name, { state: "failed", error: result.error, ...correlation });
        case "accepted":
          progress.set(unit.name, { ...progress.get(unit.name)!, ...correlation });
          running.add(unit.name, unit, now(), result.retryAfterSeconds);
      }
    });
    yield* commitRound();
  }

  /** Posts the commit of every unit whose deployment just succeeded and that needs one; polled like a deployment. */
  function* commitRound(): Generator<Task, void, unknown> {
    const units = toCommit;
    toCommit = [];
    if (units.length === 0) return;
    const requests = units.map((unit) => commitRequestOf(unit, outputs[unit.name] ?? {}, options.target));
    const settled = yield* settleAll(
      context,
      requests.map((r) =>
        "unit" in r ? context.df.callActivityWithRetry(Activities.commitNetworkManager, transientRetry, r) : undefined,
      ),
    );
    units.forEach((unit, i) => {
      const request = requests[i]!;
      if (!("unit" in request)) return finish(unit.name, { state: "failed", error: request });
      const outcome = settled[i]!;
      if (!outcome.ok) return finish(unit.name, { state: "failed", error: transientExhausted(outcome.error) });
      const result = outcome.value as StartDeploymentResult;
      if (result.kind === "reused") return finish(unit.name, { state: "succeeded" });
      if (result.kind === "failed") return finish(unit.name, { state: "failed", error: result.error });
      committing.add(unit.name);
      running.add(
        unit.name,
        { ...unit, expectedSeconds: NETWORK_MANAGER_COMMIT_SECONDS },
        now(),
        result.retryAfterSeconds,
      );
    });
  }

  function* pollRound(due: DeploymentUnit[]): Generator<Task, void, unknown> {
    const settled = yield* settleAll(
      context,
      due.map((unit) =>
        committing.has(unit.name)
          ? context.df.callActivityWithRetry(
              Activities.getNetworkManagerCommitStatus,
              transientRetry,
              commitRequestOf(unit, outputs[unit.name] ?? {}, options.target),
            )
          : context.df.callActivityWithRetry(
              Activities.getDeploymentStatus,
              transientRetry,
              refOf(unit, options.target),
            ),
      ),
    );
    for (const [i, unit] of due.entries()) {
      const outcome = settled[i]!;
      if (!outcome.ok) {
        finish(unit.name, { state: "failed", error: transientExhausted(outcome.error) });
        continue;
      }
      const status = outcome.value as DeploymentStatusResult;
      const correlation = status.correlationId !== undefined ? { correlationId: status.correlationId } : {};
      if (status.state === "succeeded") {
        if (!committing.has(unit.name)) outputs[unit.name] = status.outputs;
        succeeded(unit, correlation);
      } else if (status.state === "failed") {
        finish(unit.name, { state: "failed", error: status.error, ...correlation });
      } else if (status.state === "vanished") {
        // A deployment this build started is gone from ARM (its record deleted by ARM's history limit or a
        // person; or a sandbox killed before it saved the write): start it again, once. PUT is idempotent.
        if (restarted.has(unit.name) || canceled) finish(unit.name, { state: "failed", error: status.error });
        else {
          restarted.add(unit.name);
          running.remove(unit.name);
          progress.set(unit.name, { ...progress.get(unit.name)!, state: "pending" });
        }
      } else {
        if (running.overdue(unit.name) && !canceled) {
          const limit = running.limitSeconds(unit.name);
          // A commit has no cancel: it is reported as timed out and left to AVNM.
          if (!committing.has(unit.name))
            yield* settleAll(context, [
              context.df.callActivityWithRetry(
                Activities.cancelDeployment,
                transientRetry,
                refOf(unit, options.target),
              ),
            ]);
          finish(unit.name, {
            state: "failed",
            error: {
              code: "DeploymentTimedOut",
              message: `still running after ${limit} s (expected ${unit.expectedSeconds ?? "unknown"} s); cancelled`,
            },
          });
        } else {
          running.again(unit.name, status.retryAfterSeconds);
        }
      }
    }
    yield* commitRound();
  }
}

/**
 * The spec with its Istio revision pinned (the spec's own, else the newest the region supports: AKS rejects an
 * unsupported one) and the deployment units of that spec.
 */
export function* pinnedPlan(
  context: OrchestrationContext,
  spec: PlatformSpec,
): Generator<Task, { spec: PlatformSpec; plan: ComputePlanResult }, unknown> {
  const revision =
    spec.istio.revision ??
    ((yield context.df.callActivityWithRetry(Activities.lookupIstioRevision, transientRetry, {
      subscriptionId: spec.subscriptionId,
      location: spec.location,
    })) as string);
  const pinned: PlatformSpec = { ...spec, istio: { revision } };
  const plan = (yield context.df.callActivity(Activities.computePlan, { spec: pinned })) as ComputePlanResult;
  return { spec: pinned, plan };
}

function refOf(unit: DeploymentUnit, target: DeploymentTarget): DeploymentRef {
  return {
    ...target,
    name: unit.name,
    scope: unit.scope,
    ...(unit.resourceGroup !== undefined ? { resourceGroup: unit.resourceGroup } : {}),
  };
}

/** The commit a unit's deployment calls for, naming the configuration its output holds (an error when it has none). */
function commitRequestOf(
  unit: DeploymentUnit,
  unitOutputs: Record<string, unknown>,
  target: DeploymentTarget,
): NetworkManagerCommitRequest | ArmErrorInfo {
  const commit = unit.commit!;
  const configurationId = unitOutputs[commit.configurationOutput];
  if (typeof configurationId !== "string" || configurationId === "" || unit.resourceGroup === undefined)
    return {
      code: "MissingOutput",
      message: `deployment ${unit.name} has no '${commit.configurationOutput}' output to commit on ${commit.networkManager}`,
    };
  return {
    ...target,
    unit: unit.name,
    resourceGroup: unit.resourceGroup,
    networkManager: commit.networkManager,
    commitType: commit.commitType,
    configurationIds: [configurationId],
    targetLocations: commit.targetLocations,
  };
}

function clusterOf(unit: DeploymentUnit): { cluster?: string } {
  return unit.cluster !== undefined ? { cluster: unit.cluster } : {};
}
