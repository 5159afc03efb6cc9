import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { activitySignal } from "../../../lib/activity-signal";
import { problemsByCluster, type BackupReport } from "../../../lib/backup";
import { Activities } from "../../../lib/function-names";
import { messages, type NotifyMessage } from "../../../lib/notify";
import type { NotificationsSpec } from "../../../lib/spec";
import { sendFromActivity } from "../../shared/notify";

export interface NotifyBackupSummaryInput {
  report: BackupReport;
  notifications: NotificationsSpec;
  correlationId: string;
  /** The stored HTML report, when storing worked. */
  reportLocation?: string;
  /** Set when the vault itself could not be read. */
  vaultError?: string;
}

/** All good = one short message; problems = what, where (cluster, instance), since when, and the OPS-5 runbook. */
export function backupSummaryMessage(input: Omit<NotifyBackupSummaryInput, "notifications">): NotifyMessage {
  const clusters = input.vaultError
    ? [{ cluster: `vault ${input.report.vault.name}`, problems: [`cannot read the Backup vault: ${input.vaultError}`] }]
    : problemsByCluster(input.report);
  return messages.nightlySummary({
    environment: input.report.environment,
    correlationId: input.correlationId,
    occurredAt: input.report.generatedAt,
    clusters,
    ...(input.reportLocation !== undefined ? { reportLocation: input.reportLocation } : {}),
  });
}

export async function notifyBackupSummary(
  input: NotifyBackupSummaryInput,
  context: InvocationContext,
  signal: AbortSignal,
): Promise<{ sent: boolean }> {
  const outcome = await sendFromActivity(backupSummaryMessage(input), input.notifications, context, signal);
  return { sent: outcome.sent };
}

df.app.activity(Activities.notifyBackupSummary, {
  handler: (input: NotifyBackupSummaryInput, context: InvocationContext) =>
    notifyBackupSummary(input, context, activitySignal(context)),
});
