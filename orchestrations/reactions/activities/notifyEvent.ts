import { Activities } from "../../../lib/function-names";
import { parseNotifyMessage } from "../../../lib/notify";
import { registerActivity } from "../../shared/boundary";
import { sendFromActivity } from "../../shared/notify";
import { notifyEventInputSchema } from "../contracts";

/** OPS-2/3/4: sends one reaction message. Never fails the reaction: delivery problems are kept and retried. */
registerActivity(Activities.notifyEvent, notifyEventInputSchema, async (input, signal, context) => {
  const message = parseNotifyMessage(input.message, "notifyEvent");
  return (await sendFromActivity(message, input.notifications, context, signal)).sent;
});
