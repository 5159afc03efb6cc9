import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { azureContext } from "../lib/azure";
import { normalizeMonitorAlert } from "../lib/events";
import { Functions } from "../lib/function-names";

/**
 * Azure Monitor action-group webhook (common alert schema), e.g. Azure Backup's built-in "Backup Failure" alert:
 * normalized (lib/events) and published on the app's custom Event Grid topic, whose subscription brings it back to
 * eventgridCustom. The round trip gives the alert Event Grid's retries and dead-lettering. Function key required.
 */

export const TOPIC_ENDPOINT_SETTING = "AKS_PLATFORM_EVENTGRID_TOPIC_ENDPOINT";
export const TOPIC_KEY_SETTING = "AKS_PLATFORM_EVENTGRID_TOPIC_KEY";
/** Input schema of the custom topic: `EventGrid` (default) or `CloudEvent`. */
export const TOPIC_SCHEMA_SETTING = "AKS_PLATFORM_EVENTGRID_TOPIC_SCHEMA";
const CLOUD_EVENT_SOURCE = "/aks-platform/monitor-alert";

type Publisher = (event: ReturnType<typeof normalizeMonitorAlert> & { ok: true }) => Promise<void>;

/** A publisher from app settings: the topic key locally, the process identity in Azure. */
export function publisherFromEnv(env: Readonly<Record<string, string | undefined>>): Publisher | string {
  const endpoint = env[TOPIC_ENDPOINT_SETTING]?.trim();
  if (!endpoint) return `${TOPIC_ENDPOINT_SETTING} is not set`;
  const key = env[TOPIC_KEY_SETTING]?.trim();
  const schema = env[TOPIC_SCHEMA_SETTING]?.trim() || "EventGrid";
  // The topic key, or the app's credential; plain http only for a loopback stand-in with a key (lib/azure/context).
  const publisher = <T extends "CloudEvent" | "EventGrid">(inputSchema: T) =>
    azureContext().eventGridPublisher(endpoint, inputSchema, TOPIC_ENDPOINT_SETTING, key || undefined);
  if (schema === "CloudEvent") {
    const client = publisher("CloudEvent");
    return async ({ event }) => {
      await client.send([
        {
          type: event.eventType,
          source: CLOUD_EVENT_SOURCE,
          subject: event.subject,
          ...(event.id !== undefined ? { id: event.id } : {}),
          ...(event.eventTime !== undefined ? { time: event.eventTime } : {}),
          datacontenttype: "application/json",
          data: event.data,
        },
      ]);
    };
  }
  if (schema !== "EventGrid") return `${TOPIC_SCHEMA_SETTING} must be EventGrid or CloudEvent`;
  const client = publisher("EventGrid");
  return async ({ event }) => {
    await client.send([event]);
  };
}

export function monitorAlertHandler(env: Readonly<Record<string, string | undefined>> = process.env) {
  let publisher: Publisher | string | undefined;
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    let payload: unknown;
    try {
      payload = JSON.parse(await request.text());
    } catch {
      return { status: 400, jsonBody: { error: "the body is not JSON" } };
    }
    const normalized = normalizeMonitorAlert(payload);
    if (!normalized.ok) {
      context.warn(`monitorAlert: ignored: ${normalized.error}`);
      return { status: 400, jsonBody: { error: normalized.error } };
    }
    publisher ??= publisherFromEnv(env);
    if (typeof publisher === "string") {
      context.error(`monitorAlert: cannot publish: ${publisher}`);
      return { status: 503, jsonBody: { error: `cannot publish: ${publisher}` } };
    }
    // A publish failure answers 5xx so that the action group retries the webhook.
    await publisher(normalized);
    const { event } = normalized;
    context.log(
      `monitorAlert: published ${event.eventType} ${event.id ?? ""} (backup failure: ${normalized.isBackupFailure})`,
    );
    return {
      status: 202,
      jsonBody: { published: event.eventType, id: event.id, backupFailure: normalized.isBackupFailure },
    };
  };
}

app.http(Functions.monitorAlert, {
  route: "alerts/monitor",
  methods: ["POST"],
  authLevel: "function",
  handler: monitorAlertHandler(),
});
