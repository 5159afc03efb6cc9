import { Functions } from "../lib/function-names";
import type { TokenCredential } from "@azure/core-auth";
import { DefaultAzureCredential } from "@azure/identity";
import type { InvocationContext, Timer } from "@azure/functions";
import { app } from "@azure/functions";
import { createNotifierFromEnv, type NotifyLogger } from "../lib/notify";
import { defaultSpec, type NotificationsSpec } from "../lib/spec";

/**
 * Every minute: sends digests whose window ended, info messages held for quiet hours that are now due, and
 * deliveries kept after a failure. Wiring only; the work is `Notifier.flushDue` in lib/notify.
 */

let credential: TokenCredential | undefined;

export function notifyRetryHandler(
  env: Readonly<Record<string, string | undefined>> = process.env,
  notifications: NotificationsSpec = defaultSpec.notifications,
) {
  return async (timer: Timer, context: InvocationContext): Promise<void> => {
    // Identity-based storage (no connection string) needs the process credential; created once, on first use.
    if (!env["AzureWebJobsStorage"]) credential ??= new DefaultAzureCredential();
    const notifier = await createNotifierFromEnv(env, notifications, {
      logger: contextLogger(context),
      ...(credential ? { credential } : {}),
    });
    const summary = await notifier.flushDue();
    // A heartbeat every minute would drown the log: say something only when something was sent or failed.
    const acted = summary.digests + summary.delivered + summary.rescheduled + summary.rejected > 0;
    (acted ? context.log.bind(context) : context.debug.bind(context))(
      `notifyRetry${timer.isPastDue ? " (past due)" : ""}: ${summary.digests} digests, ${summary.delivered} delivered, ` +
        `${summary.rescheduled} rescheduled, ${summary.rejected} rejected`,
    );
  };
}

function contextLogger(context: InvocationContext): NotifyLogger {
  return { info: (m) => context.info(m), warn: (m) => context.warn(m), error: (m) => context.error(m) };
}

app.timer(Functions.notifyRetry, { schedule: "0 */1 * * * *", handler: notifyRetryHandler() });
