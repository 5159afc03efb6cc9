import { z } from "zod";
import { restorePods } from "./cluster";
import { ArmHttpError, isoDuration, type ArmErrorBody } from "./http";
import { guidFrom, key, parseResourceId } from "./ids";
import {
  nextId,
  resourceView,
  type BackupJob,
  type BackupOperation,
  type RecoveryPoint,
  type SandboxContext,
  type SnapshotPod,
  type StoredResource,
} from "./state";

/**
 * Data Protection (AKS backup) as the app sees it: backup instances created by the backup templates, a first
 * backup as soon as an instance is configured, then a daily scheduled backup at `backupHourUtc` on the simulated
 * clock, producing jobs and recovery points (pruned after the retention) that capture the cluster's workload pods;
 * ad-hoc backups, restore validation, restores that bring the captured pods back into the target cluster, stop
 * protection and suspend backups (the recovery points stay after the protected cluster is gone), a settable
 * protection status, and injectable job failures.
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

/**
 * A backup instance a deployment wrote. A newly configured one takes its first backup at once (Azure starts the
 * initial backup when protection is configured, before the policy's schedule), so a platform is restorable right
 * after its build; a redeployment of an existing one keeps its recovery points.
 */
export function registerBackupInstance(ctx: SandboxContext, r: StoredResource, created: boolean): void {
  ctx.data.backup.recoveryPoints[key(r.id)] ??= [];
  ctx.data.backup.nextScheduledAt ??= nextDailyRun(ctx, ctx.clock.now());
  if (created) runBackup(ctx, r, ctx.clock.now(), false);
}

export function removeBackupInstance(ctx: SandboxContext, id: string): void {
  delete ctx.data.backup.recoveryPoints[key(id)];
}

export function backupNextEvent(ctx: SandboxContext): number | undefined {
  return backupInstances(ctx).length ? ctx.data.backup.nextScheduledAt : undefined;
}

function failureKey(operation: BackupOperation, target: string): string {
  return `${operation.toLowerCase()}:${target}`;
}

function takeFailure(ctx: SandboxContext, operation: BackupOperation, biId: string): ArmErrorBody | undefined {
  for (const k of [key(biId), "*"].map((t) => failureKey(operation, t))) {
    const f = ctx.data.backup.pendingFailures[k];
    if (f && f.count > 0) {
      f.count -= 1;
      if (f.count === 0) delete ctx.data.backup.pendingFailures[k];
      return { code: f.code, message: f.message };
    }
  }
  return undefined;
}

const CONFIGURED = "ProtectionConfigured";
/** `stopProtection`: no more backups, every recovery point kept until deleted ("data will be held forever"). */
export const PROTECTION_STOPPED = "ProtectionStopped";
/** `suspendBackups`: no more backups, recovery points pruned by the policy except the newest, kept forever. */
export const BACKUPS_SUSPENDED = "BackupsSuspended";

/** `protectionStatus.status` as GET shows it (set by the protection control, else configured). */
function protectionStatusOf(bi: StoredResource): string {
  const props = resourceView(bi).properties as { protectionStatus?: { status?: unknown } };
  return typeof props.protectionStatus?.status === "string" ? props.protectionStatus.status : CONFIGURED;
}

function protectedClusterId(bi: StoredResource): string | undefined {
  const id = (bi.request.properties as { dataSourceInfo?: { resourceID?: unknown } } | undefined)?.dataSourceInfo
    ?.resourceID;
  return typeof id === "string" ? id : undefined;
}

/** The protected cluster's pods outside kube-system (what the AKS backup extension captures for the app). */
function captureWorkloads(ctx: SandboxContext, bi: StoredResource): SnapshotPod[] | undefined {
  const clusterId = protectedClusterId(bi);
  const cluster = clusterId === undefined ? undefined : ctx.data.clusters[key(clusterId)];
  return cluster?.pods
    .filter((p) => p.namespace !== "kube-system")
    .map((p) => ({
      namespace: p.namespace,
      name: p.name,
      ...(p.nodePool !== undefined ? { nodePool: p.nodePool } : {}),
    }));
}

