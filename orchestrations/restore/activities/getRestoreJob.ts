import { RestoreClient } from "../../../lib/backup";
import { describeCause } from "../../../lib/plan/progress";
import { Activities } from "../../../lib/function-names";
import { armConnection } from "../../shared/arm";
import { registerActivity } from "../../shared/boundary";
import { getRestoreJobInputSchema, type GetRestoreJobInput } from "../contracts";

export type GetRestoreJobResult =
  | { state: "running"; retryAfterSeconds: number; jobId?: string }
  | { state: "succeeded"; jobId?: string; startTime?: string; endTime?: string }
  | { state: "failed"; jobId?: string; error: string };

const RUNNING = new Set(["inprogress", "started", "notstarted", "running"]);
const SUCCEEDED = new Set(["completed", "succeeded"]);

/** OPS-7: one look at the restore: the operation until it names the job, then the job (its error when it failed). */
export async function getRestoreJob(input: GetRestoreJobInput, signal: AbortSignal): Promise<GetRestoreJobResult> {
  const client = new RestoreClient(armConnection(), input.vault.subscriptionId);
  let jobId = input.jobId;
  if (jobId === undefined) {
    if (input.statusUrl === undefined)
      return { state: "failed", error: "the restore started without a job id or an operation to follow" };
    const op = await client.operationStatus(input.statusUrl, { abortSignal: signal });
    if (!op.ok) return { state: "failed", error: `restore operation: ${op.error.code}: ${op.error.message}` };
    if (op.value.state === "running") return { state: "running", retryAfterSeconds: op.value.retryAfterSeconds };
    if (op.value.state === "failed")
      return { state: "failed", error: `restore operation failed: ${describeCause(op.value.error)}` };
    if (op.value.jobId === undefined) return { state: "succeeded" };
    jobId = op.value.jobId;
  }
  const job = await client.getJob(input.vault, jobId, { abortSignal: signal });
  if (!job.ok)
    return { state: "failed", jobId, error: `restore job ${jobId}: ${job.error.code}: ${job.error.message}` };
  const status = job.value.status.toLowerCase();
  if (RUNNING.has(status)) return { state: "running", retryAfterSeconds: 30, jobId };
  const times = {
    ...(job.value.startTime !== undefined ? { startTime: job.value.startTime } : {}),
    ...(job.value.endTime !== undefined ? { endTime: job.value.endTime } : {}),
  };
  if (SUCCEEDED.has(status)) return { state: "succeeded", jobId, ...times };
  const error = job.value.errors[0];
  return {
    state: "failed",
    jobId,
    // The innermost cause: what a person acts on (a wrapper's code says little by itself).
    error: `restore job ${jobId} ${job.value.status}${error ? `: ${describeCause(error)}` : " (no error details)"}`,
  };
}

registerActivity(Activities.getRestoreJob, getRestoreJobInputSchema, getRestoreJob);
