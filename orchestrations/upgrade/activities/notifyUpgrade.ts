import { Activities } from "../../../lib/function-names";
import { upgradeMessage } from "../../../lib/upgrade/messages";
import { registerActivity } from "../../shared/boundary";
import { sendFromActivity } from "../../shared/notify";
import { notifyUpgradeInputSchema } from "../contracts";

/**
 * Sends an upgrade message (proposal, approval request, blocked, finished). Links point at the app: Azure
 * Functions sets `WEBSITE_HOSTNAME` to the app's host name; locally the local host's default port.
 */
export function appBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.WEBSITE_HOSTNAME;
  return host ? `https://${host}` : "http://localhost:7071";
}

registerActivity(Activities.notifyUpgrade, notifyUpgradeInputSchema, async (input, signal, context) => {
  const message = upgradeMessage(input.message, appBaseUrl());
  const sent = await sendFromActivity(message, input.notifications, context, signal);
  return sent.sent;
});