function createJob(
  ctx: SandboxContext,
  bi: StoredResource,
  at: number,
  operation: BackupOperation,
  userTriggered: boolean,
  failure: ArmErrorBody | undefined,
): BackupJob {
  const seconds = operation === "Backup" ? ctx.settings.backupSeconds : ctx.settings.restoreSeconds;
  const vaultId = bi.id.split("/").slice(0, -2).join("/");
  const name = guidFrom(`${bi.id}/job/${at}/${nextId(ctx, "j")}`);
  const job: BackupJob = {
    id: `${vaultId}/backupJobs/${name}`,
    name,
    backupInstanceId: bi.id,
    operation,
    operationCategory: operation,
    status: failure ? "Failed" : "Completed",
    startTime: at,
    endTime: at + seconds * 1000,
    isUserTriggered: userTriggered,
    ...(failure ? { errorDetails: [failure] } : {}),
  };
  ctx.data.backup.jobs.push(job);
  return job;
}

/** A backup job; when it succeeds, a recovery point at its end holding the workloads seen at its start. */
function runBackup(ctx: SandboxContext, bi: StoredResource, at: number, userTriggered: boolean): BackupJob {
  const failure = takeFailure(ctx, "Backup", bi.id);
  const job = createJob(ctx, bi, at, "Backup", userTriggered, failure);
  if (!failure) {
    const end = job.endTime!;
    const rpName = guidFrom(`${bi.id}/rp/${end}`).replace(/-/g, "");
    const workloads = captureWorkloads(ctx, bi);
    (ctx.data.backup.recoveryPoints[key(bi.id)] ??= []).push({
      id: `${bi.id}/recoveryPoints/${rpName}`,
      name: rpName,
      recoveryPointTime: end,
      ...(workloads !== undefined ? { workloads } : {}),
    });
  }
  return job;
}

/**
 * The daily schedule: one job per protected backup instance, then retention pruning, as stop protection and
 * suspend backups define it (BackupInstanceResources_StopProtection / _SuspendBackups, Data Protection REST).
 */
export function processBackupSchedule(ctx: SandboxContext, at: number): void {
  for (const bi of backupInstances(ctx)) if (protectionStatusOf(bi) === CONFIGURED) runBackup(ctx, bi, at, false);
  const keepAfter = at - ctx.settings.backupRetentionDays * DAY_MS;
  const statusByKey = new Map(backupInstances(ctx).map((bi) => [key(bi.id), protectionStatusOf(bi)]));
  for (const [k, points] of Object.entries(ctx.data.backup.recoveryPoints)) {
    const status = statusByKey.get(k);
    if (status === PROTECTION_STOPPED) continue;
    const newest = Math.max(...points.map((p) => p.recoveryPointTime));
    ctx.data.backup.recoveryPoints[k] = points.filter(
      (p) => p.recoveryPointTime >= keepAfter || (status === BACKUPS_SUSPENDED && p.recoveryPointTime === newest),
    );
  }
  ctx.data.backup.nextScheduledAt = at + DAY_MS;
}

/** A backup instance by full id or by name; 404 when the sandbox has none. */
function findInstance(ctx: SandboxContext, target: string): StoredResource {
  const bi = backupInstances(ctx).find(
    (r) => key(r.id) === key(target) || r.name.split("/").pop()!.toLowerCase() === target.toLowerCase(),
  );
  if (!bi) throw new ArmHttpError(404, "ResourceNotFound", `no backup instance '${target}' in the sandbox`);
  return bi;
}

export function injectBackupFailures(
  ctx: SandboxContext,
  operation: BackupOperation,
  target: string | undefined,
  count: number,
  code: string,
  message: string,
): void {
  const k = target === undefined ? "*" : key(findInstance(ctx, target).id);
  ctx.data.backup.pendingFailures[failureKey(operation, k)] = { count, code, message };
}

/**
 * Sets what GET shows as `protectionStatus` and `currentProtectionState` (Azure sets them when protection is
 * stopped, suspended or in error); a redeployment of the instance configures protection again.
 */
