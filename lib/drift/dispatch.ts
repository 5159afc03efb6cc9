import type { EventEnvelope } from "../events/types";
import { Orchestrations } from "../function-names";
import type { ReactionClient } from "../ops/reactions-dispatch";
import type { PlatformSpec } from "../spec";
import { resourceEventVerdict, type DriftScope } from "./scope";

/**
 * A Resources event → the environment's drift watch: a write by someone else to a unit starts the watch (one per
 * environment, instance `drift-watch:<env>`) or joins the running one; the app's own writes, other groups and
 * duplicates do nothing. A raise can race with the watch finishing, so the status is read again after it.
 */

export const DRIFT_WATCH_EVENT = "suspect";

export function driftWatchInstanceId(environment: string): string {
  return `drift-watch:${environment}`;
}

export interface DriftDispatchOutcome {
  eventId: string;
  action: "started" | "joined" | "duplicate" | "ignored" | "unmanaged";
  reason: string;
  unit?: string;
  instanceId?: string;
}

const RUNNING = new Set(["running", "pending", "continuedasnew"]);

function counted(output: unknown, eventId: string): boolean {
  const ids = (output as { eventIds?: unknown } | undefined)?.eventIds;
  return Array.isArray(ids) && ids.includes(eventId);
}

export async function dispatchResourceEvent(
  event: EventEnvelope,
  context: { spec: PlatformSpec; scope: DriftScope; appObjectIds: readonly string[] },
  client: ReactionClient,
): Promise<DriftDispatchOutcome> {
  const verdict = resourceEventVerdict(event, context.scope, context.appObjectIds);
  if (verdict.kind === "ignored") return { eventId: verdict.eventId, action: "ignored", reason: verdict.reason };
  if (verdict.kind === "unmanaged")
    return {
      eventId: verdict.eventId,
      action: "unmanaged",
      reason: `${verdict.resourceId} is in a platform group but in no unit's template (written by ${verdict.callerObjectId ?? "an unknown caller"}); a what-if cannot see it`,
    };
  const suspect = {
    unit: verdict.unit,
    resourceId: verdict.resourceId,
    eventId: verdict.eventId,
    eventType: verdict.eventType,
    ...(verdict.callerObjectId !== undefined ? { callerObjectId: verdict.callerObjectId } : {}),
  };
  const instanceId = driftWatchInstanceId(context.spec.name);
  const base = { eventId: verdict.eventId, unit: verdict.unit, instanceId };
  const reason = `${verdict.eventType} of ${verdict.resourceId} by ${verdict.callerObjectId ?? "an unknown caller"}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    const status = await client.status(instanceId);
    if (status && RUNNING.has(status.runtimeStatus.toLowerCase())) {
      await client.raise(instanceId, DRIFT_WATCH_EVENT, suspect);
      const after = await client.status(instanceId);
      if (after && (RUNNING.has(after.runtimeStatus.toLowerCase()) || counted(after.output, verdict.eventId)))
        return { ...base, action: "joined", reason };
      continue;
    }
    if (status && counted(status.output, verdict.eventId)) return { ...base, action: "duplicate", reason };
    try {
      await client.start(Orchestrations.driftWatch, instanceId, { spec: context.spec, first: suspect });
      return { ...base, action: "started", reason };
    } catch (err) {
      // Another delivery started it first: join that one on the next round.
      if (attempt === 2) throw err;
    }
  }
  return { ...base, action: "ignored", reason: `${reason}: the drift watch kept finishing; the next sweep checks it` };
}
