import * as df from "durable-functions";
import type { OrchestrationContext, Task } from "durable-functions";
import type { DeploymentUnit } from "../../lib/plan/types";
import {
  blockedUnits,
  resolveParameters,
  runnableUnits,
  type ArmErrorInfo,
  type BuildMode,
  type DeploymentProgress,
  type DeploymentState,
  type OutputsByDeployment,
} from "../../lib/plan/progress";
import { Activities } from "../../lib/function-names";
import type { PlatformSpec } from "../../lib/spec";
import type {
  ComputePlanResult,
  DeploymentRef,
  DeploymentRequest,
  DeploymentStatusResult,
  DeploymentTarget,
  StartDeploymentResult,
  WhatIfResult,
} from "./contracts";

/**
 * The deterministic heart of the build: starts every deployment whose dependencies have succeeded, polls the
 * running ones with durable timers at the pace ARM asks for (Retry-After), and records progress.
 *
 * Every `yield` here is of fresh tasks (a `Task.all` of this round's calls, a new timer): durable-js schedules
 * tasks again when an already-scheduled task is put into a new `Task.any`/`Task.all` (azure-functions-durable-js#574),
 * so the loop never re-combines tasks from an earlier round.
 */

export interface DeploymentLoopOptions {
  environment: string;
  target: DeploymentTarget;
  mode: BuildMode;
  /** Longest a single deployment may run before it is cancelled and reported as timed out. */
  maxDeploymentSeconds: number;
  /** Return as soon as all of these deployments are finished (used to hand work over to sub-orchestrations). */
  stopWhenFinished?: readonly string[];
  /** Called after every change so the orchestrator can publish its custom status. */
  onProgress(deployments: DeploymentProgress[]): void;
}

/** Transient ARM trouble (429, 5xx, network) is retried by the runtime with backoff; anything else is a value. */
export const transientRetry = (() => {
  const options = new df.RetryOptions(5_000, 6);
  options.backoffCoefficient = 2;
  options.maxRetryIntervalInMilliseconds = 120_000;
  return options;
})();

const MIN_POLL_SECONDS = 1;
const MAX_POLL_SECONDS = 120;

interface Running {
  nextPollAt: number;
}

const isFinished = (s: DeploymentState | undefined) => s === "succeeded" || s === "failed" || s === "skipped";

