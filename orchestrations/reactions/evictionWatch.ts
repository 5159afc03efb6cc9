import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler, Task } from "durable-functions";
import { Activities, Orchestrations } from "../../lib/function-names";
import { messages, type NotifyMessage } from "../../lib/notify";
import { decideEvictionOutcome } from "../../lib/ops/eviction";
import { EVICTION_EVENT, type EvictionRecord, type EvictionWatchResult } from "../../lib/ops/reactions";
import { orchestrationInput } from "../shared/boundary";
import type { CheckSpotRecoveryResult } from "./activities/checkSpotRecovery";
import { evictionWatchInputSchema, type CheckSpotRecoveryInput, type NotifyEventInput } from "./contracts";

/**
 * OPS-2: one recovery watch per cluster and eviction window (instance id = the events' watchKey). Later evictions
 * of the window join as external events. The watch collects for `collectMinutes`, sends ONE message for what was
 * evicted (a digest when several), then checks recovery through run command until the policy says recovered or
 * escalate, and sends that outcome: two messages per watch whatever the size of the storm.
 *
 * Durable pitfall (azure-functions-durable-js#574): a task already yielded must not go into a new Task.any (its
 * action would be scheduled again), and an event task left open keeps catching events. So every Task.any here
 * holds a fresh event task and a fresh timer only, and every event task ever created is kept in `open` until it
 * completes: a task that lost a race, or catches an event while an activity runs, is harvested at the next wake-up.
 */

/** Transient ARM failures of a check (throttling, 5xx) are retried; other failures come back as results. */
const CHECK_RETRY = new df.RetryOptions(15_000, 4);

export const evictionWatchOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = orchestrationInput(context, evictionWatchInputSchema);
  const startedAt = context.df.currentUtcDateTime;
  const seen = new Map<string, EvictionRecord>([[input.first.dedupeKey, input.first]]);
  const open: Task[] = [];

  const harvest = () => {
    for (let i = open.length - 1; i >= 0; i--) {
      const task = open[i];
      if (task?.isCompleted) {
        const record = task.result as EvictionRecord | undefined;
        if (record?.dedupeKey !== undefined && !seen.has(record.dedupeKey)) seen.set(record.dedupeKey, record);
        open.splice(i, 1);
      }
    }
  };

  /** Waits until `until`, counting evictions that arrive meanwhile. */
  function* waitCollecting(until: Date): Generator<Task, void, unknown> {
    for (;;) {
      const event = context.df.waitForExternalEvent(EVICTION_EVENT);
      open.push(event);
      const timer = context.df.createTimer(until);
      const winner = yield context.df.Task.any([event, timer]);
      harvest();
      if (winner === timer) return;
      // The timer lost: cancel it so it never fires (the next round creates a fresh one).
      timer.cancel();
    }
  }

  const minutesSince = (from: Date) => (context.df.currentUtcDateTime.getTime() - from.getTime()) / 60_000;
  const notify = (message: NotifyMessage) =>
    context.df.callActivity(Activities.notifyEvent, {
      message,
      notifications: input.notifications,
    } satisfies NotifyEventInput);
  const ctx = (at: Date) => ({ environment: input.environment, correlationId: input.watchKey, occurredAt: at });

  context.df.setCustomStatus({ phase: "collecting", evictions: seen.size });
  yield* waitCollecting(new Date(startedAt.getTime() + input.collectMinutes * 60_000));

  const evicted = [...seen.values()].sort(
    (a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.vmName.localeCompare(b.vmName),
  );
  const started = evicted.map((e) => ({
    ...ctx(new Date(e.occurredAt)),
    cluster: input.cluster,
    resource: e.vmName,
    expectedRecoveryMinutes: input.policy.expectedRecoveryMinutes,
    digest: false,
  }));
  yield notify(
    started.length === 1 && started[0] !== undefined
      ? messages.evictionStarted(started[0])
      : messages.evictionDigest(started, { windowMinutes: input.collectMinutes, firstSentAt: startedAt.toISOString() }),
  );

  let checks = 0;
  for (;;) {
    context.df.setCustomStatus({ phase: "checking", evictions: seen.size, checks });
    const check = (yield context.df.callActivityWithRetry(Activities.checkSpotRecovery, CHECK_RETRY, {
      cluster: input.cluster,
      subscriptionId: input.subscriptionId,
      resourceGroup: input.resourceGroup,
      aksName: input.aksName,
      pool: input.spotPool,
      since: input.windowStart,
    } satisfies CheckSpotRecoveryInput)) as CheckSpotRecoveryResult;
    checks++;
    harvest();
    const waited = minutesSince(startedAt);
    const now = context.df.currentUtcDateTime;
    const first = evicted[0]?.occurredAt ?? input.first.occurredAt;
    if (!check.ok) {
      if (waited < input.policy.maxWaitMinutes) {
        yield* waitCollecting(new Date(now.getTime() + input.policy.checkEveryMinutes * 60_000));
        continue;
      }
      yield notify(
        messages.evictionEscalation({
          ...ctx(now),
          cluster: input.cluster,
          waitedMinutes: Math.round(waited),
          reason: `Recovery could not be observed: ${check.error}`,
        }),
      );
      return result("escalate", check.error, false, waited, checks);
    }
    const o = check.observation;
    const decision = decideEvictionOutcome(
      {
        evictions: seen.size,
        nodesReady: o.nodesReady,
        pendingPods: o.pendingPods,
        zonesWithoutCapacity: o.zonesWithoutCapacity,
        waitedMinutes: waited,
      },
      input.policy,
    );
    if (decision.outcome === "keep-watching") {
      const next = decision.nextCheckInMinutes ?? input.policy.checkEveryMinutes;
      yield* waitCollecting(new Date(now.getTime() + next * 60_000));
      continue;
    }
    harvest();
    if (decision.outcome === "recovered") {
      yield notify(
        messages.evictionRecovered({
          ...ctx(now),
          cluster: input.cluster,
          resource: seen.size === 1 ? input.first.vmName : `${seen.size} Spot VMs`,
          evictedAt: first,
          recoveredAt: now,
          readyNodes: o.readyNodes,
          pendingPods: o.pendingPods,
        }),
      );
    } else {
      yield notify(
        messages.evictionEscalation({
          ...ctx(now),
          cluster: input.cluster,
          severity: decision.severity,
          waitedMinutes: Math.round(waited),
          pendingPods: o.pendingPods,
          reason: [decision.reason, ...decision.notes].join(" "),
          ...(o.zonesWithoutCapacity.length > 0 ? { zonesWithoutSpotCapacity: o.zonesWithoutCapacity } : {}),
          allZonesWithoutSpotCapacity: decision.noSpotCapacity,
        }),
      );
    }
    return result(decision.outcome, decision.reason, decision.noSpotCapacity, waited, checks);
  }

  function result(
    outcome: EvictionWatchResult["outcome"],
    reason: string,
    noSpotCapacity: boolean,
    waitedMinutes: number,
    checkCount: number,
  ): EvictionWatchResult {
    harvest();
    context.df.setCustomStatus({ phase: "done", outcome, evictions: seen.size });
    return {
      watchKey: input.watchKey,
      cluster: input.cluster,
      outcome,
      evictions: seen.size,
      dedupeKeys: [...seen.keys()].sort(),
      reason,
      noSpotCapacity,
      waitedMinutes: Math.round(waitedMinutes * 10) / 10,
      checks: checkCount,
    };
  }
};

df.app.orchestration(Orchestrations.evictionWatch, evictionWatchOrchestrator);
