import { EventGridDeserializer } from "@azure/eventgrid";
import { isCommonAlertPayload, normalizeMonitorAlert } from "./monitor-alert";
import { isoOrUndefined, isRecord, JsonTooDeepError, trimJson } from "./normalize";
import type { EventEnvelope } from "./types";

/** Event Grid's own limit for one delivery (batch) is 1 MB; anything larger is not a real delivery. */
export const MAX_DELIVERY_BYTES = 1024 * 1024;

export interface DeliveryProblem {
  code: "too-large" | "not-json" | "not-events" | "empty-batch";
  message: string;
}

export type EnvelopeResult =
  { index: number; ok: true; envelope: EventEnvelope } | { index: number; ok: false; error: string };

/** A delivery body split into events; one bad element does not hide the others of its batch. */
export type ParsedDelivery =
  { ok: true; batch: boolean; items: EnvelopeResult[] } | { ok: false; problem: DeliveryProblem };

const deserializer = new EventGridDeserializer();

/** Parses a delivery body as received on the wire (size is checked before JSON parsing). */
export async function parseDelivery(body: string | Uint8Array): Promise<ParsedDelivery> {
  const bytes = typeof body === "string" ? Buffer.byteLength(body, "utf8") : body.byteLength;
  if (bytes > MAX_DELIVERY_BYTES) {
    return {
      ok: false,
      problem: { code: "too-large", message: `body is ${bytes} bytes; a delivery holds at most ${MAX_DELIVERY_BYTES}` },
    };
  }
  const text = typeof body === "string" ? body : Buffer.from(body).toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // V8 quotes a slice of the input in some messages; the body is not echoed back (it may hold anything).
    const detail = (err instanceof Error ? err.message : String(err))
      .replace(/, ".*$/s, "")
      .replace(/^Unexpected token '.*?'/s, "Unexpected token");
    return { ok: false, problem: { code: "not-json", message: `body is not JSON: ${detail}` } };
  }
  return parseDeliveryValue(value);
}

/** Same as {@link parseDelivery} for a body that is already parsed JSON. */
export async function parseDeliveryValue(value: unknown): Promise<ParsedDelivery> {
  if (Array.isArray(value)) {
    if (value.length === 0)
      return { ok: false, problem: { code: "empty-batch", message: "the batch holds no events" } };
    const items = await Promise.all(value.map((element, index) => toResult(element, index)));
    return { ok: true, batch: true, items };
  }
  if (!isRecord(value)) {
    return {
      ok: false,
      problem: {
        code: "not-events",
        message: `expected an event object or an array of events, got ${describe(value)}`,
      },
    };
  }
  return { ok: true, batch: false, items: [await toResult(value, 0)] };
}

async function toResult(element: unknown, index: number): Promise<EnvelopeResult> {
  const envelope = await toEnvelope(element);
  return typeof envelope === "string" ? { index, ok: false, error: envelope } : { index, ok: true, envelope };
}

/** One element → envelope, or the reason it is not an event. Schema is told apart by its required member. */
async function toEnvelope(element: unknown): Promise<EventEnvelope | string> {
  let raw: unknown;
  try {
    raw = trimJson(element);
  } catch (err) {
    if (err instanceof JsonTooDeepError) return `not an event: ${err.message}`;
    throw err;
  }
  if (!isRecord(raw)) return `not an event: expected a JSON object, got ${describe(raw)}`;
  try {
    if ("specversion" in raw) {
      const [ce] = await deserializer.deserializeCloudEvents(raw);
      if (!ce) return "not a CloudEvents 1.0 event";
      return {
        schema: "CloudEvents",
        id: ce.id,
        type: ce.type,
        subject: ce.subject ?? "",
        source: ce.source,
        ...optionalTime(ce.time),
        data: ce.data,
      };
    }
    if ("eventType" in raw) {
      const [eg] = await deserializer.deserializeEventGridEvents(raw);
      if (!eg) return "not an Event Grid event";
      return {
        schema: "EventGrid",
        id: eg.id,
        type: eg.eventType,
        subject: eg.subject,
        source: eg.topic ?? "",
        ...optionalTime(eg.eventTime),
        data: eg.data,
      };
    }
  } catch (err) {
    const schema = "specversion" in raw ? "CloudEvents 1.0" : "Event Grid";
    return `not a valid ${schema} event: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (isCommonAlertPayload(raw)) {
    const normalized = normalizeMonitorAlert(raw);
    if (!normalized.ok) return normalized.error;
    const { event } = normalized;
    return {
      schema: "MonitorAlert",
      id: event.id ?? "",
      type: event.eventType,
      subject: event.subject,
      source: "azure-monitor",
      ...optionalTime(event.eventTime),
      data: event.data,
    };
  }
  return "not an event: expected the Event Grid schema (eventType), CloudEvents 1.0 (specversion) or an Azure Monitor common alert (schemaId)";
}

function optionalTime(value: Date | undefined): { time?: string } {
  const iso = isoOrUndefined(value);
  return iso === undefined ? {} : { time: iso };
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? "a string" : `a ${typeof value}`;
}
