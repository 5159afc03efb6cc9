import type { DomainEvent, SpotEvictionEvent } from "../events";
import { NODE_POOL_ROLLING_EVENT, rollingEventRoute, upgradeInstanceId, type NodePoolRolling } from "../upgrade/run";
import { Orchestrations, type OrchestrationName } from "../function-names";
import {
  EVICTION_EVENT,
  evictionRecord,
  reactionFor,
  watchInstanceId,
  type EvictionWatchInput,
  type EvictionWatchResult,
  type ReactionOptions,
} from "./reactions";

/**
 * Starts or joins the orchestration that reacts to a classified event, over whatever runs orchestrations (the
 * Durable client in Azure, the local driver in the CLI). Instance ids are the deduplication; see reactionFor.
 */

export interface InstanceView {
  runtimeStatus: string;
  output?: unknown;
  customStatus?: unknown;
}

/** The part of a durable client this needs; unknown instances are `undefined`, never an error. */
export interface ReactionClient {
  status(instanceId: string): Promise<InstanceView | undefined>;
  start(orchestration: OrchestrationName, instanceId: string, input: unknown): Promise<void>;
  raise(instanceId: string, eventName: string, data: unknown): Promise<void>;
}

export type ReactionAction =
  /** A new orchestration instance was started. */
  | "started"
  /** The event joined a running instance: an eviction its watch, a NodePoolRolling its upgrade run. */
  | "joined"
  /** The same happening was already handled (or is being handled): nothing done. */
  | "duplicate"
  /** Nothing to do for this kind of event. */
  | "none";

export interface ReactionOutcome {
  kind: DomainEvent["kind"];
  eventId: string;
  dedupeKey: string;
  cluster?: string;
  reason: string;
  action: ReactionAction;
  instanceId?: string;
}

const RUNNING = new Set(["running", "pending", "continuedasnew"]);
const RESTARTABLE = new Set(["failed", "terminated", "canceled"]);
/** Follow-up watches of one window before giving up (each needs a finished predecessor). */
const MAX_WATCH_ROUNDS = 8;

export async function react(
  event: DomainEvent,
  client: ReactionClient,
  options: ReactionOptions,
): Promise<ReactionOutcome> {
  const base = {
    kind: event.kind,
    eventId: event.eventId,
    dedupeKey: event.dedupeKey,
    reason: event.reason,
    ...(event.cluster !== undefined ? { cluster: event.cluster } : {}),
  };
  const reaction = reactionFor(event, options);
  if (reaction.type === "none") return { ...base, reason: reaction.reason, action: "none" };
  if (reaction.type === "eviction-watch" && event.kind === "spot-eviction") {
    return { ...base, ...(await startOrJoinWatch(event, reaction.input, client)) };
  }
  if (reaction.type !== "start") return { ...base, action: "none" };
  if (event.kind === "cluster-lifecycle" && event.change.startsWith("node-pool-rolling") && event.cluster) {
    // For a cluster an upgrade run works on, the pool's rolling is the run's own progress, not news.
    const runInstance = upgradeInstanceId(options.spec.name);
    const run = await client.status(runInstance);
    const route =
      run && RUNNING.has(run.runtimeStatus.toLowerCase())
        ? rollingEventRoute(run.customStatus, event.cluster)
        : undefined;
    if (route?.kind === "reported")
      return { ...base, action: "none", reason: `${event.reason}: upgrade run ${route.runId} reports it` };
    if (route?.kind === "raise") {
      const progress: NodePoolRolling = {
        eventId: event.eventId,
        phase: event.change.replace("node-pool-rolling-", "") as NodePoolRolling["phase"],
        ...(event.pool !== undefined ? { pool: event.pool } : {}),
        ...(event.occurredAt !== undefined ? { at: event.occurredAt } : {}),
      };
      // The run publishes the cluster's instance id just before Durable creates it: until then the event cannot be
      // delivered, so the trigger fails and Event Grid redelivers it (its retry schedule starts at 10 seconds).
      if (!(await client.status(route.instanceId)))
        throw new Error(
          `${event.reason}: upgrade run ${route.runId} is starting ${route.instanceId}, which does not exist yet; redeliver`,
        );
      await client.raise(route.instanceId, NODE_POOL_ROLLING_EVENT, progress);
      return {
        ...base,
        action: "joined",
        instanceId: route.instanceId,
        reason: `${event.reason}: progress of upgrade run ${route.runId}`,
      };
    }
  }
  const existing = await client.status(reaction.instanceId);
  if (existing && !RESTARTABLE.has(existing.runtimeStatus.toLowerCase())) {
    return { ...base, action: "duplicate", instanceId: reaction.instanceId };
  }
  return { ...base, ...(await startOnce(client, reaction.orchestration, reaction.instanceId, reaction.input)) };
}

