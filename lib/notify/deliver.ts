import { setTimeout as sleep } from "node:timers/promises";
import { request } from "undici";
import type { AllowList, WebhookEndpoint } from "./settings";
import { checkAllowed } from "./settings";
import { describeError, displayUrl, Redactor } from "./redact";

/**
 * One POST of a rendered payload to one webhook, with a timeout, retries with exponential backoff and full jitter
 * on 408/429/5xx and network errors (honouring Retry-After), and no retry on other 4xx. The outcome is a value:
 * `transient` means "keep it and try again later", `permanent` and `blocked` mean "retrying will not help", and
 * `unknown` means the request went out and no answer came in time: the endpoint may have accepted it (Slack answering
 * 200 after 15 s), so it is not retried here; the notifier decides (at most once per message id, see notifier.ts).
 * A connect timeout is `transient`: nothing reached the endpoint.
 */

export interface DeliveryPolicy {
  /** Per attempt: connect + headers + body. */
  timeoutMs: number;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this ends in-process retrying; the stored retry then waits for it. */
  maxRetryAfterMs: number;
  /** Jitter source in [0, 1). */
  random: () => number;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  timeoutMs: 10_000,
  maxAttempts: 4,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
  random: Math.random,
};

export type DeliveryOutcome =
  | { status: "delivered"; httpStatus: number; answer: string; attempts: number }
  | { status: "transient"; httpStatus?: number; reason: string; attempts: number; retryAfterMs?: number }
  | { status: "permanent"; httpStatus: number; reason: string; attempts: number }
  | { status: "unknown"; reason: string; attempts: number }
  | { status: "blocked"; reason: string; attempts: 0 };

export interface NotifyLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const consoleLogger: NotifyLogger = {
  info: (m) => console.info(m),
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
};

/** Wraps a logger so every line passes through the redactor. */
export function redactingLogger(logger: NotifyLogger, redactor: Redactor): NotifyLogger {
  return {
    info: (m) => logger.info(redactor.redact(m)),
    warn: (m) => logger.warn(redactor.redact(m)),
    error: (m) => logger.error(redactor.redact(m)),
  };
}

export interface DeliverOptions {
  allowList: AllowList;
  policy?: Partial<DeliveryPolicy>;
  logger?: NotifyLogger;
  signal?: AbortSignal;
  /** Knows the configured URLs; the endpoint's own URL is always added. */
  redactor?: Redactor;
}

type Attempt =
  | { kind: "response"; status: number; retryAfterMs?: number; answer: string }
  | { kind: "error"; reason: string }
  | { kind: "unanswered"; reason: string };

/** A name for an endpoint that is safe to print: channel, setting position and redacted URL. */
export function endpointLabel(endpoint: WebhookEndpoint): string {
  return `${endpoint.channel} (${endpoint.setting} #${endpoint.position}, ${displayUrl(endpoint.url)})`;
}

export async function deliver(
  endpoint: WebhookEndpoint,
  payload: unknown,
  options: DeliverOptions,
): Promise<DeliveryOutcome> {
  const policy = { ...DEFAULT_DELIVERY_POLICY, ...options.policy };
  const redactor = options.redactor ?? new Redactor();
  redactor.add(endpoint.url);
  const log = redactingLogger(options.logger ?? consoleLogger, redactor);
  const label = endpointLabel(endpoint);

  const blocked = checkAllowed(endpoint.url, endpoint.kind, options.allowList);
  if (blocked) {
    const reason = redactor.redact(`webhook URL ${blocked}`);
    log.error(`notify: not sending to ${label}: ${reason}`);
    return { status: "blocked", reason, attempts: 0 };
  }

  const body = JSON.stringify(payload);
  for (let attempt = 1; ; attempt++) {
    const result = await postOnce(endpoint.url, body, policy.timeoutMs, options.signal);
    const reason = redactor.redact(
      result.kind === "response" ? `HTTP ${result.status} ${result.answer}`.trim() : result.reason,
    );
    if (result.kind === "response" && result.status >= 200 && result.status < 300) {
      if (attempt > 1) log.info(`notify: ${label} accepted the message on attempt ${attempt}`);
      return {
        status: "delivered",
        httpStatus: result.status,
        answer: redactor.redact(result.answer),
        attempts: attempt,
      };
    }
    if (result.kind === "unanswered") {
      log.warn(`notify: ${label} did not answer: ${reason}; it may have accepted the message, so it is not resent now`);
      return { status: "unknown", reason, attempts: attempt };
    }
    if (result.kind === "response" && !isTransientStatus(result.status)) {
      log.error(`notify: ${label} rejected the message: ${reason} (permanent, not retried)`);
      return { status: "permanent", httpStatus: result.status, reason, attempts: attempt };
    }
    const retryAfterMs = result.kind === "response" ? result.retryAfterMs : undefined;
    const transient = {
      status: "transient" as const,
      ...(result.kind === "response" ? { httpStatus: result.status } : {}),
      reason,
      attempts: attempt,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
    if (attempt >= policy.maxAttempts) {
      log.warn(`notify: ${label} failed ${attempt} times, last: ${reason}; kept for a later retry`);
      return transient;
    }
    if (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs) {
      log.warn(`notify: ${label} asked to wait ${retryAfterMs} ms (${reason}); kept for a later retry`);
      return transient;
    }
    const delay = Math.max(retryAfterMs ?? 0, backoffDelay(attempt, policy));
    log.warn(`notify: ${label} attempt ${attempt} of ${policy.maxAttempts} failed: ${reason}; retrying in ${delay} ms`);
    await sleep(delay, undefined, options.signal ? { signal: options.signal } : {});
  }
}

/** 408, 429 and 5xx may succeed later; other 4xx (and unexpected 1xx/3xx) will not. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Full jitter: uniform in [0, min(max, base·2^(attempt-1))]. */
export function backoffDelay(
  attempt: number,
  policy: Pick<DeliveryPolicy, "baseDelayMs" | "maxDelayMs" | "random">,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(policy.random() * ceiling);
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now: Date = new Date()): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now.getTime());
}

const CONNECT_TIMEOUT = "UND_ERR_CONNECT_TIMEOUT";
const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

async function postOnce(
  url: string,
  body: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<Attempt> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const res = await request(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await res.body.text();
    const header = res.headers["retry-after"];
    const retryAfterMs = parseRetryAfter(Array.isArray(header) ? header[0] : header);
    return {
      kind: "response",
      status: res.statusCode,
      answer: answerText(text),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  } catch (err) {
    if (signal?.aborted) throw err;
    const code = (err as { code?: unknown }).code;
    if (code === CONNECT_TIMEOUT) return { kind: "error", reason: `could not connect within ${timeoutMs} ms` };
    if (timeout.aborted || (typeof code === "string" && TIMEOUT_CODES.has(code))) {
      return { kind: "unanswered", reason: `timed out after ${timeoutMs} ms` };
    }
    return { kind: "error", reason: describeError(err) };
  }
}

/**
 * What the endpoint said, in one short line: Slack answers plain text (`ok`, `channel_not_found`); Teams Workflows
 * answer JSON `{"error":{"code","message"}}` on errors and an empty body on success.
 */
function answerText(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    try {
      const parsed = JSON.parse(trimmed) as { error?: { code?: unknown; message?: unknown } };
      const code = parsed.error?.code;
      const message = parsed.error?.message;
      if (typeof code === "string") return oneLine(typeof message === "string" ? `${code}: ${message}` : code);
    } catch {
      // Not JSON after all: shown as text.
    }
  }
  return oneLine(trimmed);
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
}
