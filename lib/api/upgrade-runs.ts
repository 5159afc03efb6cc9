import { upgradeInstanceId } from "../upgrade";
import { isActiveStatus } from "./instance-ids";

/**
 * The environment's upgrade run as other work sees it: an active run (planning, waiting for approval, upgrading,
 * soaking or blocked at a cluster) owns the environment's clusters, so a build, a teardown or a restore must not
 * run under it (a build would PUT a cluster AKS is upgrading, or back to the version it is leaving; a teardown would
 * delete a cluster the run will gate). The build, teardown and restore APIs and the CLI ask this.
 */

/** What the upgrade API and the others read from the run's Durable instance. */
export interface UpgradeRunView {
  runtimeStatus?: string;
  customStatus?: unknown;
  input?: unknown;
}

export interface RunSummary {
  runId?: string;
  state?: string;
  waitingFor?: string;
}

/** The run's id, state and what it waits for, from its custom status (or its input before the first status). */
export function runOf(view: UpgradeRunView | undefined): RunSummary {
  const status = (view?.customStatus ?? {}) as RunSummary;
  const input = (view?.input ?? {}) as { runId?: string };
  return { ...status, runId: status.runId ?? input.runId };
}

/** Why `work` cannot start now because an upgrade run of `env` is active, or undefined. */
export async function upgradeRunBlocker(
  env: string,
  work: string,
  get: (instanceId: string) => Promise<UpgradeRunView | undefined>,
): Promise<{ instanceId: string; runId?: string; reason: string } | undefined> {
  const instanceId = upgradeInstanceId(env);
  const view = await get(instanceId);
  if (!isActiveStatus(view?.runtimeStatus)) return undefined;
  const run = runOf(view);
  const id = run.runId ?? "?";
  return {
    instanceId,
    ...(run.runId !== undefined ? { runId: run.runId } : {}),
    reason:
      `upgrade run ${id} of environment ${env} is ${run.state ?? "running"}; ${work} after it ends, or cancel it ` +
      `(POST /api/environments/${env}/upgrades/${id}/cancel, aks-platform upgrade cancel ${id})`,
  };
}
