import { z } from "zod";
import type { ArmErrorDetail, BackupInstanceInfo, BackupJobInfo, RecoveryPointInfo } from "../azure";
import { backupInstanceName } from "../plan/units";
import type { ClusterSpec, PlatformSpec } from "../spec";

/**
 * OPS-5 verification rules, as pure functions over what was read from the Backup vault: a backup instance is
 * healthy when its protection is configured, its newest recovery point is younger than the threshold (26 h after a
 * daily 02:00 UTC backup), its last backup job succeeded and its policy keeps recovery points as long as the spec
 * says. Every cluster of the spec with `addons.backup` must have an instance.
 */

export const VERDICTS = ["healthy", "stale", "failed", "unprotected", "missing"] as const;
export type Verdict = (typeof VERDICTS)[number];

export const verifyPolicySchema = z.object({
  /** Newest recovery point may be at most this old (hours). */
  maxAgeHours: z.number(),
  /** Retention the backup policy must have (days). */
  retentionDays: z.number(),
});
export type VerifyPolicy = z.infer<typeof verifyPolicySchema>;

export const DEFAULT_MAX_AGE_HOURS = 26;

export function verifyPolicyFor(spec: PlatformSpec): VerifyPolicy {
  return { maxAgeHours: DEFAULT_MAX_AGE_HOURS, retentionDays: spec.shared.backupVault.retentionDays };
}

/** Azure's value for "protection configured" in both `protectionStatus.status` and `currentProtectionState`. */
const PROTECTED = "protectionconfigured";
const SUCCEEDED_JOB = new Set(["completed", "succeeded"]);
const RUNNING_JOB = new Set(["inprogress", "started", "running", "notstarted"]);

