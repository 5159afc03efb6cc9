/**
 * Durable instance ids of the app's long-running work, namespaced by kind (`build:`, `restore:`, `teardown:`):
 * one build per environment, one restore and one teardown per cluster at a time. Environment and cluster names
 * cannot hold a `:` (lib/spec), so a route that takes `{env}` or `{cluster}` can only ever address the ids of its
 * own kind and environment, never an eviction watch, a restore or a sub-build. Each API checks the others' ids so
 * that conflicting work never runs at once.
 */

export function buildInstanceId(environment: string): string {
  return `build:${environment}`;
}

/** A what-if of the environment: its own id, so a preview never becomes (or blocks) the environment's build. */
export function whatIfInstanceId(environment: string): string {
  return `whatif:${environment}`;
}

/** A build's sub-orchestration for one group of deployments (`cluster app1`, `platform`) in one run. */
export function buildChildInstanceId(parentInstanceId: string, runId: string, label: string): string {
  return `${parentInstanceId}:${runId}:${label.replace(/\s+/g, "-")}`;
}

export function restoreInstanceId(environment: string, cluster: string): string {
  return `restore:${environment}:${cluster}`;
}

/**
 * The rebuild of a lost cluster a restore runs first (a deployUnits sub-orchestration), one per restore run: a
 * cancel reaches it through the restore's status, which lists it, and never mistakes an earlier run's for it.
 */
export function restoreRebuildInstanceId(restoreInstanceId: string, runId: string): string {
  return `${restoreInstanceId}:${runId}:rebuild`;
}

export function teardownInstanceId(environment: string, cluster: string): string {
  return `teardown:${environment}:${cluster}`;
}

/**
 * The event a build and its sub-orchestrations, a teardown and a restore wait on alongside their timers: start nothing,
 * cancel (or await) what runs. Its payload is lib/api/cancel-request.
 */
export const CANCEL_EVENT = "cancel";

const ACTIVE = new Set(["Pending", "Running", "ContinuedAsNew", "Suspended"]);

/** Whether an instance in this runtime status still runs (or may run again). */
export function isActiveStatus(runtimeStatus: string | undefined): boolean {
  return runtimeStatus !== undefined && ACTIVE.has(runtimeStatus);
}
