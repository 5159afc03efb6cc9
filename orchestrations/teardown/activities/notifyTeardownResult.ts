import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { activitySignal } from "../../../lib/activity-signal";
import type { TeardownResult } from "../../../lib/api/clusters";
import { Activities } from "../../../lib/function-names";
import type { NotifyMessage } from "../../../lib/notify";
import type { NotificationsSpec } from "../../../lib/spec";
import { sendFromActivity } from "../../shared/notify";

export interface NotifyTeardownResultInput {
  result: TeardownResult;
  notifications: NotificationsSpec;
  correlationId: string;
}

/** RG-1/OPS-6: the teardown's one message: what was removed, what stays, and on failure what is left over. */
export function teardownMessage(input: Omit<NotifyTeardownResultInput, "notifications">): NotifyMessage {
  const r = input.result;
  const left = r.steps.filter((s) => s.state !== "deleted");
  const deleted = r.steps.filter((s) => s.state === "deleted");
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
        : `Removed ${deleted.map((s) => s.what).join(", ") || "nothing (already gone)"}.`,
    nextStep: r.succeeded
      ? "Run the provisioning again to bring the cluster back: its deployments and the network deployment (peerings) are redone."
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

df.app.activity(Activities.notifyTeardownResult, {
  handler: (input: NotifyTeardownResultInput, context: InvocationContext) =>
    notifyTeardownResult(input, context, activitySignal(context)),
});
