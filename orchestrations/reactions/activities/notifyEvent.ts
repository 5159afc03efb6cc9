import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { activitySignal } from "../../../lib/activity-signal";
import { Activities } from "../../../lib/function-names";
import { parseNotifyMessage } from "../../../lib/notify";
import type { NotificationsSpec } from "../../../lib/spec";
import { sendFromActivity } from "../../shared/notify";

export interface NotifyEventInput {
  /** A message built with lib/notify `messages.*`; validated again here because it crossed the durable boundary. */
  message: unknown;
  notifications: NotificationsSpec;
}

/** OPS-2/3/4: sends one reaction message. Never fails the reaction: delivery problems are kept and retried. */
df.app.activity(Activities.notifyEvent, {
  handler: async (input: NotifyEventInput, context: InvocationContext) => {
    const message = parseNotifyMessage(input.message, "notifyEvent");
    const sent = await sendFromActivity(message, input.notifications, context, activitySignal(context));
    return sent.sent;
  },
});
