import type { InvocationContext } from "@azure/functions";
import { problemsByCluster } from "../../../lib/backup";
import { Activities } from "../../../lib/function-names";
import { messages, type NotifyMessage } from "../../../lib/notify";
import { sendFromActivity } from "../../shared/notify";
import { registerActivity } from "../../shared/boundary";
import { notifyBackupSummaryInputSchema, type NotifyBackupSummaryInput } from "../contracts";

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

registerActivity(Activities.notifyBackupSummary, notifyBackupSummaryInputSchema, (input, signal, context) =>
  notifyBackupSummary(input, context, signal),
);
