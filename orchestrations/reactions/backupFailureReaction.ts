import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import { Activities, Orchestrations } from "../../lib/function-names";
import { messages } from "../../lib/notify";
import { orchestrationInput } from "../shared/boundary";
import type { RetryBackupResult } from "./activities/retryBackup";
import { backupReactionInputSchema, type NotifyEventInput, type RetryBackupInput } from "./contracts";

/**
 * OPS-4: one instance per backup instance and UTC day (instance id from lib/ops reactionFor), so however many
 * alerts arrive, a backup instance gets at most one ad-hoc retry a day; the activity also checks the vault's job
 * list for a user-triggered job today. Then one notification with the job's error and what was done.
 */

const RETRY = new df.RetryOptions(30_000, 3);

export const backupFailureReactionOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = orchestrationInput(context, backupReactionInputSchema);
  const event = input.event;
  const jobError =
    event.errorCode !== undefined || event.errorMessage !== undefined
      ? {
          ...(event.errorCode !== undefined ? { code: event.errorCode } : {}),
          ...(event.errorMessage !== undefined ? { message: event.errorMessage } : {}),
        }
      : undefined;
  const outcome = (yield context.df.callActivityWithRetry(Activities.retryBackup, RETRY, {
    subscriptionId: input.subscriptionId,
    vault: input.vault,
    backupInstance: input.backupInstance,
    now: context.df.currentUtcDateTime.toISOString(),
    ...(jobError !== undefined ? { jobError } : {}),
  } satisfies RetryBackupInput)) as RetryBackupResult;
  context.df.setCustomStatus({ retried: outcome.retried, reason: outcome.reason });

  const message = messages.backupFailed({
    environment: input.environment,
    correlationId: context.df.instanceId,
    occurredAt: event.occurredAt ?? context.df.currentUtcDateTime,
    cluster: input.cluster,
    resource: input.backupInstance,
    ...((outcome.failedJobId ?? event.jobId) ? { jobId: outcome.failedJobId ?? event.jobId } : {}),
    error: outcome.retried ? outcome.error : `${outcome.error} (${outcome.reason})`,
    retry: { attempt: 1, maxAttempts: 1, started: outcome.retried },
    // Each backup instance gets its own message: the reaction already limits them to one per instance and day.
    digest: false,
  });
  yield context.df.callActivity(Activities.notifyEvent, {
    message,
    notifications: input.notifications,
  } satisfies NotifyEventInput);
  return outcome;
};

df.app.orchestration(Orchestrations.backupFailureReaction, backupFailureReactionOrchestrator);
