import { app, type InvocationContext, type Timer } from "@azure/functions";
import * as df from "durable-functions";
import { appConfig } from "../lib/config";
import { Functions, Orchestrations } from "../lib/function-names";
import { defaultSpec } from "../lib/spec";
import type { BackupVerificationInput } from "../orchestrations/backup/backupVerification";

/** OPS-5: after the 02:00 UTC backup (03:00 UTC by default, AKS_PLATFORM_BACKUP_VERIFY_SCHEDULE), verify every backup. */
export async function backupVerifyTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const client = df.getClient(context);
  // One run per environment and night: a second trigger the same night finds the instance and does nothing.
  const instanceId = `backup-verify:${defaultSpec.name}:${new Date().toISOString().slice(0, 10)}`;
  const existing = await client.getStatus(instanceId).catch(() => undefined);
  if (
    existing?.runtimeStatus !== undefined &&
    String(existing.runtimeStatus) !== "Failed" &&
    String(existing.runtimeStatus) !== "Terminated"
  ) {
    context.info(`backup verification ${instanceId} already ${String(existing.runtimeStatus)}`);
    return;
  }
  await client.startNew(Orchestrations.backupVerification, {
    instanceId,
    input: { spec: defaultSpec } satisfies BackupVerificationInput,
  });
  context.info(`started backup verification ${instanceId}`);
}

app.timer(Functions.backupVerifyTimer, {
  schedule: appConfig().backupVerifySchedule,
  extraInputs: [df.input.durableClient()],
  handler: backupVerifyTimer,
});
