import type { EventEnvelope } from "../events/types";
import { Orchestrations } from "../function-names";
import type { ReactionClient } from "../ops/reactions-dispatch";
import type { PlatformSpec } from "../spec";
import { driftScope, resourceEventVerdict, type DriftScope } from "./scope";

/**
 * A Resources event → the drift watch of the registered environment whose groups hold the resource: a write by
 * someone else to a unit starts the watch (one per environment, instance `drift-watch:<env>`, with that
 * environment's spec, so its own `drift` policy applies) or joins the running one; the app's own writes, groups of
 * no registered environment and duplicates do nothing. A raise can race with the watch finishing, so the status is
 * read again after it.
 */

export const DRIFT_WATCH_EVENT = "suspect";

/** The drift watch's start input (orchestrations/drift/contracts.ts parses it at the Durable boundary). */
interface DriftWatchStart {
  spec: PlatformSpec;
  first: { unit: string; resourceId: string; eventId: string; eventType: string; callerObjectId?: string };
}

export function driftWatchInstanceId(environment: string): string {
  return `drift-watch:${environment}`;
}

export interface DriftDispatchOutcome {
  eventId: string;
  action: "started" | "joined" | "duplicate" | "ignored" | "unmanaged";
  reason: string;
  environment?: string;
  unit?: string;
  /** Set when the resource's group belongs to no registered environment. */
  unknownGroup?: string;
  instanceId?: string;
}

const RUNNING = new Set(["running", "pending", "continuedasnew"]);

function counted(output: unknown, eventId: string): boolean {
  const ids = (output as { eventIds?: unknown } | undefined)?.eventIds;
  return Array.isArray(ids) && ids.includes(eventId);
}

/** Every registered environment's spec with its scope (computed once per spec: it expands every template). */
export interface DriftEnvironments {
  specs: ReadonlyMap<string, PlatformSpec>;
  scopes: readonly DriftScope[];
}

/**
 * The drift environments of the registry's specs, as a trigger sees them on each delivery: a spec's scope is
 * computed again only when that spec changed (a new build of it).
 */
export function driftEnvironmentsOf(): (specs: readonly PlatformSpec[]) => DriftEnvironments {
  const cache = new Map<string, { key: string; scope: DriftScope }>();
  return (specs) => {
    const scopes = specs.map((spec) => {
      const key = JSON.stringify(spec);
      let entry = cache.get(spec.name);
      if (entry?.key !== key) cache.set(spec.name, (entry = { key, scope: driftScope(spec) }));
      return entry.scope;
    });
    return { specs: new Map(specs.map((s) => [s.name, s])), scopes };
  };
}

export async function dispatchResourceEvent(
  event: EventEnvelope,
  context: { environments: DriftEnvironments; appObjectIds: readonly string[] },
  client: ReactionClient,
): Promise<DriftDispatchOutcome> {
  const verdict = resourceEventVerdict(event, context.environments.scopes, context.appObjectIds);
  if (verdict.kind === "ignored")
    return {
      eventId: verdict.eventId,
      action: "ignored",
      reason: verdict.reason,
      ...(verdict.unknownGroup !== undefined ? { unknownGroup: verdict.unknownGroup } : {}),
    };
  const spec = context.environments.specs.get(verdict.environment);
  if (!spec) throw new Error(`drift scope of environment ${verdict.environment} has no spec`);
  if (verdict.kind === "unmanaged")
    return {
      eventId: verdict.eventId,
      environment: verdict.environment,
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
  const instanceId = driftWatchInstanceId(spec.name);
  const base = { eventId: verdict.eventId, environment: spec.name, unit: verdict.unit, instanceId };
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
      await client.start(Orchestrations.driftWatch, instanceId, { spec, first: suspect } satisfies DriftWatchStart);
      return { ...base, action: "started", reason };
    } catch (err) {
      // Another delivery started it first: join that one on the next round.
      if (attempt === 2) throw err;
    }
  }
  return { ...base, action: "ignored", reason: `${reason}: the drift watch kept finishing; the next sweep checks it` };
}
