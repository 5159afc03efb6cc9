import { ArmHttpError, isoDuration, type ArmErrorBody } from "./http";
import { guidFrom, key, parseResourceId } from "./ids";
import { nextId, type BackupJob, type SandboxContext, type StoredResource } from "./state";

/**
 * Data Protection (AKS backup) as the app sees it: backup instances created by the backup templates, a
 * daily scheduled backup at `backupHourUtc` on the simulated clock producing jobs and recovery points
 * (pruned after the retention), ad-hoc backups, restore validation, and injectable job failures.
 */

const DAY_MS = 24 * 3600_000;
export const BACKUP_INSTANCE_TYPE = "Microsoft.DataProtection/backupVaults/backupInstances";

export function isBackupInstance(r: { type: string }): boolean {
  return r.type.toLowerCase() === BACKUP_INSTANCE_TYPE.toLowerCase();
}

export function backupInstances(ctx: SandboxContext): StoredResource[] {
  return Object.values(ctx.data.resources).filter(isBackupInstance);
}

function nextDailyRun(ctx: SandboxContext, after: number): number {
  const d = new Date(after);
  const run = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), ctx.settings.backupHourUtc);
  return run > after ? run : run + DAY_MS;
}

export function registerBackupInstance(ctx: SandboxContext, r: StoredResource): void {
  ctx.data.backup.recoveryPoints[key(r.id)] ??= [];
  ctx.data.backup.nextScheduledAt ??= nextDailyRun(ctx, ctx.clock.now());
}

export function removeBackupInstance(ctx: SandboxContext, id: string): void {
  delete ctx.data.backup.recoveryPoints[key(id)];
}

export function backupNextEvent(ctx: SandboxContext): number | undefined {
  return backupInstances(ctx).length ? ctx.data.backup.nextScheduledAt : undefined;
}

function takeFailure(ctx: SandboxContext, biId: string): ArmErrorBody | undefined {
  for (const k of [key(biId), "*"]) {
    const f = ctx.data.backup.pendingFailures[k];
    if (f && f.count > 0) {
      f.count -= 1;
      if (f.count === 0) delete ctx.data.backup.pendingFailures[k];
      return { code: f.code, message: f.message };
    }
  }
  return undefined;
}

function startJob(ctx: SandboxContext, bi: StoredResource, at: number, userTriggered: boolean): BackupJob {
  const failure = takeFailure(ctx, bi.id);
  const end = at + ctx.settings.backupSeconds * 1000;
  const vaultId = bi.id.split("/").slice(0, -2).join("/");
  const name = guidFrom(`${bi.id}/job/${at}/${nextId(ctx, "j")}`);
  const job: BackupJob = {
    id: `${vaultId}/backupJobs/${name}`,
    name,
    backupInstanceId: bi.id,
    operation: "Backup",
    operationCategory: "Backup",
    status: failure ? "Failed" : "Completed",
    startTime: at,
    endTime: end,
    isUserTriggered: userTriggered,
    ...(failure ? { errorDetails: [failure] } : {}),
  };
  ctx.data.backup.jobs.push(job);
  if (!failure) {
    const rpName = guidFrom(`${bi.id}/rp/${end}`).replace(/-/g, "");
    (ctx.data.backup.recoveryPoints[key(bi.id)] ??= []).push({
      id: `${bi.id}/recoveryPoints/${rpName}`,
      name: rpName,
      recoveryPointTime: end,
    });
  }
  return job;
}

/** The daily schedule: one job per backup instance, then retention pruning. */
export function processBackupSchedule(ctx: SandboxContext, at: number): void {
  for (const bi of backupInstances(ctx)) startJob(ctx, bi, at, false);
  const keepAfter = at - ctx.settings.backupRetentionDays * DAY_MS;
  for (const [k, points] of Object.entries(ctx.data.backup.recoveryPoints)) {
    ctx.data.backup.recoveryPoints[k] = points.filter((p) => p.recoveryPointTime >= keepAfter);
  }
  ctx.data.backup.nextScheduledAt = at + DAY_MS;
}

