import { z } from "zod";
import type { RecoveryPointInfo } from "../azure";
import { platformSpecSchema } from "../spec";

/**
 * OPS-7 restore rules as pure functions: which recovery point, the restore request Azure takes for an AKS
 * backup instance, how to read the workload check, and the elapsed time against the seed's ~30 minute target.
 */

/** What the restore orchestration is started with (Durable input). */
export const restoreClusterInputSchema = z.object({
  spec: platformSpecSchema,
  cluster: z.string(),
  /** Restore from this recovery point (name or id); the newest by default. */
  recoveryPointId: z.string().optional(),
});
export type RestoreClusterInput = z.infer<typeof restoreClusterInputSchema>;

/**
 * A running restore's custom status: the step it is at and what it started. The cancel reads it to reach the rebuild
 * (listed before it starts) until the restore has heard the cancel (`cancelRequestedAt`).
 */
export interface RestoreStatus {
  stage: string;
  rebuilt: boolean;
  /** The cluster's deployments a cancelled restore left unfinished that this one deploys (the cluster existed). */
  resumed?: string[];
  recoveryPoint?: string;
  jobId?: string;
  /** The rebuild sub-orchestration, from the step that starts it. */
  rebuildInstanceId?: string;
  cancelRequestedAt?: string;
}

/** The seed's target for the cluster-failure scenario (rebuild + restore). */
export const RESTORE_TARGET_MINUTES = 30;

/** The run command whose output tells whether the workloads came back. */
export const WORKLOAD_CHECK_COMMAND = "kubectl get pods -A -o json";

export type RecoveryPointChoice =
  { ok: true; point: RecoveryPointInfo & { time: string } } | { ok: false; reason: string };

/** The newest recovery point, or the requested one; a refusal says why in words a person can act on. */
export function chooseRecoveryPoint(
  points: readonly RecoveryPointInfo[],
  instance: string,
  requested?: string,
): RecoveryPointChoice {
  const dated = points.filter((p): p is RecoveryPointInfo & { time: string } => p.time !== undefined);
  if (requested !== undefined) {
    const match = dated.find(
      (p) => p.name.toLowerCase() === requested.toLowerCase() || p.id.toLowerCase() === requested.toLowerCase(),
    );
    if (match) return { ok: true, point: match };
    const known = dated
      .slice(0, 5)
      .map((p) => `${p.name} (${p.time})`)
      .join(", ");
    return {
      ok: false,
      reason: `recovery point ${requested} does not exist for backup instance ${instance}${known ? `; newest: ${known}` : "; it has no recovery points"}`,
    };
  }
  const newest = [...dated].sort((a, b) => b.time.localeCompare(a.time))[0];
  if (!newest)
    return {
      ok: false,
      reason: `backup instance ${instance} has no recovery point to restore from; nothing was changed (run an ad-hoc backup once the cluster is healthy)`,
    };
  return { ok: true, point: newest };
}

/** Item-level restore of a whole AKS backup into the (rebuilt) cluster the backup instance protects. */
export function buildRestoreRequest(input: {
  recoveryPointId: string;
  dataSourceInfo: Record<string, unknown>;
  location: string;
}): Record<string, unknown> {
  return {
    objectType: "AzureBackupRecoveryPointBasedRestoreRequest",
    sourceDataStoreType: "OperationalStore",
    recoveryPointId: input.recoveryPointId,
    restoreTargetInfo: {
      objectType: "ItemLevelRestoreTargetInfo",
      recoveryOption: "FailIfExists",
      restoreLocation: input.location,
      datasourceInfo: input.dataSourceInfo,
      restoreCriteria: [
        {
          objectType: "KubernetesClusterRestoreCriteria",
          includeClusterScopeResources: true,
          persistentVolumeRestoreMode: "RestoreWithVolumeData",
          conflictPolicy: "Skip",
        },
      ],
    },
    identityDetails: { useSystemAssignedIdentity: true },
  };
}

const podListSchema = z.object({
  items: z.array(
    z
      .object({
        metadata: z.object({ name: z.string(), namespace: z.string().default("default") }).loose(),
        status: z
          .object({ phase: z.string().default("Unknown") })
          .loose()
          .default({ phase: "Unknown" }),
      })
      .loose(),
  ),
});

export interface WorkloadCheck {
  ok: boolean;
  total: number;
  running: number;
  /** `namespace/name phase` of each pod that is not Running or Succeeded. */
  notReady: string[];
  message: string;
}

/** Reads `kubectl get pods -A -o json`: the workloads are back when there are pods and all run (or completed). */
export function readWorkloads(exitCode: number, logs: string): WorkloadCheck {
  if (exitCode !== 0)
    return {
      ok: false,
      total: 0,
      running: 0,
      notReady: [],
      message: `workload check exited ${exitCode}: ${logs.trim().slice(0, 300)}`,
    };
  let parsed;
  try {
    parsed = podListSchema.safeParse(JSON.parse(logs));
  } catch {
    return { ok: false, total: 0, running: 0, notReady: [], message: "workload check output is not JSON" };
  }
  if (!parsed.success)
    return { ok: false, total: 0, running: 0, notReady: [], message: "workload check output is not a pod list" };
  const pods = parsed.data.items;
  const notReady = pods
    .filter((p) => !["Running", "Succeeded"].includes(p.status.phase))
    .map((p) => `${p.metadata.namespace}/${p.metadata.name} ${p.status.phase}`);
  const running = pods.length - notReady.length;
  const ok = pods.length > 0 && notReady.length === 0;
  return {
    ok,
    total: pods.length,
    running,
    notReady,
    message:
      pods.length === 0
        ? "no pods are running in the cluster"
        : ok
          ? `${running} pods running`
          : `${notReady.length} of ${pods.length} pods not running: ${notReady.slice(0, 5).join(", ")}`,
  };
}

export function elapsedMinutes(startIso: string, endIso: string): number {
  return Math.round(((Date.parse(endIso) - Date.parse(startIso)) / 60_000) * 10) / 10;
}

/** "24.5 min (target 30 min: met)". */
/** The elapsed time against the target; a restore that restored nothing (refused, failed) is not measured against it. */
export function describeElapsed(minutes: number, target = RESTORE_TARGET_MINUTES, restored = true): string {
  if (!restored) return `${minutes} min (nothing was restored, so the ${target} min target does not apply)`;
  return `${minutes} min (target ${target} min: ${minutes <= target ? "met" : `missed by ${Math.round((minutes - target) * 10) / 10} min`})`;
}
