import * as df from "durable-functions";
import type { InvocationContext } from "@azure/functions";
import { activitySignal } from "../../../lib/activity-signal";
import { Activities } from "../../../lib/function-names";
import { notifyMessageSchema, type NotifyMessage } from "../../../lib/notify";
import type { NotificationsSpec } from "../../../lib/spec";
import { sendFromActivity } from "../../shared/notify";

export interface NotifyDriftInput {
  message: NotifyMessage;
  notifications: NotificationsSpec;
}

/** One message per detection (or remediation); a delivery problem never fails the check. */
export async function notifyDrift(input: NotifyDriftInput, context: InvocationContext): Promise<{ sent: boolean }> {
  const message = notifyMessageSchema.parse(input.message);
  const outcome = await sendFromActivity(message, input.notifications, context, activitySignal(context));
  return { sent: outcome.sent };
}

df.app.activity(Activities.notifyDrift, { handler: notifyDrift });
