import { clusterSchema, platformSpecSchema } from "../spec/schema";

/**
 * A host-neutral view of an HTTP call, so the API's behaviour lives in lib/ and is tested without a Functions
 * host; each file in functions/ only converts to and from @azure/functions' request and response.
 */

export interface ApiRequest {
  method: string;
  url: string;
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export interface ApiResponse {
  status: number;
  jsonBody?: unknown;
  headers?: Record<string, string>;
}

/** The most a request body may be: a spec is a few kilobytes, so a megabyte is generous and still bounded. */
export const MAX_BODY_BYTES = 1024 * 1024;

export function problem(status: number, error: string, extra: Record<string, unknown> = {}): ApiResponse {
  return { status, jsonBody: { error, ...extra } };
}

export function methodNotAllowed(method: string, allowed: readonly string[]): ApiResponse {
  return {
    status: 405,
    headers: { Allow: allowed.join(", ") },
    jsonBody: { error: `method ${method} is not allowed here; use ${allowed.join(" or ")}` },
  };
}

/** Reads the body as text, refusing (413) anything over `MAX_BODY_BYTES` whether or not Content-Length says so. */
export async function readBody(
  request: ApiRequest,
): Promise<{ ok: true; text: string } | { ok: false; response: ApiResponse }> {
  const tooLarge = problem(413, `request body is larger than ${MAX_BODY_BYTES} bytes`);
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) return { ok: false, response: tooLarge };
  const text = await request.text();
  if (Buffer.byteLength(text, "utf8") > MAX_BODY_BYTES) return { ok: false, response: tooLarge };
  return { ok: true, text };
}

const ROUTE_NAMES = { env: platformSpecSchema.shape.name, cluster: clusterSchema.shape.name } as const;
type RouteName = keyof typeof ROUTE_NAMES;

/**
 * The route's `{env}` (and `{cluster}`) checked by the spec's own name rules, so a route never addresses anything
 * but an environment or cluster (no instance id of other work, no path tricks): a 400 names the parameter.
 */
export function routeNames<K extends RouteName>(
  request: ApiRequest,
  names: readonly K[],
): { ok: true; names: Record<K, string> } | { ok: false; response: ApiResponse } {
  const values = {} as Record<K, string>;
  for (const name of names) {
    const value = request.params[name] ?? "";
    const checked = ROUTE_NAMES[name].safeParse(value);
    if (!checked.success) {
      const what = name === "env" ? "an environment name" : "a cluster name";
      return {
        ok: false,
        response: problem(
          400,
          `route parameter ${name} '${value}' is not ${what}: ${checked.error.issues[0]!.message}`,
          {
            parameter: name,
          },
        ),
      };
    }
    values[name] = checked.data;
  }
  return { ok: true, names: values };
}
