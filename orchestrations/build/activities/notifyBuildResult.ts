import { Activities } from "../../../lib/function-names";
import { messages, type NotifyMessage } from "../../../lib/notify";
import { describeCause, rootCauses } from "../../../lib/plan/progress";
import { PHASES } from "../../../lib/plan/types";
import { notifyBuildInputSchema, type NotifyBuildInput } from "../contracts";
import { registerActivity } from "../../shared/boundary";
import { sendFromActivity } from "../../shared/notify";

/**
 * OPS-1/OPS-6: tells the channels that a build finished, and on failure lists every failed deployment; a cancelled
 * build gets one message saying what the cancel did and how to resume.
 */
export function buildResultMessage(input: NotifyBuildInput): NotifyMessage {
  const context = { environment: input.environment, correlationId: input.instanceId, occurredAt: input.endedAt };
  const minutes = Math.round((Date.parse(input.endedAt) - Date.parse(input.startedAt)) / 6000) / 10;
  if (input.canceled)
    return messages.provisioningCanceled({
      ...context,
      instanceId: input.instanceId,
      canceled: input.canceled,
      succeeded: input.deployments.filter((d) => d.state === "succeeded").length,
    });
  if (input.succeeded) {
    const clusters = [...new Set(input.deployments.flatMap((d) => (d.cluster ? [d.cluster] : [])))];
    return messages.provisioningDone({
      ...context,
      instanceId: input.instanceId,
      durationMinutes: minutes,
      phases: new Set(input.deployments.map((d) => d.phase)).size,
      clusters,
    });
  }
  const failed = input.deployments.filter((d) => d.state === "failed" || d.state === "skipped");
  const planning =
    input.planningFailure !== undefined ? [{ phase: "planning", unit: "plan", message: input.planningFailure }] : [];
  const completedPhases = PHASES.filter((p) => {
    const inPhase = input.deployments.filter((d) => d.phase === p);
    return inPhase.length > 0 && inPhase.every((d) => d.state === "succeeded");
  }).length;
  return messages.provisioningFailed({
    ...context,
    instanceId: input.instanceId,
    completedPhases,
    failures: [
      ...planning,
      ...failed.map((d) => {
        const cause = d.error && rootCauses(d.error)[0];
        return {
          phase: d.phase,
          unit: d.name,
          ...(cause?.target !== undefined ? { resource: cause.target } : {}),
          message: d.error ? describeCause(d.error) : d.state,
        };
      }),
    ],
  });
}

registerActivity(
  Activities.notifyBuildResult,
  notifyBuildInputSchema,
  async (input, signal, context) =>
    (await sendFromActivity(buildResultMessage(input), input.notifications, context, signal)).sent,
);
