import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import { Activities, Orchestrations } from "../../lib/function-names";
import { messages } from "../../lib/notify";
import { orchestrationInput } from "../shared/boundary";
import { lifecycleNoticeInputSchema, type NotifyEventInput } from "./contracts";

/**
 * AKS lifecycle events (new version available, support ending, node pool rolling): an informational message. An
 * orchestration only so that its instance id (the event's dedupe key) makes repeated deliveries send nothing.
 */

export const lifecycleNoticeOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = orchestrationInput(context, lifecycleNoticeInputSchema);
  const e = input.event;
  const message = messages.clusterLifecycle({
    environment: input.environment,
    correlationId: context.df.instanceId,
    occurredAt: e.occurredAt ?? context.df.currentUtcDateTime,
    severity: e.severity,
    cluster: e.cluster ?? "unknown",
    ...(e.resourceId !== undefined ? { resource: e.resourceId } : {}),
    // The builder's words are for changes this app makes; AKS-announced changes are named as Azure names them.
    event: "upgraded",
    detail: e.reason,
  });
  const change = e.change.replace(/-/g, " ");
  message.title = `Cluster ${e.cluster ?? "?"}: ${change}`;
  message.facts = [
    { name: "Event", value: change },
    ...(e.kubernetesVersion ? [{ name: "Version", value: e.kubernetesVersion }] : []),
  ];
  yield context.df.callActivity(Activities.notifyEvent, {
    message,
    notifications: input.notifications,
  } satisfies NotifyEventInput);
  return { notified: e.change };
};

df.app.orchestration(Orchestrations.lifecycleNotice, lifecycleNoticeOrchestrator);
