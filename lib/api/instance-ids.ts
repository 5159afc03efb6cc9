/**
 * Durable instance ids of the app's long-running work: one build per environment, one restore and one teardown
 * per cluster at a time. Each API checks the others' ids so that conflicting work never runs at once.
 */

export function buildInstanceId(environment: string): string {
  return environment;
}

export function restoreInstanceId(environment: string, cluster: string): string {
  return `restore:${environment}:${cluster}`;
}

export function teardownInstanceId(environment: string, cluster: string): string {
  return `teardown:${environment}:${cluster}`;
}

const ACTIVE = new Set(["Pending", "Running", "ContinuedAsNew", "Suspended"]);

/** Whether an instance in this runtime status still runs (or may run again). */
export function isActiveStatus(runtimeStatus: string | undefined): boolean {
  return runtimeStatus !== undefined && ACTIVE.has(runtimeStatus);
}
