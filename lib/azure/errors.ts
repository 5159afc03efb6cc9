import { isRestError, RestError } from "@azure/core-rest-pipeline";
import { z } from "zod";

/**
 * How lib/azure reports failures: expected ones (conflict, not found, bad request, …) come back as values so
 * callers decide; transient ones (429, 5xx, network) are thrown as `TransientArmError` so Durable's
 * `callActivityWithRetry` retries exactly those. A response that cannot be understood (not JSON, or not the
 * shape the API documents) is a value with the code `MalformedResponse`: asking again would not fix it.
 */

export interface ArmErrorDetail {
  code: string;
  message: string;
  target?: string;
  details?: ArmErrorDetail[];
}

/** An ArmErrorDetail as it crosses the Durable boundary (recursive, so typed by the interface). */
export const armErrorDetailSchema: z.ZodType<ArmErrorDetail> = z.lazy(() =>
  z.object({
    code: z.string(),
    message: z.string(),
    target: z.string().optional(),
    details: z.array(armErrorDetailSchema).optional(),
  }),
);

export type ArmFailureKind = "conflict" | "notFound" | "badRequest" | "unauthorized" | "failed";

export interface ArmFailure {
  kind: ArmFailureKind;
  /** What we were doing, e.g. "start deployment". */
  operation: string;
  /** The resource or deployment the call addressed. */
  target: string;
  status?: number;
  code: string;
  message: string;
  details: ArmErrorDetail[];
  correlationId?: string;
  requestId?: string;
}

export type ArmResult<T> = { ok: true; value: T } | { ok: false; error: ArmFailure };

export function ok<T>(value: T): ArmResult<T> {
  return { ok: true, value };
}

/**
 * A failure worth retrying. It deliberately keeps no reference to the SDK error: that object carries the
 * request, including its Authorization header, and would leak the token wherever the error is serialized.
 */
export class TransientArmError extends Error {
  override readonly name = "TransientArmError";
  constructor(
    readonly operation: string,
    readonly target: string,
    readonly code: string,
    readonly status: number | undefined,
    readonly correlationId: string | undefined,
    readonly retryAfterSeconds: number | undefined,
    /** What went wrong, as text or an expected failure being retried (e.g. a 409 conflict); never the SDK error. */
    reason?: string | { message: string },
  ) {
    const text = typeof reason === "string" ? reason : (reason?.message ?? "");
    super(
      `${operation} ${target}: transient ARM failure ${status ?? "network"} ${code}` +
        (correlationId ? ` (correlation id ${correlationId})` : "") +
        (text ? `: ${text.slice(0, 300)}` : ""),
    );
  }
}

/** Raised inside a call when a response cannot be understood at all (a contract problem, not a transient one). */
export class ArmContractError extends Error {
  override readonly name = "ArmContractError";
}

/** The `ArmFailure.code` of a response that is not JSON or not the documented shape. */
export const MALFORMED_RESPONSE = "MalformedResponse";

/** Malformed bodies can be large (an HTML page); the failure keeps only the start. */
const MALFORMED_MESSAGE_LIMIT = 300;

const detailSchemaGuard = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

export function toErrorDetails(value: unknown): ArmErrorDetail[] {
  if (!Array.isArray(value)) return [];
  return value.filter(detailSchemaGuard).map((d) => ({
    code: typeof d.code === "string" ? d.code : "Unknown",
    message: typeof d.message === "string" ? d.message : "",
    ...(typeof d.target === "string" ? { target: d.target } : {}),
    ...(Array.isArray(d.details) ? { details: toErrorDetails(d.details) } : {}),
  }));
}

function kindForStatus(status: number | undefined): ArmFailureKind {
  switch (status) {
    case 409:
      return "conflict";
    case 404:
      return "notFound";
    case 400:
    case 422:
      return "badRequest";
    case 401:
    case 403:
      return "unauthorized";
    default:
      return "failed";
  }
}

export function isTransientStatus(status: number | undefined): boolean {
  return status === undefined || status === 408 || status === 429 || status >= 500;
}

function header(headers: { get(name: string): string | undefined } | undefined, name: string): string | undefined {
  return headers?.get(name) ?? undefined;
}

/** Error names @azure/identity gives a failed token request (https://learn.microsoft.com/javascript/api/@azure/identity). */
const CREDENTIAL_ERRORS = new Set([
  "CredentialUnavailableError",
  "AuthenticationError",
  "AggregateAuthenticationError",
]);

