import { Functions } from "../lib/function-names";
import type { InvocationContext, Timer } from "@azure/functions";
import { app } from "@azure/functions";
import { azureContext } from "../lib/azure";
import { createNotifierFromEnv, type NotifyLogger } from "../lib/notify";
import { defaultSpec, type NotificationsSpec } from "../lib/spec";

/**
 * Every minute: sends digests whose window ended, info messages held for quiet hours that are now due, and
 * deliveries kept after a failure. Wiring only; the work is `Notifier.flushDue` in lib/notify.
 */

export function notifyRetryHandler(
  env: Readonly<Record<string, string | undefined>> = process.env,
  notifications: NotificationsSpec = defaultSpec.notifications,
) {
  return async (timer: Timer, context: InvocationContext): Promise<void> => {
    const notifier = await createNotifierFromEnv(env, notifications, {
      logger: contextLogger(context),
      storage: azureContext().hostStorage(env),
    });
    const summary = await notifier.flushDue();
    context.log(
      `notifyRetry${timer.isPastDue ? " (past due)" : ""}: ${summary.digests} digests, ${summary.delivered} delivered, ` +
        `${summary.rescheduled} rescheduled, ${summary.rejected} rejected`,
    );
  };
}

function contextLogger(context: InvocationContext): NotifyLogger {
  return { info: (m) => context.info(m), warn: (m) => context.warn(m), error: (m) => context.error(m) };
}

app.timer(Functions.notifyRetry, { schedule: "0 */1 * * * *", handler: notifyRetryHandler() });
