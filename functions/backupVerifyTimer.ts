import { app, type InvocationContext, type Timer } from "@azure/functions";
import * as df from "durable-functions";
import { appConfig } from "../lib/config";
import { Functions, Orchestrations } from "../lib/function-names";
import type { PlatformSpec } from "../lib/spec";
import { backupVerificationInputSchema, type BackupVerificationInput } from "../orchestrations/backup/contracts";
import { ContractViolation, parseAt } from "../orchestrations/shared/boundary";
import { environmentRegistry } from "./shared/environments";

/**
 * OPS-5: after the 02:00 UTC backup (03:00 UTC by default, AKS_PLATFORM_BACKUP_VERIFY_SCHEDULE), verifies the
 * backups of every registered environment: one orchestration, one report and one summary per environment.
 */

/** Durable's view of one instance: its runtime status, undefined when there is none. */
export type StatusOf = (instanceId: string) => Promise<string | undefined>;
export type StartVerification = (instanceId: string, input: BackupVerificationInput) => Promise<void>;

export function backupVerifyInstanceId(environment: string, day: string): string {
  return `backup-verify:${environment}:${day}`;
}

/**
 * Starts tonight's verification of each environment that has none running or done; returns what it did. Each input
 * is checked against the orchestration's contract before it enters the task hub: an environment whose input does
 * not fit is not started (the line names the paths) and the others still are.
 */
export async function startNightlyVerifications(
  specs: readonly PlatformSpec[],
  now: Date,
  statusOf: StatusOf,
  start: StartVerification,
): Promise<string[]> {
  const lines: string[] = [];
  for (const spec of specs) {
    // One run per environment and night: a second trigger the same night finds the instance and does nothing.
    const instanceId = backupVerifyInstanceId(spec.name, now.toISOString().slice(0, 10));
    const existing = await statusOf(instanceId);
    if (existing !== undefined && existing !== "Failed" && existing !== "Terminated") {
      lines.push(`backup verification ${instanceId} already ${existing}`);
      continue;
    }
    let input: BackupVerificationInput;
    try {
      input = parseAt(`start of ${Orchestrations.backupVerification} ${instanceId}`, backupVerificationInputSchema, {
        spec,
      });
    } catch (err) {
      if (!(err instanceof ContractViolation)) throw err;
      lines.push(`backup verification ${instanceId} not started: ${err.message}`);
      continue;
    }
    await start(instanceId, input);
    lines.push(`started backup verification ${instanceId}`);
  }
  return lines;
}

export async function backupVerifyTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const client = df.getClient(context);
  const registered = await (await environmentRegistry()).registered();
  if (registered.length === 0) context.info("backup verification: no environment is registered yet");
  const lines = await startNightlyVerifications(
    registered.map((r) => r.spec),
    new Date(),
    async (instanceId) => {
      const status = await client.getStatus(instanceId).catch(() => undefined);
      return status?.runtimeStatus !== undefined ? String(status.runtimeStatus) : undefined;
    },
    async (instanceId, input) => {
      await client.startNew(Orchestrations.backupVerification, { instanceId, input });
    },
  );
  for (const line of lines) {
    if (line.includes(" not started: ")) context.error(line);
    else context.info(line);
  }
}

app.timer(Functions.backupVerifyTimer, {
  schedule: appConfig().backupVerifySchedule,
  extraInputs: [df.input.durableClient()],
  handler: backupVerifyTimer,
});
