import { clusterRemoval, type ClusterInstances, type ClusterRemoval } from "../api/clusters";
import type { EventEnvelope } from "../events/types";
import { teardownUnits } from "../plan/teardown";
import type { DeploymentUnit } from "../plan/types";
import { buildPlan, planDeployments, type Plan } from "../plan";
import { UNSET_SUBSCRIPTION_ID, type PlatformSpec } from "../spec";

/**
 * What drift detection watches: the platform's resource groups and, per deployment unit, the resources its
 * template holds (so a write to a resource names the unit to check). Pure; the plan is the offline expansion.
 */

export interface DriftScope {
  environment: string;
  /** The subscription the spec names; absent for the placeholder (the sandbox's, or one the app setting supplies). */
  subscriptionId?: string;
  /** The platform's own groups (not the AKS node groups, which AKS itself writes to). */
  resourceGroups: string[];
  units: { name: string; resourceKeys: string[] }[];
}

/** A resource id without its subscription, lower-cased: the sandbox's and the plan's subscriptions may differ. */
export function resourceKey(id: string): string {
  return id
    .trim()
    .toLowerCase()
    .replace(/^\/subscriptions\/[^/]+/, "")
    .replace(/\/+$/, "");
}

export function driftScope(spec: PlatformSpec, plan: Plan = buildPlan(spec)): DriftScope {
  const deployments = planDeployments(plan);
  return {
    environment: spec.name,
    ...(spec.subscriptionId !== UNSET_SUBSCRIPTION_ID ? { subscriptionId: spec.subscriptionId.toLowerCase() } : {}),
    resourceGroups: [spec.commonResourceGroup, ...spec.clusters.map((c) => c.resourceGroup)],
    units: deployments
      // Resource-group units only create their group; a write inside it belongs to the unit of that resource.
      .filter((d) => d.scope === "resourceGroup")
      .map((d) => ({ name: d.name, resourceKeys: d.resources.map((r) => resourceKey(r.id)) })),
  };
}

/**
 * The environment whose resource groups hold a resource, among every registered one: the group decides, and the
 * subscription too when a spec names one (two environments may reuse group names in different subscriptions).
 */
export function scopeOfResource(scopes: readonly DriftScope[], resourceId: string): DriftScope | undefined {
  const group = /\/resourcegroups\/([^/]+)/i.exec(resourceId)?.[1]?.toLowerCase();
  if (group === undefined) return undefined;
  const subscription = /^\/subscriptions\/([^/]+)/i.exec(resourceId.trim())?.[1]?.toLowerCase();
  const candidates = scopes.filter(
    (s) =>
      s.resourceGroups.some((g) => g.toLowerCase() === group) &&
      (s.subscriptionId === undefined || subscription === undefined || s.subscriptionId === subscription),
  );
  return candidates.find((s) => s.subscriptionId !== undefined) ?? candidates[0];
}

/** The unit whose template holds this resource, or one of its parents (an NSG rule → the NSG's unit). */
export function ownerUnit(scope: DriftScope, resourceId: string): string | undefined {
  let k = resourceKey(resourceId);
  for (;;) {
    const owner = scope.units.find((u) => u.resourceKeys.includes(k));
    if (owner) return owner.name;
    const parts = k.split("/");
    // Stop at the provider level: `/resourcegroups/rg/providers/ns/type/name` has 7 parts.
    if (parts.length <= 7) return undefined;
    k = parts.slice(0, -2).join("/");
  }
}

export const RESOURCE_EVENT_TYPES = [
  "Microsoft.Resources.ResourceWriteSuccess",
  "Microsoft.Resources.ResourceDeleteSuccess",
  "Microsoft.Resources.ResourceActionSuccess",
] as const;

const OBJECT_ID_CLAIMS = ["http://schemas.microsoft.com/identity/claims/objectidentifier", "oid"];

interface EventFacts {
  environment: string;
  resourceId: string;
  callerObjectId?: string;
  eventId: string;
  eventType: string;
}

