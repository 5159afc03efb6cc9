import {
  TransientArmError,
  type ArmFailure,
  type BackupInstanceInfo,
  type BackupJobInfo,
  type DataProtectionClient,
  type DataProtectionVault,
} from "../azure";
import { MALFORMED_RESPONSE } from "../azure/errors";
import type { PlatformSpec } from "../spec";
import { buildReport, type BackupReport, type RestoreValidation, type VaultRef } from "./report";
import { buildRestoreRequest, chooseRecoveryPoint } from "./restore";
import type { RestoreClient } from "./restoreClient";
import {
  clusterOfInstance,
  jobsByInstance,
  relevantJobs,
  rotationPick,
  verifyInstance,
  verifyPolicyFor,
  type InstanceEvidence,
  type InstanceReport,
  type VerifyPolicy,
} from "./verify";

/**
 * Reading a Backup vault for the verification: the instance list and the job list once per run, then per instance
 * its recovery points and its policy's retention. Used one instance at a time by the durable activities and with
 * bounded concurrency by the CLI.
 */

/** A read that could not be done; `access` means the vault itself cannot be read (wrong name, no permission). */
export class BackupReadError extends Error {
  override readonly name = "BackupReadError";
  constructor(
    message: string,
    readonly kind: "access" | "failed",
  ) {
    super(message);
  }
}

/** A failed read for the report; a malformed response (a finding, never retried) is named as such. */
function failureText(f: ArmFailure): string {
  if (f.code === MALFORMED_RESPONSE) return `malformed response: ${f.message}`;
  return `${f.operation} ${f.target}: ${f.status ?? ""} ${f.code}: ${f.message}`.replace(/\s+/g, " ");
}

/**
 * What a thrown read failure means for the report: a transient failure that outlived the SDK's retries is
 * rethrown when the caller retries itself (durable activities), else recorded; anything else is a bug.
 */
export function describeReadError(err: unknown, transient: "throw" | "record"): string {
  if (err instanceof TransientArmError && transient === "record") return err.message;
  throw err;
}

export interface VaultIndex {
  instances: BackupInstanceInfo[];
  /** Per instance id (lower case): the jobs the verdict needs. */
  jobs: Record<string, BackupJobInfo[]>;
}

/** The vault's backup instances and their recent backup jobs (the vault, then two list calls, all pages). */
export async function readVaultIndex(
  clients: { dp: DataProtectionClient; restore: RestoreClient },
  vault: DataProtectionVault,
  signal?: AbortSignal,
): Promise<VaultIndex> {
  const { dp } = clients;
  const options = signal ? { abortSignal: signal } : {};
  let instances;
  let jobs;
  try {
    // An unknown vault would otherwise read as "no instances" (every cluster missing) instead of an access error.
    const found = await clients.restore.getVault(vault, options);
    if (!found.ok)
      throw new BackupReadError(
        failureText(found.error),
        ["notFound", "unauthorized", "badRequest"].includes(found.error.kind) ? "access" : "failed",
      );
    instances = await dp.listBackupInstances(vault, options);
    if (!instances.ok)
      throw new BackupReadError(
        failureText(instances.error),
        ["notFound", "unauthorized", "badRequest"].includes(instances.error.kind) ? "access" : "failed",
      );
    jobs = await dp.listBackupJobs(vault, options);
    if (!jobs.ok)
      throw new BackupReadError(failureText(jobs.error), jobs.error.kind === "unauthorized" ? "access" : "failed");
  } catch (err) {
    if (err instanceof BackupReadError) throw err;
    throw new BackupReadError(`vault ${vault.vault}: ${describeReadError(err, "record")}`, "failed");
  }
  const byInstance = jobsByInstance(jobs.value);
  return {
    instances: instances.value,
    jobs: Object.fromEntries(
      instances.value.map((i) => [i.id.toLowerCase(), relevantJobs(byInstance.get(i.id.toLowerCase()) ?? [])]),
    ),
  };
}

