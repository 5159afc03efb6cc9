import { DataProtectionClient, type BackupJobInfo } from "../../../lib/azure";
import { Activities } from "../../../lib/function-names";
import { decideBackupRetry } from "../../../lib/ops/backup";
import { BACKUP_RULE_NAME } from "../../../lib/ops/reactions";
import { armConnection } from "../../shared/arm";
import { registerActivity } from "../../shared/boundary";
import { retryBackupInputSchema, type RetryBackupInput } from "../contracts";

export interface RetryBackupResult {
  retried: boolean;
  reason: string;
  retryJobId?: string;
  failedJobId?: string;
  error: string;
}

const isInstance = (job: BackupJobInfo, name: string) =>
  (job.backupInstanceId ?? "").toLowerCase().endsWith(`/backupinstances/${name.toLowerCase()}`);

/**
 * OPS-4: at most one ad-hoc backup per backup instance and UTC day. The vault's own job list is the record of
 * earlier retries (user-triggered jobs), so the limit holds across restarts and purged orchestration history.
 */
export async function retryBackup(input: RetryBackupInput, signal: AbortSignal): Promise<RetryBackupResult> {
  const client = new DataProtectionClient(armConnection(), input.subscriptionId);
  const jobs = await client.listBackupJobs(input.vault, { abortSignal: signal });
  if (!jobs.ok) throw new Error(`backup vault ${input.vault.vault}: ${jobs.error.code}: ${jobs.error.message}`);
  const mine = jobs.value
    .filter((j) => isInstance(j, input.backupInstance))
    .sort((a, b) => (b.startTime ?? "").localeCompare(a.startTime ?? ""));
  const failed = mine.find((j) => (j.status ?? "").toLowerCase() === "failed");
  const lastRetry = mine.find((j) => j.isUserTriggered === true);
  const firstError = failed?.errors[0];
  const jobError = input.jobError ?? (firstError ? { code: firstError.code, message: firstError.message } : undefined);
  const error =
    [jobError?.code, jobError?.message].filter((s) => s !== undefined && s !== "").join(": ") || "unknown error";
  const decision = decideBackupRetry({
    now: input.now,
    ...(lastRetry?.startTime !== undefined ? { lastAdhocRetryAt: lastRetry.startTime } : {}),
    ...(jobError !== undefined ? { jobError } : {}),
  });
  const base = { error, ...(failed !== undefined ? { failedJobId: failed.name } : {}) };
  if (!decision.retry) return { ...base, retried: false, reason: decision.reason };
  const started = await client.triggerBackup(
    input.vault,
    input.backupInstance,
    { ruleName: BACKUP_RULE_NAME },
    {
      abortSignal: signal,
    },
  );
  if (!started.ok) {
    return {
      ...base,
      retried: false,
      reason: `ad-hoc backup refused: ${started.error.code}: ${started.error.message}`,
    };
  }
  return {
    ...base,
    retried: true,
    reason: decision.reason,
    ...(started.value.jobId !== undefined ? { retryJobId: started.value.jobId } : {}),
  };
}

registerActivity(Activities.retryBackup, retryBackupInputSchema, (input, signal) => retryBackup(input, signal));