export function setProtection(
  ctx: SandboxContext,
  target: string,
  protection: { status: string; currentProtectionState: string; errorDetails?: ArmErrorBody },
): void {
  const bi = findInstance(ctx, target);
  bi.computed.properties.protectionStatus = {
    status: protection.status,
    ...(protection.errorDetails !== undefined ? { errorDetails: protection.errorDetails } : {}),
  };
  bi.computed.properties.currentProtectionState = protection.currentProtectionState;
}

/**
 * `POST …/backupInstances/{bi}/stopProtection` or `…/suspendBackups`: checked when asked (404 for an unknown
 * instance; a second stop of a stopped instance is refused, as it has nothing left to stop), applied when the
 * operation ends (`applyProtectionChange`). The instance and its recovery points outlive the protected cluster.
 */
export function checkProtectionChange(ctx: SandboxContext, biId: string, to: "stop" | "suspend"): void {
  const bi = requireInstance(ctx, biId);
  const status = protectionStatusOf(bi);
  if (status === PROTECTION_STOPPED || (to === "suspend" && status === BACKUPS_SUSPENDED))
    throw new ArmHttpError(
      400,
      "UserErrorInvalidOperationForProtectionState",
      `The backup instance '${bi.name.split("/").pop()!}' is ${status}; ${to === "stop" ? "stop protection" : "suspend backups"} is not allowed in this state.`,
    );
}

export function applyProtectionChange(ctx: SandboxContext, biId: string, to: "stop" | "suspend"): void {
  const bi = ctx.data.resources[key(biId)];
  if (!bi || !isBackupInstance(bi)) return;
  const state = to === "stop" ? PROTECTION_STOPPED : BACKUPS_SUSPENDED;
  bi.computed.properties.protectionStatus = { status: state };
  bi.computed.properties.currentProtectionState = state;
}

function requireInstance(ctx: SandboxContext, id: string): StoredResource {
  const bi = ctx.data.resources[key(id)];
  if (!bi || !isBackupInstance(bi))
    throw new ArmHttpError(404, "ResourceNotFound", `The backup instance '${id}' was not found.`);
  return bi;
}

/** Ad-hoc backup: starts a job now; the returned op finishes shortly after with the job id. */
export function adhocBackup(ctx: SandboxContext, biId: string): { jobId: string } {
  const bi = requireInstance(ctx, biId);
  const status = protectionStatusOf(bi);
  if (status !== CONFIGURED)
    throw new ArmHttpError(
      400,
      "UserErrorBackupInstanceNotProtected",
      `The backup instance '${bi.name.split("/").pop()!}' cannot be backed up: its protection status is ${status}.`,
    );
  const job = runBackup(ctx, bi, ctx.clock.now(), true);
  return { jobId: job.name };
}

// The AzureBackupRestoreRequest the sandbox accepts: a recovery point restored item-level into an AKS cluster
// (the only restore AKS backup offers). Other documented kinds are rejected as unsupported, not as invalid.
const restoreCriteriaSchema = z
  .object({
    objectType: z.literal("KubernetesClusterRestoreCriteria"),
    includeClusterScopeResources: z.boolean(),
    includedNamespaces: z.array(z.string()).optional(),
    excludedNamespaces: z.array(z.string()).optional(),
    includedResourceTypes: z.array(z.string()).optional(),
    excludedResourceTypes: z.array(z.string()).optional(),
    labelSelectors: z.array(z.string()).optional(),
    persistentVolumeRestoreMode: z.enum(["RestoreWithVolumeData", "RestoreWithoutVolumeData"]).optional(),
    conflictPolicy: z.enum(["Skip", "Patch"]).optional(),
    namespaceMappings: z.record(z.string(), z.string()).optional(),
  })
  .loose();

