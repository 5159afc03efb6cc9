import type { InvocationContext, Timer } from "@azure/functions";
import { app } from "@azure/functions";
import { azureContext } from "../lib/azure";
import { Functions } from "../lib/function-names";
import { createNotifierFromEnv, type FlushSummary, type NotifyLogger } from "../lib/notify";
import type { NotificationsSpec } from "../lib/spec";
import { environmentRegistry } from "./shared/environments";

/**
 * Every minute, for every environment of the registry: sends its digests whose window ended, its info messages
 * held for quiet hours that are now due, and its deliveries kept after a failure, each with that environment's own
 * channels, routes, quiet hours and digest window (a kept message stays in its environment's outbox). Wiring only;
 * the work is `Notifier.flushDue` in lib/notify.
 */

export interface NotifyingEnvironment {
  name: string;
  notifications: NotificationsSpec;
}

async function registeredEnvironments(): Promise<NotifyingEnvironment[]> {
  // The offered seed is listed too: messages about it (a refused build) may wait in its outbox.
  const records = await (await environmentRegistry()).list();
  return records.map((r) => ({ name: r.name, notifications: r.spec.notifications }));
}

export function notifyRetryHandler(
  env: Readonly<Record<string, string | undefined>> = process.env,
  environments: () => Promise<NotifyingEnvironment[]> = registeredEnvironments,
) {
  return async (timer: Timer, context: InvocationContext): Promise<void> => {
    const total: FlushSummary = { digests: 0, delivered: 0, rescheduled: 0, rejected: 0 };
    const failed: string[] = [];
    for (const environment of await environments()) {
      try {
        const notifier = await createNotifierFromEnv(env, environment.name, environment.notifications, {
          logger: contextLogger(context),
          storage: azureContext().hostStorage(env),
        });
        const summary = await notifier.flushDue();
        for (const key of Object.keys(total) as (keyof FlushSummary)[]) total[key] += summary[key];
      } catch (err) {
        // One environment's bad setting must not hold back the others' messages.
        failed.push(environment.name);
        context.error(`notifyRetry: ${environment.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    // A heartbeat every minute would drown the log: say something only when something was sent or failed.
    const acted = total.digests + total.delivered + total.rescheduled + total.rejected + failed.length > 0;
    (acted ? context.log.bind(context) : context.debug.bind(context))(
      `notifyRetry${timer.isPastDue ? " (past due)" : ""}: ${total.digests} digests, ${total.delivered} delivered, ` +
        `${total.rescheduled} rescheduled, ${total.rejected} rejected` +
        (failed.length > 0 ? `; not flushed: ${failed.join(", ")}` : ""),
    );
  };
}

function contextLogger(context: InvocationContext): NotifyLogger {
  return { info: (m) => context.info(m), warn: (m) => context.warn(m), error: (m) => context.error(m) };
}

app.timer(Functions.notifyRetry, { schedule: "0 */1 * * * *", handler: notifyRetryHandler() });