/**
 * Turns whatever an SDK call threw into an `ArmFailure` value, or throws `TransientArmError` for retryable
 * failures. Aborts are rethrown unchanged (cancellation is neither).
 */
export function classifyArmError(err: unknown, operation: string, target: string): ArmFailure {
  if (err instanceof Error && err.name === "AbortError") throw err;
  if (err instanceof ArmContractError) return malformed(operation, target, err.message);
  // @azure/identity's errors when no credential can give a token (not logged in, expired, no managed identity):
  // retrying cannot fix a missing login, so it is a failure naming the credential problem, never "transient".
  if (err instanceof Error && CREDENTIAL_ERRORS.has(err.name)) {
    return { kind: "unauthorized", operation, target, code: err.name, message: err.message, details: [] };
  }
  if (!isRestError(err)) {
    // core-lro reports a long-running operation that ended in Failed as a plain Error ("… has failed. CODE. message").
    const message = err instanceof Error ? err.message : "";
    const lro = /^The long-running operation has failed(?:\. ([^.]+)\. (.*))?$/s.exec(message);
    if (lro) {
      return {
        kind: "failed",
        operation,
        target,
        code: lro[1] ?? "OperationFailed",
        message: lro[2] ?? message,
        details: [],
      };
    }
    throw new TransientArmError(operation, target, errorCode(err), undefined, undefined, undefined, message);
  }
  const status = err.statusCode;
  const headers = err.response?.headers;
  const correlationId = header(headers, "x-ms-correlation-request-id");
  const requestId = header(headers, "x-ms-request-id");
  // The SDKs raise PARSE_ERROR for a body declared JSON that is not; a gateway's 5xx page stays transient.
  if (err.code === RestError.PARSE_ERROR && !isTransientStatus(status)) {
    return {
      // The body is left out: it is not understood, so it cannot be checked for secrets.
      ...malformed(
        operation,
        target,
        `${operation} ${target}: the ${status ?? "HTTP"} response body is not valid JSON`,
      ),
      ...(status !== undefined ? { status } : {}),
      ...(correlationId !== undefined ? { correlationId } : {}),
      ...(requestId !== undefined ? { requestId } : {}),
    };
  }
  if (isTransientStatus(status)) {
    const retryAfter = Number(header(headers, "retry-after"));
    throw new TransientArmError(
      operation,
      target,
      err.code ?? `Http${status ?? ""}`,
      status,
      correlationId,
      Number.isFinite(retryAfter) ? retryAfter : undefined,
      err.message,
    );
  }
  // Generated clients put the parsed ARM error body on `details`; raw REST calls leave it as text.
  const body = errorFromBody((err as { details?: unknown }).details) ?? parseErrorBody(err.response?.bodyAsText);
  return {
    kind: kindForStatus(status),
    operation,
    target,
    ...(status !== undefined ? { status } : {}),
    code: body?.code ?? err.code ?? `Http${status ?? ""}`,
    message: body?.message ?? err.message,
    details: body?.details ?? [],
    ...(correlationId !== undefined ? { correlationId } : {}),
    ...(requestId !== undefined ? { requestId } : {}),
  };
}

function malformed(operation: string, target: string, message: string): ArmFailure {
  return {
    kind: "failed",
    operation,
    target,
    code: MALFORMED_RESPONSE,
    message: message.length > MALFORMED_MESSAGE_LIMIT ? `${message.slice(0, MALFORMED_MESSAGE_LIMIT)}…` : message,
    details: [],
  };
}

function errorCode(err: unknown): string {
  if (typeof err === "object" && err !== null && "code" in err && typeof err.code === "string") return err.code;
  return "NetworkError";
}

function errorFromBody(body: unknown): ArmErrorDetail | undefined {
  return detailSchemaGuard(body) && detailSchemaGuard(body.error) ? toErrorDetails([body.error])[0] : undefined;
}

function parseErrorBody(text: string | null | undefined): ArmErrorDetail | undefined {
  if (!text) return undefined;
  try {
    return errorFromBody(JSON.parse(text));
  } catch {
    // Not JSON (a proxy page, an empty body): fall back to the SDK's message.
  }
  return undefined;
}

/** Runs one SDK call, returning expected failures as values and throwing transient ones. */
export async function armCall<T>(operation: string, target: string, call: () => Promise<T>): Promise<ArmResult<T>> {
  try {
    return ok(await call());
  } catch (err) {
    return { ok: false, error: classifyArmError(err, operation, target) };
  }
}
