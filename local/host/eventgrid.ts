// The Event Grid webhook of the Functions host (`/runtime/webhooks/eventgrid?functionName=…`): the subscription
// validation handshake (Event Grid schema), the CloudEvents 1.0 abuse-protection handshake (OPTIONS), and delivery
// of each event to the eventGridTrigger function.

export const EVENT_GRID_PATH = "/runtime/webhooks/eventgrid";
const VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent";

export interface WebhookResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** OPTIONS handshake of CloudEvents webhooks: echo the requesting origin as allowed. */
export function cloudEventsHandshake(origin: string | undefined): WebhookResponse {
  if (!origin) return { status: 400, body: { error: "the WebHook-Request-Origin header is missing" } };
  return { status: 200, headers: { "WebHook-Allowed-Origin": origin, "WebHook-Allowed-Rate": "*" } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Handles a POST: answers validation requests itself and hands every other event to `invoke`, one at a time in
 * order. A failing invocation answers 500 so that Event Grid retries the delivery.
 */
export async function handleEventGridPost(
  headers: { eventType?: string; contentType?: string },
  body: Buffer,
  invoke: (event: Record<string, unknown>) => Promise<void>,
): Promise<WebhookResponse> {
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString("utf8"));
  } catch {
    return { status: 400, body: { error: "the request body is not valid JSON" } };
  }
  const events = Array.isArray(payload) ? payload : [payload];
  if (!events.every(isRecord)) return { status: 400, body: { error: "every event must be a JSON object" } };
  const eventType = headers.eventType?.toLowerCase();
  if (eventType === "subscriptionvalidation") {
    const validation = events.find((e) => e.eventType === VALIDATION_EVENT);
    const code = isRecord(validation?.data) ? validation.data.validationCode : undefined;
    if (typeof code !== "string")
      return { status: 400, body: { error: `no ${VALIDATION_EVENT} with data.validationCode` } };
    return { status: 200, body: { validationResponse: code } };
  }
  if (eventType === "subscriptiondeletion") return { status: 202 };
  const cloudEvents = headers.contentType?.toLowerCase().startsWith("application/cloudevents") ?? false;
  if (eventType !== "notification" && !cloudEvents && !events.every((e) => typeof e.specversion === "string")) {
    return { status: 400, body: { error: "expected aeg-event-type Notification or CloudEvents content" } };
  }
  for (const event of events) {
    try {
      await invoke(event);
    } catch {
      // The function's error is logged by `invoke`; the response only tells Event Grid to retry.
      const id = typeof event.id === "string" ? event.id : "(no id)";
      return { status: 500, body: { error: `the function failed on event ${id}` } };
    }
  }
  return { status: 200 };
}
