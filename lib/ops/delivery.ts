import type { ClassifiedDelivery } from "../events";

export interface DeliveryResponse {
  /** 200: handled (classified or ignored); 400/413: Event Grid must not retry (it dead-letters instead). */
  status: 200 | 400 | 413;
  body: unknown;
}

/**
 * The HTTP answer to an Event Grid delivery. Event Grid retries 5xx and timeouts for up to a day, so garbage must be
 * answered with a 4xx, and a batch with some good events with 200 (answering 400 would drop the good ones too).
 * A subscription validation handshake is answered with its code.
 */
export function chooseDeliveryResponse(delivery: ClassifiedDelivery): DeliveryResponse {
  if (!delivery.ok) {
    return { status: delivery.problem.code === "too-large" ? 413 : 400, body: { error: delivery.problem } };
  }
  const rejected = delivery.items.filter((i) => !i.ok).map((i) => ({ index: i.index, error: i.ok ? "" : i.error }));
  const events = delivery.items.flatMap((i) => (i.ok ? [i.event] : []));
  const validation = events.find((e) => e.kind === "subscription-validation");
  if (validation?.kind === "subscription-validation") {
    return { status: 200, body: { validationResponse: validation.validationCode } };
  }
  if (events.length === 0) {
    return {
      status: 400,
      body: { error: { code: "no-valid-events", message: "no element of the delivery is an event", rejected } },
    };
  }
  const ignored = events.filter((e) => e.kind === "ignored").length;
  return { status: 200, body: { accepted: events.length - ignored, ignored, rejected } };
}

/**
 * CloudEvents 1.0 webhook abuse-protection handshake (HTTP OPTIONS): echo the requesting origin to allow it.
 * Without a `WebHook-Request-Origin` header the request is not a handshake.
 */
export function answerWebhookHandshake(requestOrigin: string | undefined): {
  status: 200 | 400;
  headers: Record<string, string>;
} {
  const origin = requestOrigin?.trim();
  if (origin === undefined || origin === "") return { status: 400, headers: {} };
  return { status: 200, headers: { "WebHook-Allowed-Origin": origin, "WebHook-Allowed-Rate": "*" } };
}
