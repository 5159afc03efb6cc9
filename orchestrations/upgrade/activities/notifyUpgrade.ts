import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { activitySignal } from "../../../lib/activity-signal";
import { Activities } from "../../../lib/function-names";
import type { NotificationsSpec } from "../../../lib/spec";
import { upgradeMessage, type UpgradeMessageInput } from "../../../lib/upgrade/messages";
import { sendFromActivity } from "../../shared/notify";

export interface NotifyUpgradeInput {
  message: UpgradeMessageInput;
  notifications: NotificationsSpec;
}

/**
 * Sends an upgrade message (proposal, approval request, blocked, finished). Links point at the app: Azure
 * Functions sets `WEBSITE_HOSTNAME` to the app's host name; locally the local host's default port.
 */
export function appBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.WEBSITE_HOSTNAME;
  return host ? `https://${host}` : "http://localhost:7071";
}

df.app.activity(Activities.notifyUpgrade, {
  handler: async (input: NotifyUpgradeInput, context: InvocationContext) => {
    const message = upgradeMessage(input.message, appBaseUrl());
    const sent = await sendFromActivity(message, input.notifications, context, activitySignal(context));
    return sent.sent;
  },
});
