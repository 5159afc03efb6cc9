import type { InvocationContext } from "@azure/functions";
import { azureContext } from "../../lib/azure";
import { createNotifierFromEnv, type NotifyLogger, type NotifyMessage, type NotifyResult } from "../../lib/notify";
import { z } from "zod";
import { notificationsSchema, type NotificationsSpec } from "../../lib/spec";

/** The input of a workflow's one result message: the result, the spec's channels, the instance it is about. */
export function notifyResultInputSchema<R extends z.ZodType>(result: R) {
  return z.object({ result, notifications: notificationsSchema, correlationId: z.string() });
}

/**
 * Sends one message from an activity. A notification never fails the workflow that sends it: delivery problems
 * are kept and retried by lib/notify, and a configuration problem is logged (naming the setting) and reported.
 */
export async function sendFromActivity(
  message: NotifyMessage,
  notifications: NotificationsSpec,
  context: InvocationContext,
  signal: AbortSignal,
): Promise<{ sent: true; result: NotifyResult } | { sent: false; reason: string }> {
  const logger: NotifyLogger = {
    info: (m) => context.info(m),
    warn: (m) => context.warn(m),
    error: (m) => context.error(m),
  };
  try {
    // The host storage with the process's credential: identity-based storage (as infra/ deploys it) needs it.
    const storage = azureContext().hostStorage(process.env);
    const notifier = await createNotifierFromEnv(process.env, message.environment, notifications, { logger, storage });
    return { sent: true, result: await notifier.notify(message, { signal }) };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    context.warn(`notification not sent: ${reason}`);
    return { sent: false, reason };
  }
}