const lastJobSchema = z.object({
  status: z.string(),
  operation: z.string(),
  startTime: z.string().optional(),
  endTime: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type LastJob = z.infer<typeof lastJobSchema>;

/** Everything read about one backup instance; `readErrors` holds what could not be read (and why). */
export interface InstanceEvidence {
  instance: BackupInstanceInfo;
  recoveryPoints: RecoveryPointInfo[];
  /** Backup jobs of this instance (any order). */
  jobs: BackupJobInfo[];
  /** Retention of the instance's policy (days), when it could be read. */
  policyRetentionDays?: number;
  readErrors: string[];
}

export const instanceReportSchema = z.object({
  name: z.string(),
  /** The spec cluster this instance protects, when it maps to one. */
  cluster: z.string().optional(),
  datasource: z.string().nullable(),
  protectionStatus: z.string().nullable(),
  protectionState: z.string().nullable(),
  latestRecoveryPoint: z.string().nullable(),
  ageHours: z.number().nullable(),
  recoveryPoints: z.number(),
  lastJob: lastJobSchema.nullable(),
  verdict: z.enum(VERDICTS),
  problems: z.array(z.string()),
  /** Since when the worst problem holds (ISO), when known. */
  since: z.string().optional(),
});
export type InstanceReport = z.infer<typeof instanceReportSchema>;

function lower(value: string | undefined): string {
  return (value ?? "").toLowerCase();
}

function firstError(errors: readonly ArmErrorDetail[]): { code: string; message: string } | undefined {
  const e = errors[0];
  return e === undefined ? undefined : { code: e.code, message: e.message };
}

function isBackupJob(job: BackupJobInfo): boolean {
  const category = lower(job.operationCategory ?? job.operation);
  return category === "" || category.includes("backup");
}

/** Newest first; jobs without a start time sort last. */
function byStartDesc(a: BackupJobInfo, b: BackupJobInfo): number {
  return (b.startTime ?? "").localeCompare(a.startTime ?? "");
}

function toLastJob(job: BackupJobInfo): LastJob {
  const error = firstError(job.errors);
  return {
    status: job.status ?? "Unknown",
    operation: job.operation ?? job.operationCategory ?? "Backup",
    ...(job.startTime !== undefined ? { startTime: job.startTime } : {}),
    ...(job.endTime !== undefined ? { endTime: job.endTime } : {}),
    ...(error !== undefined ? { error } : {}),
  };
}

/** The cluster a backup instance protects: by data source (the AKS resource name) or by the instance's name. */
export function clusterOfInstance(
  spec: PlatformSpec,
  instance: Pick<BackupInstanceInfo, "name" | "dataSourceId">,
): ClusterSpec | undefined {
  const source = instance.dataSourceId?.split("/").filter(Boolean).pop()?.toLowerCase();
  return spec.clusters.find(
    (c) =>
      (source !== undefined && c.aksName.toLowerCase() === source) ||
      backupInstanceName(c).toLowerCase() === instance.name.toLowerCase(),
  );
}

function hoursBetween(fromIso: string, now: Date): number {
  return Math.round(((now.getTime() - Date.parse(fromIso)) / 3600_000) * 10) / 10;
}

/** One instance's verdict with the evidence behind it. Precedence: unprotected > failed > stale > healthy. */
export function verifyInstance(
  evidence: InstanceEvidence,
  policy: VerifyPolicy,
  now: Date,
  cluster?: string,
): InstanceReport {
  const { instance } = evidence;
  const problems: string[] = [];
  const verdicts = new Set<Verdict>();
  let since: string | undefined;

  const status = instance.protectionStatus;
  const state = instance.currentProtectionState;
  if (lower(status) !== PROTECTED) {
    verdicts.add("unprotected");
    const detail = firstError(instance.errors);
    problems.push(
      `protection status is ${status ?? "unknown"}, not ProtectionConfigured${detail ? ` (${detail.code}: ${detail.message})` : ""}`,
    );
  }
  if (state !== undefined && lower(state) !== PROTECTED) {
    verdicts.add("unprotected");
    problems.push(`current protection state is ${state}, not ProtectionConfigured`);
  }
  if (evidence.policyRetentionDays !== undefined && evidence.policyRetentionDays !== policy.retentionDays) {
    verdicts.add("unprotected");
    problems.push(
      `policy keeps recovery points ${evidence.policyRetentionDays} days, the spec requires ${policy.retentionDays}`,
    );
  }

  const finished = evidence.jobs.filter((j) => isBackupJob(j) && !RUNNING_JOB.has(lower(j.status))).sort(byStartDesc);
  const last = finished[0];
  if (last === undefined) {
    verdicts.add("stale");
    // Right after protection is configured the first job is still running: say so, rather than "nothing on record".
    const running = evidence.jobs.filter((j) => isBackupJob(j) && RUNNING_JOB.has(lower(j.status))).sort(byStartDesc);
    const first = running.at(-1);
    problems.push(
      first !== undefined
        ? `first backup job ${first.name} running since ${first.startTime ?? "an unknown time"}, no finished one yet`
        : "no finished backup job on record",
    );
  } else if (!SUCCEEDED_JOB.has(lower(last.status))) {
    verdicts.add("failed");
    // The failure streak started at the oldest failed job newer than the last success.
    const lastSuccess = finished.findIndex((j) => SUCCEEDED_JOB.has(lower(j.status)));
    const streak = lastSuccess === -1 ? finished : finished.slice(0, lastSuccess);
    since = streak.at(-1)?.startTime ?? last.startTime;
    const error = firstError(last.errors);
    problems.push(
      `last backup job ${last.name} ${last.status ?? "ended"}${last.endTime ? ` at ${last.endTime}` : ""}${error ? `: ${error.code}: ${error.message}` : ""}` +
        (streak.length > 1 ? ` (${streak.length} failed jobs in a row)` : ""),
    );
  }

  const newest = [...evidence.recoveryPoints]
    .filter((p) => p.time !== undefined)
    .sort((a, b) => b.time!.localeCompare(a.time!))[0];
  const ageHours = newest?.time !== undefined ? hoursBetween(newest.time, now) : null;
  if (newest === undefined) {
    verdicts.add("stale");
    problems.push("no recovery point");
  } else if (ageHours !== null && ageHours > policy.maxAgeHours) {
    verdicts.add("stale");
    since ??= newest.time;
    problems.push(`newest recovery point is ${ageHours} h old (limit ${policy.maxAgeHours} h), taken ${newest.time}`);
  }

  for (const e of evidence.readErrors) {
    verdicts.add("failed");
    problems.push(`could not verify: ${e}`);
  }

  const verdict: Verdict = (["unprotected", "failed", "stale"] as const).find((v) => verdicts.has(v)) ?? "healthy";
  return {
    name: instance.name,
    ...(cluster !== undefined ? { cluster } : {}),
    datasource: instance.dataSourceId ?? null,
    protectionStatus: status ?? null,
    protectionState: state ?? null,
    latestRecoveryPoint: newest?.time ?? null,
    ageHours,
    recoveryPoints: evidence.recoveryPoints.length,
    lastJob: last ? toLastJob(last) : null,
    verdict,
    problems,
    ...(since !== undefined ? { since } : {}),
  };
}

/** A cluster of the spec that should be backed up but has no backup instance. */
export function missingInstance(cluster: ClusterSpec): InstanceReport {
  return {
    name: backupInstanceName(cluster),
    cluster: cluster.name,
    datasource: null,
    protectionStatus: null,
    protectionState: null,
    latestRecoveryPoint: null,
    ageHours: null,
    recoveryPoints: 0,
    lastJob: null,
    verdict: "missing",
    problems: [`cluster ${cluster.name} (${cluster.aksName}) has addons.backup but no backup instance in the vault`],
  };
}

/** The spec's backed-up clusters that no instance maps to. */
export function missingClusters(
  spec: PlatformSpec,
  instances: readonly Pick<BackupInstanceInfo, "name" | "dataSourceId">[],
): ClusterSpec[] {
  const covered = new Set(instances.map((i) => clusterOfInstance(spec, i)?.name).filter((n) => n !== undefined));
  return spec.clusters.filter((c) => c.addons.backup && !covered.has(c.name));
}

/**
 * The instance whose restore is validated tonight: one per night, rotating through the sorted names by UTC day so
 * every instance is validated every n nights and a re-run the same night picks the same one.
 */
export function rotationPick(names: readonly string[], now: Date): string | undefined {
  if (names.length === 0) return undefined;
  const sorted = [...names].sort();
  const day = Math.floor(now.getTime() / 86_400_000);
  return sorted[day % sorted.length];
}

/** Jobs per backup instance (by instance id, case-insensitive), from one read of the vault's job list. */
export function jobsByInstance(jobs: readonly BackupJobInfo[]): Map<string, BackupJobInfo[]> {
  const out = new Map<string, BackupJobInfo[]>();
  for (const j of jobs) {
    if (j.backupInstanceId === undefined) continue;
    const k = j.backupInstanceId.toLowerCase();
    out.set(k, [...(out.get(k) ?? []), j]);
  }
  return out;
}

/**
 * Only the jobs the verdict needs: finished backup jobs back to (and including) the last success, and, while none has
 * finished, the running ones (the first backup after protection is configured).
 */
export function relevantJobs(jobs: readonly BackupJobInfo[]): BackupJobInfo[] {
  const backups = jobs.filter(isBackupJob).sort(byStartDesc);
  const finished = backups.filter((j) => !RUNNING_JOB.has(lower(j.status)));
  if (finished.length === 0) return backups;
  const lastSuccess = finished.findIndex((j) => SUCCEEDED_JOB.has(lower(j.status)));
  return lastSuccess === -1 ? finished : finished.slice(0, lastSuccess + 1);
}

export function isHealthy(report: Pick<InstanceReport, "verdict">): boolean {
  return report.verdict === "healthy";
}