export function* runDeploymentLoop(
  context: OrchestrationContext,
  units: readonly DeploymentUnit[],
  initial: { deployments: readonly DeploymentProgress[]; outputs: OutputsByDeployment },
  options: DeploymentLoopOptions,
): Generator<Task, { deployments: DeploymentProgress[]; outputs: OutputsByDeployment }, unknown> {
  const progress = new Map<string, DeploymentProgress>();
  for (const unit of units)
    progress.set(unit.name, { name: unit.name, phase: unit.phase, state: "pending", ...clusterOf(unit) });
  for (const known of initial.deployments) progress.set(known.name, { ...known });
  const outputs: OutputsByDeployment = { ...initial.outputs };
  const running = new Map<string, Running>();
  const byName = new Map(units.map((u) => [u.name, u]));
  const now = () => context.df.currentUtcDateTime.getTime();
  const iso = () => context.df.currentUtcDateTime.toISOString();
  const states = () => new Map([...progress].map(([name, p]) => [name, p.state] as const));
  const publish = () => options.onProgress([...progress.values()]);
  const finish = (name: string, patch: Partial<DeploymentProgress>) => {
    running.delete(name);
    progress.set(name, { ...progress.get(name)!, ...patch, endedAt: iso() });
  };

  // Deployments handed over while running (e.g. from the parent orchestration) are polled, not restarted.
  for (const p of progress.values())
    if (p.state === "running" && byName.has(p.name)) running.set(p.name, { nextPollAt: now() });

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
    if (options.stopWhenFinished && options.stopWhenFinished.every((n) => isFinished(progress.get(n)?.state))) break;

    const startable = runnableUnits(units, states());
    if (startable.length > 0) {
      yield* startRound(startable);
      publish();
      continue;
    }
    if (running.size === 0) break;

    const nextPollAt = Math.min(...[...running.values()].map((r) => r.nextPollAt));
    if (nextPollAt > now()) yield context.df.createTimer(new Date(nextPollAt));
    const due = [...running].filter(([, r]) => r.nextPollAt <= now()).map(([name]) => byName.get(name)!);
    yield* pollRound(due);
    publish();
  }
  return { deployments: [...progress.values()], outputs };

  function* startRound(startable: DeploymentUnit[]): Generator<Task, void, unknown> {
    const requests: (DeploymentRequest | ArmErrorInfo)[] = startable.map((unit) => {
      try {
        return {
          ...options.target,
          environment: options.environment,
          unit,
          // A what-if may need outputs of deployments not made yet: they stay markers the activity understands.
          parameters: resolveParameters(unit, outputs, { deferMissing: options.mode === "whatif" }),
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
          return finish(unit.name, { state: "succeeded", reused: true, ...correlation });
        case "failed":
          return finish(unit.name, { state: "failed", error: result.error, ...correlation });
        case "accepted":
          progress.set(unit.name, { ...progress.get(unit.name)!, ...correlation });
          running.set(unit.name, { nextPollAt: now() + pollSeconds(result.retryAfterSeconds) * 1000 });
      }
    });
  }

  function* pollRound(due: DeploymentUnit[]): Generator<Task, void, unknown> {
    const settled = yield* settleAll(
      context,
      due.map((unit) =>
        context.df.callActivityWithRetry(Activities.getDeploymentStatus, transientRetry, refOf(unit, options.target)),
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
        outputs[unit.name] = status.outputs;
        finish(unit.name, { state: "succeeded", ...correlation });
      } else if (status.state === "failed") {
        finish(unit.name, { state: "failed", error: status.error, ...correlation });
      } else {
        const startedAt = Date.parse(progress.get(unit.name)!.startedAt ?? iso());
        if (now() - startedAt > options.maxDeploymentSeconds * 1000) {
          yield* settleAll(context, [
            context.df.callActivityWithRetry(Activities.cancelDeployment, transientRetry, refOf(unit, options.target)),
          ]);
          finish(unit.name, {
            state: "failed",
            error: {
              code: "DeploymentTimedOut",
              message: `still running after ${options.maxDeploymentSeconds} s; cancelled`,
            },
          });
        } else {
          running.set(unit.name, { nextPollAt: now() + pollSeconds(status.retryAfterSeconds) * 1000 });
        }
      }
    }
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

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Waits for all tasks and returns each outcome, where `Task.all` would throw on the first failure and hide the
 * rest. After a failure the remaining tasks are yielded one by one: re-yielding an atomic or retryable task is
 * safe (it is not scheduled twice); only new compound tasks over old ones are not.
 */
export function* settleAll(
  context: OrchestrationContext,
  tasks: (Task | undefined)[],
): Generator<Task, Settled[], unknown> {
  const real = tasks.filter((t): t is Task => t !== undefined);
  const results = new Map<Task, Settled>();
  if (real.length > 0) {
    try {
      const values = (yield context.df.Task.all(real)) as unknown[];
      real.forEach((t, i) => results.set(t, { ok: true, value: values[i] }));
    } catch {
      for (const t of real) {
        try {
          results.set(t, { ok: true, value: yield t });
        } catch (error) {
          results.set(t, { ok: false, error });
        }
      }
    }
  }
  return tasks.map((t) => (t === undefined ? { ok: false, error: new Error("not started") } : results.get(t)!));
}

function refOf(unit: DeploymentUnit, target: DeploymentTarget): DeploymentRef {
  return {
    ...target,
    name: unit.name,
    scope: unit.scope,
    ...(unit.resourceGroup !== undefined ? { resourceGroup: unit.resourceGroup } : {}),
  };
}

function clusterOf(unit: DeploymentUnit): { cluster?: string } {
  return unit.cluster !== undefined ? { cluster: unit.cluster } : {};
}

function pollSeconds(retryAfter: number): number {
  return Math.min(MAX_POLL_SECONDS, Math.max(MIN_POLL_SECONDS, Number.isFinite(retryAfter) ? retryAfter : 15));
}

function transientExhausted(error: unknown): ArmErrorInfo {
  return {
    code: "TransientErrorsExhausted",
    message: `gave up after repeated transient errors: ${errorMessage(error)}`,
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
