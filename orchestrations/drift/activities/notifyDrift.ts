import type { InvocationContext } from "@azure/functions";
import { Activities } from "../../../lib/function-names";
import { registerActivity } from "../../shared/boundary";
import { sendFromActivity } from "../../shared/notify";
import { notifyDriftInputSchema, type NotifyDriftInput } from "../contracts";

/** One message per detection (or remediation); a delivery problem never fails the check. */
export async function notifyDrift(
  input: NotifyDriftInput,
  signal: AbortSignal,
  context: InvocationContext,
): Promise<{ sent: boolean }> {
  const outcome = await sendFromActivity(input.message, input.notifications, context, signal);
  return { sent: outcome.sent };
}

registerActivity(Activities.notifyDrift, notifyDriftInputSchema, notifyDrift);