/** Recovery points and policy retention of one instance; read problems become evidence, not exceptions. */
export async function readInstanceEvidence(
  clients: { dp: DataProtectionClient; restore: RestoreClient },
  vault: DataProtectionVault,
  instance: BackupInstanceInfo,
  jobs: BackupJobInfo[],
  options: { signal?: AbortSignal; transient: "throw" | "record" },
): Promise<InstanceEvidence> {
  const call = options.signal ? { abortSignal: options.signal } : {};
  const evidence: InstanceEvidence = { instance, recoveryPoints: [], jobs, readErrors: [] };
  const attempt = async (what: string, read: () => Promise<void>) => {
    try {
      await read();
    } catch (err) {
      evidence.readErrors.push(`${what}: ${describeReadError(err, options.transient)}`);
    }
  };
  await attempt("recovery points", async () => {
    const points = await clients.dp.listRecoveryPoints(vault, instance.name, call);
    if (points.ok) evidence.recoveryPoints = points.value;
    else evidence.readErrors.push(`recovery points: ${failureText(points.error)}`);
  });
  await attempt("backup policy", async () => {
    const details = await clients.restore.getBackupInstance(vault, instance.name, call);
    if (!details.ok) return void evidence.readErrors.push(`backup instance: ${failureText(details.error)}`);
    if (details.value.policyId === undefined)
      return void evidence.readErrors.push("backup instance names no backup policy");
    const retention = await clients.restore.policyRetentionDays(details.value.policyId, call);
    if (!retention.ok) return void evidence.readErrors.push(`backup policy: ${failureText(retention.error)}`);
    if (retention.value === undefined)
      evidence.readErrors.push(`backup policy ${details.value.policyId} has no default retention rule`);
    else evidence.policyRetentionDays = retention.value;
  });
  return evidence;
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

export interface VerifyVaultOptions {
  now: Date;
  concurrency?: number;
  policy?: VerifyPolicy;
  /** Also validate a restore of tonight's rotating pick. */
  validateRestore?: boolean;
  signal?: AbortSignal;
}

/** The whole verification in one process (the CLI): read, judge, report. */
export async function verifyVault(
  clients: { dp: DataProtectionClient; restore: RestoreClient },
  spec: PlatformSpec,
  vault: VaultRef,
  options: VerifyVaultOptions,
): Promise<BackupReport> {
  const policy = options.policy ?? verifyPolicyFor(spec);
  const index = await readVaultIndex(clients, vault, options.signal);
  const reports: InstanceReport[] = await mapBounded(index.instances, options.concurrency ?? 8, async (instance) => {
    const evidence = await readInstanceEvidence(clients, vault, instance, index.jobs[instance.id.toLowerCase()] ?? [], {
      transient: "record",
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return verifyInstance(evidence, policy, options.now, clusterOfInstance(spec, instance)?.name);
  });
  const pick = options.validateRestore
    ? rotationPick(
        index.instances.map((i) => i.name),
        options.now,
      )
    : undefined;
  const validation =
    pick === undefined
      ? undefined
      : await validateRestoreOf(clients, vault, pick, spec.location, undefined, options.signal);
  return buildReport(spec, vault, reports, { policy, now: options.now, ...(validation ? { validation } : {}) });
}

/**
 * Azure's own validation of a restore of `instance` from the newest (or the chosen) recovery point into the
 * cluster it protects: the nightly deeper check and the restore's pre-flight.
 */
export async function validateRestoreOf(
  clients: { dp: DataProtectionClient; restore: RestoreClient },
  vault: DataProtectionVault,
  instance: string,
  location: string,
  recoveryPointId?: string,
  signal?: AbortSignal,
): Promise<RestoreValidation> {
  const call = signal ? { abortSignal: signal } : {};
  const points = await clients.dp.listRecoveryPoints(vault, instance, call);
  if (!points.ok) return { instance, ok: false, error: `${points.error.code}: ${points.error.message}` };
  const choice = chooseRecoveryPoint(points.value, instance, recoveryPointId);
  if (!choice.ok) return { instance, ok: false, error: choice.reason };
  const details = await clients.restore.getBackupInstance(vault, instance, call);
  if (!details.ok) return { instance, ok: false, error: `${details.error.code}: ${details.error.message}` };
  const request = buildRestoreRequest({
    recoveryPointId: choice.point.name,
    dataSourceInfo: details.value.dataSourceInfo ?? {},
    location,
  });
  const result = await clients.dp.validateRestore(vault, instance, request, call);
  return result.ok
    ? { instance, ok: true, recoveryPoint: choice.point.name }
    : { instance, ok: false, recoveryPoint: choice.point.name, error: `${result.error.code}: ${result.error.message}` };
}
