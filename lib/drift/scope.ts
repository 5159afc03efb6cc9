import type { EventEnvelope } from "../events/types";
import { buildPlan, planDeployments, type Plan } from "../plan";
import type { PlatformSpec } from "../spec";

/**
 * What drift detection watches: the platform's resource groups and, per deployment unit, the resources its
 * template holds (so a write to a resource names the unit to check). Pure; the plan is the offline expansion.
 */

export interface DriftScope {
  environment: string;
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
    resourceGroups: [spec.commonResourceGroup, ...spec.clusters.map((c) => c.resourceGroup)],
    units: deployments
      // Resource-group units only create their group; a write inside it belongs to the unit of that resource.
      .filter((d) => d.scope === "resourceGroup")
      .map((d) => ({ name: d.name, resourceKeys: d.resources.map((r) => resourceKey(r.id)) })),
  };
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

export type ResourceEventVerdict =
  | { kind: "suspect"; unit: string; resourceId: string; callerObjectId?: string; eventId: string; eventType: string }
  /** A write to a resource of the platform's groups that no unit declares (e.g. a role assignment added by hand). */
  | { kind: "unmanaged"; resourceId: string; callerObjectId?: string; eventId: string; eventType: string }
  | { kind: "ignored"; eventId: string; reason: string };

function record(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/**
 * A Resources event → which unit became suspect. The app's own writes (a build, a remediation) carry one of
 * `appObjectIds` in `claims` and are not drift; an event without a caller is treated as someone else's.
 */
export function resourceEventVerdict(
  event: EventEnvelope,
  scope: DriftScope,
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
  const group = /\/resourcegroups\/([^/]+)/i.exec(resourceId)?.[1];
  if (!group || !scope.resourceGroups.some((g) => g.toLowerCase() === group.toLowerCase()))
    return { kind: "ignored", eventId, reason: `${resourceId} is outside the platform's resource groups` };
  if (/\/providers\/microsoft\.resources\/deployments\//i.test(resourceId))
    return { kind: "ignored", eventId, reason: "a deployment record, not a resource" };
  const caller = callerObjectId !== undefined ? { callerObjectId } : {};
  const unit = ownerUnit(scope, resourceId);
  if (!unit) return { kind: "unmanaged", resourceId, eventId, eventType: event.type, ...caller };
  return { kind: "suspect", unit, resourceId, eventId, eventType: event.type, ...caller };
}

/**
 * The units a sweep tick checks: each unit once per interval, spread evenly over it (unit i of n at offset
 * i·interval/n), so the what-ifs of a sweep never arrive at ARM together. `tickMinutes` is the timer's period.
 */
export function unitsDueInTick(
  units: readonly string[],
  intervalHours: number,
  tickEndMs: number,
  tickMinutes: number,
): string[] {
  const interval = intervalHours * 3_600_000;
  const tick = tickMinutes * 60_000;
  const start = tickEndMs - tick;
  return units.filter((_, i) => {
    const offset = Math.floor((i * interval) / units.length);
    // The slot's next occurrence at or after the tick's start.
    const slot = start + ((((offset - start) % interval) + interval) % interval);
    return slot < tickEndMs;
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
