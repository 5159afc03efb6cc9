import type { InvocationContext } from "@azure/functions";
import { stepDone } from "../../../lib/api/clusters";
import { Activities } from "../../../lib/function-names";
import type { NotifyMessage } from "../../../lib/notify";
import { registerActivity } from "../../shared/boundary";
import { sendFromActivity } from "../../shared/notify";
import { notifyTeardownResultInputSchema, type NotifyTeardownResultInput } from "../contracts";

/**
 * RG-1/OPS-6: the teardown's one message: what was removed, what stays, and on failure what is left over; when a
 * person cancelled it, who and what the cancel left.
 */
export function teardownMessage(input: Omit<NotifyTeardownResultInput, "notifications">): NotifyMessage {
  const r = input.result;
  const left = r.steps.filter((s) => !stepDone(s));
  const deleted = r.steps.filter((s) => s.state === "deleted");
  const absent = r.steps.filter((s) => s.state === "absent");
  if (r.canceled) {
    const c = r.canceled;
    return {
      kind: "cluster.lifecycle",
      severity: "warning",
      title: `Teardown of cluster ${r.cluster} cancelled`,
      environment: r.environment,
      cluster: r.cluster,
      summary:
        `Cancelled ${c.requestedBy !== undefined ? `by ${c.requestedBy}` : "on request"}` +
        `${c.request !== undefined ? ` (${c.request})` : ""}; no delete started after it, deletes ARM had accepted were awaited.`,
      facts: [
        { name: "Deleted", value: String(c.deleted.length) },
        { name: "Left", value: String(c.left.length) },
        { name: "Requested at", value: c.requestedAt },
      ],
      lines: [...c.deleted.map((w) => `deleted: ${w}`), ...c.left.map((w) => `left: ${w}`)],
      whatWasDone: `Removed ${c.deleted.join(", ") || "nothing"}; stopped before the next delete.`,
      nextStep: `Run the teardown again (DELETE /api/environments/${r.environment}/clusters/${r.cluster}, or aks-platform down --cluster ${r.cluster}) to finish it, or build again to bring back what was removed.`,
      runbook: "OPS-1",
      correlationId: input.correlationId,
      occurredAt: r.endedAt,
    };
  }
  return {
    kind: "cluster.lifecycle",
    severity: r.succeeded ? "info" : "warning",
    title: r.succeeded
      ? `Cluster ${r.cluster} torn down`
      : r.reason !== undefined
        ? `Teardown of cluster ${r.cluster} did not start`
        : `Teardown of cluster ${r.cluster} left resources behind`,
    environment: r.environment,
    cluster: r.cluster,
    ...(r.reason !== undefined ? { summary: r.reason } : {}),
    facts: [
      { name: "Deleted", value: String(deleted.length) },
      ...(absent.length > 0 ? [{ name: "Already absent", value: String(absent.length) }] : []),
      ...(left.length > 0 ? [{ name: "Not deleted", value: String(left.length) }] : []),
      { name: "Deployments forgotten", value: String(r.forgottenDeployments.length) },
    ],
    lines:
      left.length > 0
        ? left.map(
            (s) =>
              `${s.what}: ${s.error ? `${s.error.code}: ${s.error.message}` : "not deleted (an earlier step failed)"}`,
          )
        : r.kept.map((k) => `kept: ${k}`),
    whatWasDone:
      r.reason !== undefined
        ? "Nothing was deleted."
        : `Removed ${deleted.map((s) => s.what).join(", ") || "nothing (already gone)"}.` +
          (absent.length > 0 ? ` Already absent: ${absent.map((s) => s.what).join(", ")}.` : ""),
    nextStep: r.succeeded
      ? "Run the provisioning again to bring the cluster back (its deployments and the network deployment are redone), or restore it from its kept recovery points (OPS-7)."
      : "Fix the cause shown (the cluster's group is kept until nothing points at it), then run the teardown again.",
    runbook: "OPS-1",
    correlationId: input.correlationId,
    occurredAt: r.endedAt,
  };
}

export async function notifyTeardownResult(
  input: NotifyTeardownResultInput,
  context: InvocationContext,
  signal: AbortSignal,
): Promise<{ sent: boolean }> {
  const outcome = await sendFromActivity(teardownMessage(input), input.notifications, context, signal);
  return { sent: outcome.sent };
}

registerActivity(Activities.notifyTeardownResult, notifyTeardownResultInputSchema, (input, signal, context) =>
  notifyTeardownResult(input, context, signal),
);