export function injectBackupFailures(
  ctx: SandboxContext,
  target: string | undefined,
  count: number,
  code: string,
  message: string,
): void {
  let k = "*";
  if (target !== undefined) {
    const bi = backupInstances(ctx).find(
      (r) => key(r.id) === key(target) || r.name.split("/").pop()!.toLowerCase() === target.toLowerCase(),
    );
    if (!bi) throw new ArmHttpError(404, "ResourceNotFound", `no backup instance '${target}' in the sandbox`);
    k = key(bi.id);
  }
  ctx.data.backup.pendingFailures[k] = { count, code, message };
}

function requireInstance(ctx: SandboxContext, id: string): StoredResource {
  const bi = ctx.data.resources[key(id)];
  if (!bi || !isBackupInstance(bi))
    throw new ArmHttpError(404, "ResourceNotFound", `The backup instance '${id}' was not found.`);
  return bi;
}

/** Ad-hoc backup: starts a job now; the returned op finishes shortly after with the job id. */
export function adhocBackup(ctx: SandboxContext, biId: string): { jobId: string } {
  const job = startJob(ctx, requireInstance(ctx, biId), ctx.clock.now(), true);
  return { jobId: job.name };
}

export function validateRestore(ctx: SandboxContext, biId: string): void {
  requireInstance(ctx, biId);
}

function jobView(ctx: SandboxContext, job: BackupJob, now: number): unknown {
  const running = job.endTime === undefined || job.endTime > now;
  const bi = parseResourceId(job.backupInstanceId);
  const vault = job.backupInstanceId.split("/").slice(-3, -2)[0];
  const biResource = ctx.data.resources[key(job.backupInstanceId)];
  const dataSourceId = (biResource?.request.properties as { dataSourceInfo?: { resourceID?: string } } | undefined)
    ?.dataSourceInfo?.resourceID;
  return {
    id: job.id,
    name: job.name,
    type: "Microsoft.DataProtection/backupVaults/backupJobs",
    properties: {
      activityID: job.name,
      backupInstanceId: job.backupInstanceId,
      backupInstanceFriendlyName: bi?.name?.split("/").pop(),
      dataSourceId,
      dataSourceType: "Microsoft.ContainerService/managedClusters",
      operation: job.operation,
      operationCategory: job.operationCategory,
      status: running ? "InProgress" : job.status,
      startTime: new Date(job.startTime).toISOString(),
      ...(running
        ? {}
        : { endTime: new Date(job.endTime!).toISOString(), duration: isoDuration(job.endTime! - job.startTime) }),
      isUserTriggered: job.isUserTriggered,
      vaultName: vault,
      ...(!running && job.errorDetails ? { errorDetails: job.errorDetails } : {}),
    },
  };
}

export function listJobs(ctx: SandboxContext, vaultId: string): unknown[] {
  const now = ctx.clock.now();
  const prefix = key(vaultId) + "/";
  return ctx.data.backup.jobs
    .filter((j) => key(j.backupInstanceId).startsWith(prefix) && j.startTime <= now)
    .sort((a, b) => b.startTime - a.startTime)
    .map((j) => jobView(ctx, j, now));
}

export function getJob(ctx: SandboxContext, vaultId: string, name: string): unknown {
  const now = ctx.clock.now();
  const job = ctx.data.backup.jobs.find(
    (j) => j.name.toLowerCase() === name.toLowerCase() && key(j.backupInstanceId).startsWith(key(vaultId) + "/"),
  );
  if (!job) throw new ArmHttpError(404, "ResourceNotFound", `The backup job '${name}' was not found.`);
  return jobView(ctx, job, now);
}

export function listRecoveryPoints(ctx: SandboxContext, biId: string): unknown[] {
  requireInstance(ctx, biId);
  const now = ctx.clock.now();
  return (ctx.data.backup.recoveryPoints[key(biId)] ?? [])
    .filter((p) => p.recoveryPointTime <= now)
    .sort((a, b) => b.recoveryPointTime - a.recoveryPointTime)
    .map((p) => ({
      id: p.id,
      name: p.name,
      type: "Microsoft.DataProtection/backupVaults/backupInstances/recoveryPoints",
      properties: {
        objectType: "AzureBackupDiscreteRecoveryPoint",
        recoveryPointId: p.name,
        recoveryPointTime: new Date(p.recoveryPointTime).toISOString(),
        recoveryPointType: "Full",
      },
    }));
}