const restoreRequestSchema = z
  .object({
    objectType: z.enum([
      "AzureBackupRecoveryPointBasedRestoreRequest",
      "AzureBackupRecoveryTimeBasedRestoreRequest",
      "AzureBackupRestoreWithRehydrationRequest",
    ]),
    sourceDataStoreType: z.enum(["ArchiveStore", "SnapshotStore", "OperationalStore", "VaultStore"]),
    recoveryPointId: z.string().min(1).optional(),
    sourceResourceId: z.string().optional(),
    restoreTargetInfo: z
      .object({
        objectType: z.enum(["ItemLevelRestoreTargetInfo", "RestoreTargetInfo", "RestoreFilesTargetInfo"]),
        recoveryOption: z.literal("FailIfExists"),
        restoreLocation: z.string().optional(),
        datasourceInfo: z
          .object({ resourceID: z.string().min(1) })
          .loose()
          .optional(),
        restoreCriteria: z.array(restoreCriteriaSchema).optional(),
      })
      .loose(),
    identityDetails: z
      .object({ useSystemAssignedIdentity: z.boolean().optional(), userAssignedIdentityArmUrl: z.string().optional() })
      .loose()
      .optional(),
  })
  .loose();

interface ParsedRestore {
  recoveryPointId: string;
  targetClusterId: string;
  criteria: z.infer<typeof restoreCriteriaSchema>;
}

function invalidRequest(path: string, message: string): ArmHttpError {
  return new ArmHttpError(400, "InvalidRequestContent", `The restore request is invalid at '${path}': ${message}`);
}

function parseRestoreRequest(body: unknown, where: string): ParsedRestore {
  const parsed = restoreRequestSchema.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidRequest([where, ...(issue?.path ?? [])].filter(Boolean).join("."), issue?.message ?? "invalid");
  }
  const r = parsed.data;
  const at = (path: string) => [where, path].filter(Boolean).join(".");
  if (r.objectType !== "AzureBackupRecoveryPointBasedRestoreRequest")
    throw new ArmHttpError(
      400,
      "SandboxUnsupported",
      `The sandbox restores AKS backups from a recovery point only, not ${r.objectType}.`,
    );
  if (r.recoveryPointId === undefined)
    throw invalidRequest(at("recoveryPointId"), "required for AzureBackupRecoveryPointBasedRestoreRequest");
  const target = r.restoreTargetInfo;
  if (target.objectType !== "ItemLevelRestoreTargetInfo")
    throw invalidRequest(at("restoreTargetInfo.objectType"), "an AKS backup restores as ItemLevelRestoreTargetInfo");
  if (target.datasourceInfo === undefined)
    throw invalidRequest(at("restoreTargetInfo.datasourceInfo"), "required: the target cluster");
  const [criteria, ...more] = target.restoreCriteria ?? [];
  if (criteria === undefined || more.length > 0)
    throw invalidRequest(at("restoreTargetInfo.restoreCriteria"), "exactly one KubernetesClusterRestoreCriteria");
  return { recoveryPointId: r.recoveryPointId, targetClusterId: target.datasourceInfo.resourceID, criteria };
}

function findRecoveryPoint(ctx: SandboxContext, bi: StoredResource, id: string): RecoveryPoint {
  const now = ctx.clock.now();
  const point = (ctx.data.backup.recoveryPoints[key(bi.id)] ?? []).find(
    (p) => p.recoveryPointTime <= now && (p.name.toLowerCase() === id.toLowerCase() || key(p.id) === key(id)),
  );
  if (!point)
    throw new ArmHttpError(
      400,
      "UserErrorRecoveryPointNotFound",
      `The recovery point '${id}' does not exist for backup instance '${bi.name.split("/").pop()!}'.`,
    );
  return point;
}

/**
 * `validateRestore` checks the request and its recovery point (400 when wrong). It does not look at the target
 * cluster: the sandbox does not model the backup extension or trusted access the service checks there.
 */
export function validateRestore(ctx: SandboxContext, biId: string, body: unknown): void {
  const bi = requireInstance(ctx, biId);
  const request = parseRestoreRequest(
    (body as { restoreRequestObject?: unknown } | undefined)?.restoreRequestObject,
    "restoreRequestObject",
  );
  findRecoveryPoint(ctx, bi, request.recoveryPointId);
}

