import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler, Task } from "durable-functions";
import { DRIFT_WATCH_EVENT } from "../../lib/drift";
import { Orchestrations } from "../../lib/function-names";
import { orchestrationInput } from "../shared/boundary";
import {
  driftWatchInputSchema,
  suspectSchema,
  type DriftCheckInput,
  type DriftCheckResult,
  type DriftWatchResult,
} from "./contracts";

/**
 * Collects writes by others to the platform (one instance per environment at a time, see lib/drift dispatch):
 * each suspect unit joins, and once no write arrived for the spec's quiet period (writes come in bursts), one
 * targeted drift check of exactly the suspect units runs. Duplicated deliveries of an event count once.
 */
export const driftWatchOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = orchestrationInput(context, driftWatchInputSchema);
  const quietMs = input.spec.drift.quietPeriodSeconds * 1000;
  const units = new Set([input.first.unit]);
  const eventIds = new Set([input.first.eventId]);
  context.df.setCustomStatus({ stage: "quiet period", units: [...units], eventIds: [...eventIds] });

  for (;;) {
    // Fresh tasks every round: durable-js reschedules tasks put into a new Task.any (azure-functions-durable-js#574).
    const timer = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + quietMs));
    const next: Task = context.df.waitForExternalEvent(DRIFT_WATCH_EVENT);
    const winner = (yield context.df.Task.any([timer, next])) as Task;
    if (winner === timer) break;
    timer.cancel();
    const parsed = suspectSchema.safeParse(next.result);
    if (parsed.success) {
      units.add(parsed.data.unit);
      eventIds.add(parsed.data.eventId);
    }
    context.df.setCustomStatus({ stage: "quiet period", units: [...units], eventIds: [...eventIds] });
  }

  context.df.setCustomStatus({ stage: "checking", units: [...units], eventIds: [...eventIds] });
  const check = (yield context.df.callSubOrchestrator(
    Orchestrations.driftCheck,
    { spec: input.spec, trigger: "event", units: [...units] } satisfies DriftCheckInput,
    // The watch's id is reused by the next burst: each check gets its own.
    `${context.df.instanceId}:check:${context.df.newGuid("check").slice(0, 8)}`,
  )) as DriftCheckResult;
  return { units: [...units], eventIds: [...eventIds], check } satisfies DriftWatchResult;
};

df.app.orchestration(Orchestrations.driftWatch, driftWatchOrchestrator);
