// The Durable Functions HTTP API behind `df.getClient`: the durableClient binding value and the endpoints the
// SDK's DurableClient calls (start, status, list, raise event, terminate, purge), served by the local driver.
import { DurableDriverError, type DurableDriver, type InstanceFilter, type RuntimeStatus } from "../durable/driver";

export const WEBHOOK_PREFIX = "/runtime/webhooks/durabletask/";
/** The unauthenticated loopback RPC endpoint path the extension gives the SDK as `rpcBaseUrl`. */
export const RPC_PREFIX = "/durabletask/";
const ID_PLACEHOLDER = "INSTANCEID";

export interface DurableClientBinding {
  taskHubName: string;
  creationUrls: Record<string, string>;
  managementUrls: Record<string, string>;
  baseUrl: string;
  requiredQueryStringParameters: string;
  rpcBaseUrl: string;
}

/** The durableClient input binding value the extension passes to client functions. */
export function durableClientBinding(
  hostUrl: string,
  rpcUrl: string,
  taskHub: string,
  code: string,
): DurableClientBinding {
  const base = `${hostUrl}${WEBHOOK_PREFIX.replace(/\/$/, "")}`;
  const hub = `taskHub=${encodeURIComponent(taskHub)}&connection=Storage&code=${encodeURIComponent(code)}`;
  const instance = `${base}/instances/${ID_PLACEHOLDER}`;
  return {
    taskHubName: taskHub,
    creationUrls: {
      createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?code=${encodeURIComponent(code)}`,
      createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&code=${encodeURIComponent(code)}`,
    },
    managementUrls: {
      id: ID_PLACEHOLDER,
      statusQueryGetUri: `${instance}?${hub}`,
      sendEventPostUri: `${instance}/raiseEvent/{eventName}?${hub}`,
      terminatePostUri: `${instance}/terminate?reason={text}&${hub}`,
      rewindPostUri: `${instance}/rewind?reason={text}&${hub}`,
      purgeHistoryDeleteUri: `${instance}?${hub}`,
      restartPostUri: `${instance}/restart?${hub}`,
      suspendPostUri: `${instance}/suspend?reason={text}&${hub}`,
      resumePostUri: `${instance}/resume?reason={text}&${hub}`,
    },
    baseUrl: base,
    requiredQueryStringParameters: `code=${encodeURIComponent(code)}`,
    rpcBaseUrl: `${rpcUrl}${RPC_PREFIX}`,
  };
}

/** The management links for one instance (what createCheckStatusResponse returns). */
export function managementPayload(binding: DurableClientBinding, instanceId: string): Record<string, string> {
  const payload: Record<string, string> = {};
  for (const [key, value] of Object.entries(binding.managementUrls))
    payload[key] = value.replace(ID_PLACEHOLDER, instanceId);
  return payload;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const STATUSES: readonly RuntimeStatus[] = [
  "Pending",
  "Running",
  "Completed",
  "ContinuedAsNew",
  "Failed",
  "Terminated",
];

function parseFilter(query: URLSearchParams): InstanceFilter | ApiResponse {
  const filter: InstanceFilter = {};
  for (const key of ["createdTimeFrom", "createdTimeTo"] as const) {
    const text = query.get(key);
    if (!text) continue;
    const date = new Date(text);
    if (Number.isNaN(date.getTime())) return { status: 400, body: { error: `${key} "${text}" is not a date` } };
    filter[key] = date;
  }
  const statuses = query.get("runtimeStatus");
  if (statuses) {
    // The extension knows Suspended too; the local driver never suspends an instance, so it matches none here.
    const list = statuses
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "Suspended");
    if (list.length === 0) return { status: 200, body: [] };
    const unknown = list.find((s) => !STATUSES.includes(s as RuntimeStatus));
    if (unknown)
      return {
        status: 400,
        body: { error: `runtimeStatus "${unknown}" is not one of ${[...STATUSES, "Suspended"].join(", ")}` },
      };
    filter.runtimeStatus = list as RuntimeStatus[];
  }
  return filter;
}

function parseJsonBody(body: Buffer): { value: unknown } | ApiResponse {
  const text = body.toString("utf8");
  if (text.trim() === "") return { value: undefined };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { status: 400, body: { error: "the request body is not valid JSON" } };
  }
}

const ERROR_STATUS: Record<DurableDriverError["code"], number> = {
  "not-found": 404,
  conflict: 409,
  gone: 410,
  invalid: 400,
  timeout: 408,
  stopped: 503,
};

/**
 * Serves one request of the Durable HTTP API. `path` is the part after the webhook or RPC prefix, e.g.
 * `orchestrators/name/id` or `instances/id/raiseEvent/event`.
 */
export async function handleDurableApi(
  driver: DurableDriver,
  binding: DurableClientBinding,
  method: string,
  path: string,
  query: URLSearchParams,
  body: Buffer,
): Promise<ApiResponse> {
  const parts = path
    .split("/")
    .filter((p) => p !== "")
    .map(decodeURIComponent);
  try {
    const [collection, first, action, extra] = parts;
    if (collection === "orchestrators" && first && method === "POST" && !extra) {
      const input = parseJsonBody(body);
      if ("status" in input) return input;
      const instanceId = await driver.startNew(first, {
        ...(action ? { instanceId: action } : {}),
        input: input.value,
      });
      const payload = managementPayload(binding, instanceId);
      return { status: 202, body: payload, headers: { Location: payload.statusQueryGetUri ?? "" } };
    }
    if (collection !== "instances") return { status: 404, body: { error: `no durable API at "${path}"` } };
    if (!first) {
      const filter = parseFilter(query);
      if ("status" in filter) return filter;
      if (method === "GET") {
        return { status: 200, body: await driver.list(filter, { showInput: query.get("showInput") !== "false" }) };
      }
      if (method === "DELETE") {
        const deleted = await driver.purgeBy(filter);
        return deleted > 0 ? { status: 200, body: { instancesDeleted: deleted } } : { status: 404 };
      }
    } else if (!action && method === "GET") {
      const status = await driver.getStatus(first, {
        showHistory: query.get("showHistory") === "true",
        showInput: query.get("showInput") !== "false",
      });
      if (!status) return { status: 404, body: { error: `no instance "${first}"` } };
      const code = ["Completed"].includes(status.runtimeStatus)
        ? 200
        : ["Failed", "Terminated"].includes(status.runtimeStatus)
          ? 400
          : 202;
      return { status: code, body: status };
    } else if (!action && method === "DELETE") {
      return (await driver.purge(first)) ? { status: 200, body: { instancesDeleted: 1 } } : { status: 404 };
    } else if (action === "raiseEvent" && extra && method === "POST") {
      const data = parseJsonBody(body);
      if ("status" in data) return data;
      await driver.raiseEvent(first, extra, data.value);
      return { status: 202 };
    } else if (action === "terminate" && method === "POST") {
      await driver.terminate(first, query.get("reason") ?? "");
      return { status: 202 };
    } else if (action && ["rewind", "suspend", "resume", "restart"].includes(action) && method === "POST") {
      return { status: 501, body: { error: `${action} is not modelled by the local durable driver` } };
    }
    return { status: 404, body: { error: `no durable API for ${method} "${path}"` } };
  } catch (err) {
    if (err instanceof DurableDriverError) return { status: ERROR_STATUS[err.code], body: { error: err.message } };
    throw err;
  }
}