/**
 * What the target cluster lacks for the vault to restore into it: the backup extension must be installed in the
 * target cluster and the vault needs trusted access to it (https://learn.microsoft.com/azure/backup/azure-kubernetes-service-cluster-backup-concept).
 * The job fails without them; the codes are the sandbox's own (Azure's exact codes are not verified).
 */
function restoreTargetGap(
  ctx: SandboxContext,
  clusterId: string,
  biId: string,
): { code: string; message: string } | undefined {
  const resources = Object.values(ctx.data.resources);
  const prefix = key(clusterId);
  const extension = resources.some(
    (r) =>
      key(r.id).startsWith(`${prefix}/providers/microsoft.kubernetesconfiguration/extensions/`) &&
      String((r.request.properties as { extensionType?: unknown } | undefined)?.extensionType).toLowerCase() ===
        "microsoft.dataprotection.kubernetes",
  );
  if (!extension)
    return {
      code: "UserErrorBackupExtensionNotInstalled",
      message: `The backup extension (microsoft.dataprotection.kubernetes) is not installed in the restore target cluster '${clusterId}'.`,
    };
  const vaultId = key(biId).replace(/\/backupinstances\/[^/]+$/, "");
  const trusted = resources.some((r) => {
    if (!key(r.id).startsWith(`${prefix}/trustedaccessrolebindings/`)) return false;
    const props = (r.request.properties ?? {}) as { sourceResourceId?: unknown; roles?: unknown };
    return (
      key(String(props.sourceResourceId)) === vaultId &&
      Array.isArray(props.roles) &&
      props.roles.some((role) => String(role).toLowerCase() === "microsoft.dataprotection/backupvaults/backup-operator")
    );
  });
  if (!trusted)
    return {
      code: "UserErrorTrustedAccessNotEnabled",
      message: `The backup vault has no trusted access (backup-operator role binding) to the restore target cluster '${clusterId}'.`,
    };
  return undefined;
}

/**
 * `restore`: a Restore job starts now. A malformed request or an unknown recovery point is a 400; a missing
 * target cluster, one without the backup extension or the vault's trusted access, or an injected failure ends the job Failed. Otherwise the recovery point's workload pods missing from the target cluster are re-created at once (they
 * schedule while the job runs, spot pods through Karpenter), honouring included/excluded namespaces; pods
 * that exist are left alone (Skip) or kept as they are (Patch: the sandbox has no pod spec to patch).
 */
export function triggerRestore(ctx: SandboxContext, biId: string, body: unknown): { jobId: string } {
  const bi = requireInstance(ctx, biId);
  const request = parseRestoreRequest(body, "");
  const point = findRecoveryPoint(ctx, bi, request.recoveryPointId);
  const cluster = ctx.data.clusters[key(request.targetClusterId)];
  const failure =
    takeFailure(ctx, "Restore", bi.id) ??
    (cluster
      ? restoreTargetGap(ctx, cluster.id, bi.id)
      : {
          code: "UserErrorKubernetesClusterNotFound",
          message: `The restore target cluster '${request.targetClusterId}' does not exist.`,
        });
  const job = createJob(ctx, bi, ctx.clock.now(), "Restore", true, failure);
  job.restore = {
    recoveryPointId: point.name,
    recoveryPointTime: point.recoveryPointTime,
    destination: request.targetClusterId,
  };
  if (!failure && cluster) {
    const { includedNamespaces, excludedNamespaces } = request.criteria;
    const pods = (point.workloads ?? []).filter(
      (p) =>
        (includedNamespaces === undefined || includedNamespaces.includes(p.namespace)) &&
        !(excludedNamespaces ?? []).includes(p.namespace),
    );
    restorePods(ctx, cluster, pods);
  }
  return { jobId: job.name };
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
      ...(job.restore
        ? {
            extendedInfo: {
              recoveryDestination: job.restore.destination,
              sourceRecoverPoint: {
                recoveryPointID: job.restore.recoveryPointId,
                recoveryPointTime: new Date(job.restore.recoveryPointTime).toISOString(),
              },
            },
          }
        : {}),
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
