import type { InvocationContext } from "@azure/functions";
import { describeElapsed } from "../../../lib/backup";
import { Activities } from "../../../lib/function-names";
import type { NotifyMessage } from "../../../lib/notify";
import { sendFromActivity } from "../../shared/notify";
import { registerActivity } from "../../shared/boundary";
import { notifyRestoreResultInputSchema, type NotifyRestoreResultInput } from "../contracts";

/** The restore's one message: what happened, how long it took against the ~30 min target, the OPS-7 runbook. */
export function restoreMessage(input: Omit<NotifyRestoreResultInput, "notifications">): NotifyMessage {
  const r = input.result;
  const facts = [
    { name: "Backup instance", value: r.backupInstance },
    ...(r.recoveryPoint
      ? [{ name: "Recovery point", value: `${r.recoveryPoint.name} (${r.recoveryPoint.time})` }]
      : []),
    { name: "Cluster rebuilt", value: r.rebuilt ? "yes" : "no (it existed)" },
    ...(r.resumed?.length
      ? [{ name: "Finished (the cluster existed without them)", value: r.resumed.join(", ") }]
      : []),
    { name: "Elapsed", value: describeElapsed(r.elapsedMinutes, r.targetMinutes, r.outcome === "restored") },
    ...(r.jobId ? [{ name: "Restore job", value: r.jobId }] : []),
    ...(r.workloads ? [{ name: "Workloads", value: r.workloads }] : []),
  ];
  const title =
    r.outcome === "restored"
      ? `Cluster ${r.cluster} restored from backup`
      : r.outcome === "refused"
        ? `Restore of cluster ${r.cluster} refused`
        : r.outcome === "canceled"
          ? `Restore of cluster ${r.cluster} cancelled`
          : `Restore of cluster ${r.cluster} failed`;
  return {
    kind: "cluster.lifecycle",
    severity:
      r.outcome === "restored"
        ? r.elapsedMinutes <= r.targetMinutes
          ? "info"
          : "warning"
        : r.outcome === "canceled"
          ? "warning"
          : "critical",
    title,
    environment: r.environment,
    cluster: r.cluster,
    resource: r.backupInstance,
    ...(r.reason !== undefined ? { summary: r.reason } : {}),
    facts,
    whatWasDone:
      r.outcome === "refused"
        ? "Nothing was changed."
        : r.outcome === "canceled"
          ? `Stopped on request before its next step (${r.canceled?.stage ?? "unknown stage"}); ${r.canceled?.left.length ? `still running: ${r.canceled.left.join("; ")}` : "nothing of it still runs"}.`
          : `${r.rebuilt ? "Rebuilt the cluster through the provisioning deployments, then " : ""}${r.outcome === "restored" ? "restored the backup and checked the workloads." : "started the restore, which did not complete."}`,
    nextStep:
      r.outcome === "restored"
        ? "Check the application's own health; run an ad-hoc backup once it is healthy."
        : r.outcome === "canceled"
          ? "Start the restore again to finish it (the recovery points are untouched)."
          : "Follow the OPS-7 runbook for a manual restore.",
    runbook: "OPS-7",
    correlationId: input.correlationId,
    occurredAt: r.endedAt,
  };
}

export async function notifyRestoreResult(
  input: NotifyRestoreResultInput,
  context: InvocationContext,
  signal: AbortSignal,
): Promise<{ sent: boolean }> {
  const outcome = await sendFromActivity(restoreMessage(input), input.notifications, context, signal);
  return { sent: outcome.sent };
}

registerActivity(Activities.notifyRestoreResult, notifyRestoreResultInputSchema, (input, signal, context) =>
  notifyRestoreResult(input, context, signal),
);