/** Starts; a concurrent start of the same id (another delivery won the race) is a duplicate, not an error. */
async function startOnce(
  client: ReactionClient,
  orchestration: OrchestrationName,
  instanceId: string,
  input: unknown,
): Promise<{ action: ReactionAction; instanceId: string }> {
  try {
    await client.start(orchestration, instanceId, input);
    return { action: "started", instanceId };
  } catch (err) {
    if (await client.status(instanceId)) return { action: "duplicate", instanceId };
    throw err;
  }
}

/**
 * Running watch → raise the eviction into it; none → start it; finished → a duplicate if it counted this eviction,
 * else a follow-up watch for the same window (`…-r1`, `…-r2`). A raise can race with the watch finishing (a raise
 * into a finished instance is silently dropped), so the status is read again after raising.
 */
async function startOrJoinWatch(
  event: SpotEvictionEvent,
  input: EvictionWatchInput,
  client: ReactionClient,
): Promise<{ action: ReactionAction; instanceId?: string; reason?: string }> {
  const record = evictionRecord(event);
  for (let round = 0; round < MAX_WATCH_ROUNDS; round++) {
    const instanceId = watchInstanceId(event.watchKey, round);
    const status = await client.status(instanceId);
    if (!status) {
      const first: EvictionWatchInput = { ...input, watchKey: instanceId };
      try {
        await client.start(Orchestrations.evictionWatch, instanceId, first);
        return { action: "started", instanceId };
      } catch (err) {
        // Another delivery started it first: join that one.
        if (!(await client.status(instanceId))) throw err;
      }
    }
    const current = status ?? (await client.status(instanceId));
    if (current && RUNNING.has(current.runtimeStatus.toLowerCase())) {
      await client.raise(instanceId, EVICTION_EVENT, record);
      const after = await client.status(instanceId);
      if (after && (RUNNING.has(after.runtimeStatus.toLowerCase()) || counted(after, record.dedupeKey))) {
        return { action: "joined", instanceId };
      }
      continue;
    }
    if (current && counted(current, record.dedupeKey)) return { action: "duplicate", instanceId };
  }
  return {
    action: "none",
    reason: `${MAX_WATCH_ROUNDS} watches of window ${event.watchKey} already ran; eviction of ${event.vmName} not watched`,
  };
}

function counted(view: InstanceView, dedupeKey: string): boolean {
  const output = view.output as Partial<EvictionWatchResult> | undefined;
  return Array.isArray(output?.dedupeKeys) && output.dedupeKeys.includes(dedupeKey);
}

/** What the local durable driver offers (structural, so lib/ does not depend on local/). */
export interface DriverLike {
  getStatus(instanceId: string): Promise<{ runtimeStatus: string; output: unknown; customStatus: unknown } | undefined>;
  startNew(name: string, options: { instanceId: string; input: unknown }): Promise<string>;
  raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<void>;
}

/** A ReactionClient over the local driver; like the Durable client, a raise into a finished instance is dropped. */
export function driverReactionClient(driver: DriverLike): ReactionClient {
  return {
    async status(instanceId) {
      const s = await driver.getStatus(instanceId);
      return s && { runtimeStatus: s.runtimeStatus, output: s.output, customStatus: s.customStatus };
    },
    async start(orchestration, instanceId, input) {
      await driver.startNew(orchestration, { instanceId, input });
    },
    async raise(instanceId, eventName, data) {
      try {
        await driver.raiseEvent(instanceId, eventName, data);
      } catch (err) {
        if ((err as { code?: unknown }).code !== "gone") throw err;
      }
    },
  };
}