export type ResourceEventVerdict =
  | ({ kind: "suspect"; unit: string } & EventFacts)
  /** A write to a resource of the platform's groups that no unit declares (e.g. a role assignment added by hand). */
  | ({ kind: "unmanaged" } & EventFacts)
  /** `unknownGroup`: the resource's group belongs to no registered environment (logged once per group). */
  | { kind: "ignored"; eventId: string; reason: string; unknownGroup?: string };

function record(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/**
 * A Resources event → which environment's unit became suspect, among every registered environment's scope. The
 * app's own writes (a build, a remediation) carry one of `appObjectIds` in `claims` and are not drift; an event
 * without a caller is treated as someone else's.
 */
export function resourceEventVerdict(
  event: EventEnvelope,
  scopes: readonly DriftScope[],
  appObjectIds: readonly string[],
): ResourceEventVerdict {
  const eventId = event.id;
  if (!(RESOURCE_EVENT_TYPES as readonly string[]).includes(event.type))
    return { kind: "ignored", eventId, reason: `event type ${event.type} is not a Resources write/delete/action` };
  const data = record(event.data);
  const resourceId = typeof data.resourceUri === "string" ? data.resourceUri : event.subject;
  const claims = record(data.claims);
  const callerObjectId = OBJECT_ID_CLAIMS.map((c) => claims[c]).find((v): v is string => typeof v === "string");
  if (callerObjectId !== undefined && appObjectIds.some((id) => id.toLowerCase() === callerObjectId.toLowerCase()))
    return { kind: "ignored", eventId, reason: `written by the app's own identity (${callerObjectId})` };
  const scope = scopeOfResource(scopes, resourceId);
  if (!scope) {
    const group = /\/resourcegroups\/([^/]+)/i.exec(resourceId)?.[1]?.toLowerCase();
    return {
      kind: "ignored",
      eventId,
      reason: `${resourceId} is in no registered environment's resource groups`,
      ...(group !== undefined ? { unknownGroup: group } : {}),
    };
  }
  if (/\/providers\/microsoft\.resources\/deployments\//i.test(resourceId))
    return { kind: "ignored", eventId, reason: "a deployment record, not a resource" };
  const facts: EventFacts = {
    environment: scope.environment,
    resourceId,
    eventId,
    eventType: event.type,
    ...(callerObjectId !== undefined ? { callerObjectId } : {}),
  };
  const unit = ownerUnit(scope, resourceId);
  return unit ? { kind: "suspect", unit, ...facts } : { kind: "unmanaged", ...facts };
}

/**
 * The units a sweep tick checks: each unit once per interval, spread evenly over it (unit i of n at offset
 * phase + i·interval/n), so the what-ifs of a sweep never arrive at ARM together. `tickMinutes` is the timer's period.
 */
export function unitsDueInTick(
  units: readonly string[],
  intervalHours: number,
  tickEndMs: number,
  tickMinutes: number,
  phaseMs = 0,
): string[] {
  const interval = intervalHours * 3_600_000;
  const tick = tickMinutes * 60_000;
  const start = tickEndMs - tick;
  return units.filter((_, i) => {
    const offset = phaseMs + Math.floor((i * interval) / units.length);
    // The slot's next occurrence at or after the tick's start.
    const slot = start + ((((offset - start) % interval) + interval) % interval);
    return slot < tickEndMs;
  });
}

export interface SweepEnvironment {
  environment: string;
  /** Every unit a sweep checks, in plan order. */
  units: readonly string[];
  intervalHours: number;
}

/**
 * One tick of the sweep over every registered environment: environment k of K is shifted by k/K of one unit's
 * slot, so the environments' what-ifs interleave instead of arriving at ARM in the same tick. `cleanHistory` is set
 * for an environment in the tick of its first unit (once per interval).
 */
export function sweepTick(
  environments: readonly SweepEnvironment[],
  tickEndMs: number,
  tickMinutes: number,
): { environment: string; units: string[]; cleanHistory: boolean }[] {
  return environments.flatMap((env, k) => {
    if (env.units.length === 0) return [];
    const slot = (env.intervalHours * 3_600_000) / env.units.length;
    const phase = Math.floor((k * slot) / environments.length);
    const units = unitsDueInTick(env.units, env.intervalHours, tickEndMs, tickMinutes, phase);
    return units.length > 0
      ? [{ environment: env.environment, units, cleanHistory: units.includes(env.units[0]!) }]
      : [];
  });
}

// ---- deployment history --------------------------------------------------------------------------

/** ARM keeps 800 deployments per scope and deletes the oldest above 700 (azure-notes.md, deployment history). */
export const DEPLOYMENT_HISTORY_LIMIT = 800;
/** The app keeps each group's history below this, well under ARM's own clean-up threshold. */
export const DEPLOYMENT_HISTORY_TARGET = 600;

export interface DeploymentRecord {
  name: string;
  provisioningState: string;
  timestamp?: string;
  tags?: Record<string, string>;
}

export interface HistoryCleanup {
  /** The app's own records no current unit uses any more (renamed, removed cluster): delete. */
  remove: string[];
  /** Records of others, never touched. */
  others: number;
  /** Set when the group stays above the target even after the clean-up (others' records). */
  warning?: string;
}

/**
 * Which records of one scope to delete: only the app's (tagged with `appTag`), finished, and not the record of a
 * unit of the current plan (that one is the build's memory: the digest tag lets a re-run skip it).
 */
export function historyCleanup(
  records: readonly DeploymentRecord[],
  currentUnits: ReadonlySet<string>,
  appTag: string,
): HistoryCleanup {
  const finished = (r: DeploymentRecord) =>
    !["running", "accepted", "deploying"].includes(r.provisioningState.toLowerCase());
  const own = records.filter((r) => r.tags?.[appTag] !== undefined);
  const remove = own.filter((r) => finished(r) && !currentUnits.has(r.name)).map((r) => r.name);
  const others = records.length - own.length;
  const left = records.length - remove.length;
  return {
    remove,
    others,
    ...(left > DEPLOYMENT_HISTORY_TARGET
      ? {
          warning: `${left} deployment records remain (${others} not the app's); ARM removes the oldest above 700 of its limit of ${DEPLOYMENT_HISTORY_LIMIT}`,
        }
      : {}),
  };
}

// ---- torn-down clusters --------------------------------------------------------------------------

/** A cluster of the environment a teardown took away (lib/api clusterRemoval), as a drift check is told of it. */
export interface RemovedCluster {
  cluster: string;
  state: ClusterRemoval["state"];
  at: string;
}

/** Every cluster of the environment a teardown took away (or is taking away), for a drift check to skip. */
export async function removedClustersOf(
  spec: PlatformSpec,
  instances: Pick<ClusterInstances, "get">,
): Promise<RemovedCluster[]> {
  const removals = await Promise.all(
    spec.clusters.map(async (c) => ({ cluster: c.name, removal: await clusterRemoval(spec.name, c.name, instances) })),
  );
  return removals.flatMap(({ cluster, removal }) =>
    removal ? [{ cluster, state: removal.state, at: removal.at }] : [],
  );
}

function removalText(r: RemovedCluster): string {
  return r.state === "removed"
    ? `cluster ${r.cluster} torn down ${r.at}`
    : r.state === "tearing down"
      ? `cluster ${r.cluster} being torn down (since ${r.at})`
      : `cluster ${r.cluster}: its teardown failed ${r.at}`;
}

/**
 * The units a drift check skips, each with why: those a teardown took away (the cluster's own units and the
 * network units holding a peering to or from its VNet, whose records the teardown forgot: lib/plan teardownUnits).
 * A what-if of them would only say "not deployed yet"; the next build writes them again.
 */
export function unitsSkippedForTeardowns(
  spec: PlatformSpec,
  units: readonly DeploymentUnit[],
  removed: readonly RemovedCluster[],
): Map<string, string> {
  const skipped = new Map<string, string>();
  for (const r of removed) {
    if (!spec.clusters.some((c) => c.name === r.cluster)) continue;
    const { forget, peeringUnits } = teardownUnits(spec, r.cluster, units);
    for (const u of forget) {
      if (skipped.has(u.name)) continue;
      const peers = peeringUnits.some((p) => p.unit === u) && u.cluster !== r.cluster;
      skipped.set(
        u.name,
        peers
          ? `peers with ${removalText(r)} (its peering records were forgotten; the next build writes them again)`
          : removalText(r),
      );
    }
  }
  return skipped;
}
