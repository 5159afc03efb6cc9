import { createHash } from "node:crypto";
import type { NotificationsSpec } from "../spec";
import type { NotifyMessage } from "./message";
import { parseNotifyMessage } from "./message";
import type { NotifySettings, WebhookEndpoint } from "./settings";
import type { DeliveryOutcome, DeliveryPolicy, NotifyLogger } from "./deliver";
import { consoleLogger, deliver, endpointLabel, redactingLogger } from "./deliver";
import { Redactor } from "./redact";
import { renderSlack } from "./slack";
import { renderTeams } from "./teams";
import { buildDigest } from "./digest";
import { quietHoursEnd, routeMessage, validateNotifications } from "./routing";
import type { NotifyStore, PendingDelivery } from "./store";
import { urlFingerprint } from "./store";

/**
 * Routes a message to its channels and delivers it, holding what must wait in table storage so a restart loses
 * nothing: info messages during quiet hours, events that belong to an open digest window, and deliveries that
 * failed transiently. `flushDue` (run by the notifyRetry timer) sends what has come due.
 *
 * Digest choice: the holding is done here, in storage, rather than by callers' durable orchestrations, so every
 * caller (activities, functions, the CLI) gets storm protection by setting `digestKey` (the builders do), and
 * windows survive restarts. The first event of a window goes out at once; the events that follow within
 * `digestWindowMinutes` become one digest message when the window ends.
 *
 * At most once per message id and endpoint, as far as the channel allows: a message's id is a digest of its content
 * (an activity that Durable runs again builds the same message, so the same id), and every 2xx answer is recorded as
 * an acknowledgement that later sends of that id to that endpoint skip. A send that timed out after the request went
 * out (`unknown`) may have been accepted (Slack answering 200 after 15 s against a 10 s timeout): it is never sent
 * again, because Slack incoming webhooks and Teams Workflows take no idempotency key and a resend would show it
 * twice. It is kept as rejected, with a reason saying so, and logged as an error, so a person can check the channel;
 * such a message may be missing, never doubled. A connection that could not be made is an ordinary transient failure.
 */

export interface OutboxPolicy {
  /** Delay before the first stored retry; doubles per attempt up to `retryMaxMs`. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** How long a claimed delivery is reserved for the process sending it. */
  leaseMs: number;
  /** Grace after a digest window ends before it is flushed, so events written just before the end are included. */
  digestSettleMs: number;
  /** How long a send is remembered, so the same message is not sent again (longer than any retry of it). */
  rememberSentMs: number;
}

export const DEFAULT_OUTBOX_POLICY: OutboxPolicy = {
  retryBaseMs: 60_000,
  retryMaxMs: 3_600_000,
  leaseMs: 120_000,
  digestSettleMs: 60_000,
  rememberSentMs: 7 * 86_400_000,
};

/** A message's id: the same message (kind, text, correlation id, time) always has the same id. */
export function messageId(message: NotifyMessage): string {
  return createHash("sha256").update(JSON.stringify(message)).digest("hex").slice(0, 32);
}

export interface NotifierOptions {
  notifications: NotificationsSpec;
  settings: NotifySettings;
  store: NotifyStore;
  logger?: NotifyLogger;
  delivery?: Partial<DeliveryPolicy>;
  outbox?: Partial<OutboxPolicy>;
  now?: () => Date;
}

export type ReportStatus = DeliveryOutcome["status"] | "held" | "not-configured" | "already-sent";

export interface DeliveryReport {
  channel: string;
  /** Safe to print: setting, position and redacted URL. */
  endpoint?: string;
  status: ReportStatus;
  httpStatus?: number;
  /** The endpoint's answer or the reason, redacted. */
  detail?: string;
  /** True when the delivery was stored to be sent later (held, or kept after a transient failure). */
  kept: boolean;
}

export interface NotifyResult {
  correlationId: string;
  /** Set when the message waits in a digest window instead of being sent now. */
  heldForDigestUntil?: string;
  deliveries: DeliveryReport[];
}

export interface FlushSummary {
  digests: number;
  delivered: number;
  rescheduled: number;
  rejected: number;
}

type StoredOutcome = "delivered" | "rescheduled" | "rejected";

export class Notifier {
  private readonly log: NotifyLogger;
  private readonly redactor: Redactor;
  private readonly outbox: OutboxPolicy;
  private readonly now: () => Date;

  constructor(private readonly options: NotifierOptions) {
    validateNotifications(options.notifications);
    this.redactor = new Redactor(options.settings.endpoints.map((e) => e.url));
    this.log = redactingLogger(options.logger ?? consoleLogger, this.redactor);
    this.outbox = { ...DEFAULT_OUTBOX_POLICY, ...options.outbox };
    this.now = options.now ?? (() => new Date());
  }

  /** Sends (or holds) one message; accepts unvalidated input, e.g. an activity's payload. */
  async notify(input: unknown, options: { signal?: AbortSignal } = {}): Promise<NotifyResult> {
    const message = parseNotifyMessage(input, "notify");
    const own = this.options.store.environment;
    if (own !== undefined && message.environment !== own)
      throw new Error(
        `notify: a message of environment ${message.environment} cannot go through the channels of environment ${own}`,
      );
    const now = this.now();
    const windowMinutes = this.options.notifications.digestWindowMinutes;
    if (message.digestKey && windowMinutes > 0) {
      const heldUntil = await this.collectForDigest(message, message.digestKey, now, windowMinutes);
      if (heldUntil) {
        this.log.info(
          `notify: ${message.kind} ${message.correlationId} joins the digest window ending ${heldUntil.toISOString()}`,
        );
        return { correlationId: message.correlationId, heldForDigestUntil: heldUntil.toISOString(), deliveries: [] };
      }
    }
    return { correlationId: message.correlationId, deliveries: await this.dispatch(message, now, options.signal) };
  }

  /** Sends digests whose window ended and stored deliveries that are due. */
  async flushDue(options: { signal?: AbortSignal } = {}): Promise<FlushSummary> {
    const { store, notifications } = this.options;
    const now = this.now();
    const summary: FlushSummary = { digests: 0, delivered: 0, rescheduled: 0, rejected: 0 };

    for (const window of await store.listDigestWindows(new Date(now.getTime() - this.outbox.digestSettleMs))) {
      const items = await store.listDigestItems(window);
      if (items.length > 0) {
        const digest = buildDigest(
          items.map((i) => i.message),
          { windowMinutes: notifications.digestWindowMinutes, firstSentAt: window.firstOccurredAt },
        );
        await this.dispatch(digest, now, options.signal);
        summary.digests++;
      }
      await store.closeDigestWindow(window, items);
    }

    for (const due of await store.listPending(now)) {
      const claimed = await store.claim(due, new Date(now.getTime() + this.outbox.leaseMs));
      if (!claimed) continue;
      const result = await this.retryStored(claimed, now, options.signal);
      summary[result]++;
    }
    await store.forgetSentBefore(new Date(now.getTime() - this.outbox.rememberSentMs));
    if (summary.digests + summary.delivered + summary.rescheduled + summary.rejected > 0) {
      this.log.info(
        `notify: flushed ${summary.digests} digests; ${summary.delivered} delivered, ${summary.rescheduled} rescheduled, ${summary.rejected} rejected`,
      );
    }
    return summary;
  }

  /** The end of the open window the message was added to, or undefined when it should be sent now. */
  private async collectForDigest(
    message: NotifyMessage,
    key: string,
    now: Date,
    windowMinutes: number,
  ): Promise<Date | undefined> {
    const { store } = this.options;
    const windowEnd = new Date(now.getTime() + windowMinutes * 60_000);
    // Two tries: a window may close between the failed insert and the read.
    for (let i = 0; i < 2; i++) {
      if (await store.openDigestWindow(key, now, windowEnd, message.occurredAt)) return undefined;
      const open = await store.getDigestWindow(key);
      if (!open) continue;
      // Past the settle time the flush may already be reading the window's items; send on its own instead.
      if (open.windowEnd.getTime() + this.outbox.digestSettleMs <= now.getTime()) return undefined;
      await store.addDigestItem(open, message);
      return open.windowEnd;
    }
    return undefined;
  }

  private async dispatch(
    message: NotifyMessage,
    now: Date,
    signal: AbortSignal | undefined,
  ): Promise<DeliveryReport[]> {
    const { notifications, settings, store } = this.options;
    const quietUntil = message.severity === "info" ? quietHoursEnd(notifications.quietHours, now) : undefined;
    const tasks: Array<Promise<DeliveryReport>> = [];
    for (const channel of routeMessage(message, notifications)) {
      const endpoints = settings.endpoints.filter((e) => e.channel === channel);
      if (endpoints.length === 0) {
        const setting = notifications.channels.find((c) => c.name === channel)?.webhookSetting ?? "(unknown setting)";
        this.log.warn(
          `notify: channel ${channel} has no webhook (${setting} is empty); ${message.kind} ${message.correlationId} not sent there`,
        );
        tasks.push(Promise.resolve({ channel, status: "not-configured", detail: `${setting} is empty`, kept: false }));
        continue;
      }
      for (const endpoint of endpoints) {
        if (quietUntil) {
          tasks.push(
            store
              .addPending(
                {
                  channel,
                  target: urlFingerprint(endpoint.url),
                  reason: "quiet-hours",
                  attempts: 0,
                  rounds: 0,
                  dueAt: quietUntil,
                  message,
                },
                now,
              )
              .then(() => ({
                channel,
                endpoint: endpointLabel(endpoint),
                status: "held",
                detail: `quiet hours until ${quietUntil.toISOString()}`,
                kept: true,
              })),
          );
        } else {
          tasks.push(this.sendNow(endpoint, message, now, signal));
        }
      }
    }
    return Promise.all(tasks);
  }

  private async sendNow(
    endpoint: WebhookEndpoint,
    message: NotifyMessage,
    now: Date,
    signal: AbortSignal | undefined,
  ): Promise<DeliveryReport> {
    const { store } = this.options;
    const target = urlFingerprint(endpoint.url);
    const id = messageId(message);
    const sent = await store.sentAt(id, target);
    if (sent) return alreadySent(endpoint, message, sent, this.log);
    const outcome = await this.send(endpoint, message, signal);
    let kept = false;
    if (outcome.status === "delivered") {
      await store.recordSent(id, target, this.now(), outcome.httpStatus);
    } else if (outcome.status === "unknown") {
      await store.recordSent(id, target, this.now());
      await this.keepUnknown({ channel: endpoint.channel, target, attempts: outcome.attempts, message }, outcome, now);
      kept = true;
    } else if (outcome.status === "transient") {
      await store.addPending(
        {
          channel: endpoint.channel,
          target,
          reason: "retry",
          attempts: outcome.attempts,
          rounds: 1,
          dueAt: this.retryDue(now, 1, outcome.retryAfterMs),
          lastError: outcome.reason,
          message,
        },
        now,
      );
      kept = true;
    } else if (outcome.status === "permanent" || outcome.status === "blocked") {
      await store.reject(
        { channel: endpoint.channel, target, attempts: outcome.attempts, message },
        outcome.reason,
        now,
      );
      kept = true;
    }
    return report(endpoint, outcome, kept);
  }

  private async retryStored(
    entry: PendingDelivery,
    now: Date,
    signal: AbortSignal | undefined,
  ): Promise<StoredOutcome> {
    const { store, settings } = this.options;
    const endpoint = settings.endpoints.find(
      (e) => e.channel === entry.channel && urlFingerprint(e.url) === entry.target,
    );
    if (!endpoint) {
      const reason = `channel ${entry.channel}: the webhook this delivery was for is no longer configured`;
      this.log.error(`notify: ${entry.message.kind} ${entry.message.correlationId} not sent: ${reason}`);
      await store.reject(entry, reason, now);
      return "rejected";
    }
    const id = messageId(entry.message);
    const sent = await store.sentAt(id, entry.target);
    if (sent) {
      alreadySent(endpoint, entry.message, sent, this.log);
      await store.remove(entry);
      return "delivered";
    }
    const outcome = await this.send(endpoint, entry.message, signal);
    switch (outcome.status) {
      case "delivered":
        await store.recordSent(id, entry.target, this.now(), outcome.httpStatus);
        await store.remove(entry);
        return "delivered";
      case "unknown":
        await store.recordSent(id, entry.target, this.now());
        await this.keepUnknown({ ...entry, attempts: entry.attempts + outcome.attempts }, outcome, now);
        return "rejected";
      case "transient": {
        const rounds = entry.rounds + 1;
        await store.reschedule(entry, {
          dueAt: this.retryDue(now, rounds, outcome.retryAfterMs),
          attempts: entry.attempts + outcome.attempts,
          rounds,
          lastError: outcome.reason,
        });
        return "rescheduled";
      }
      case "permanent":
      case "blocked":
        await store.reject({ ...entry, attempts: entry.attempts + outcome.attempts }, outcome.reason, now);
        return "rejected";
    }
  }

  /** A stored delivery whose send had an unknown outcome again: once more after the wait, or kept, not resent. */
  /** A send whose outcome is unknown: kept as rejected, never sent again (at most once). */
  private async keepUnknown(
    entry: { id?: string; channel: string; target: string; attempts: number; message: NotifyMessage },
    outcome: Extract<DeliveryOutcome, { status: "unknown" }>,
    now: Date,
  ): Promise<void> {
    const reason =
      `${outcome.reason}: the endpoint may have accepted it, so it is not sent again ` +
      "(the webhook takes no idempotency key; check the channel)";
    this.log.error(`notify: ${entry.message.kind} ${entry.message.correlationId} to ${entry.channel}: ${reason}`);
    await this.options.store.reject(entry, reason, now);
  }

  private send(
    endpoint: WebhookEndpoint,
    message: NotifyMessage,
    signal: AbortSignal | undefined,
  ): Promise<DeliveryOutcome> {
    const { settings } = this.options;
    const runbook = settings.runbookBaseUrl === undefined ? {} : { runbookBaseUrl: settings.runbookBaseUrl };
    const payload = endpoint.kind === "teams" ? renderTeams(message, runbook) : renderSlack(message, runbook);
    return deliver(endpoint, payload, {
      allowList: settings.allowList,
      logger: this.log,
      redactor: this.redactor,
      ...(this.options.delivery ? { policy: this.options.delivery } : {}),
      ...(signal ? { signal } : {}),
    }).then((outcome) => {
      if (outcome.status === "delivered") {
        this.log.info(
          `notify: ${message.kind} ${message.correlationId} delivered to ${endpointLabel(endpoint)} (HTTP ${outcome.httpStatus})`,
        );
      }
      return outcome;
    });
  }

  /** Stored retries back off exponentially per round, and never sooner than the endpoint's Retry-After. */
  private retryDue(now: Date, round: number, retryAfterMs: number | undefined): Date {
    const backoff = Math.min(this.outbox.retryMaxMs, this.outbox.retryBaseMs * 2 ** Math.min(round - 1, 30));
    return new Date(now.getTime() + Math.max(backoff, retryAfterMs ?? 0));
  }
}

function alreadySent(
  endpoint: WebhookEndpoint,
  message: NotifyMessage,
  sent: { at: Date; httpStatus?: number },
  log: NotifyLogger,
): DeliveryReport {
  const detail =
    sent.httpStatus !== undefined
      ? `acknowledged ${sent.at.toISOString()}; not sent again`
      : `sent ${sent.at.toISOString()} without an answer in time; not sent again`;
  log.info(`notify: ${message.kind} ${message.correlationId} already sent to ${endpointLabel(endpoint)}: ${detail}`);
  return { channel: endpoint.channel, endpoint: endpointLabel(endpoint), status: "already-sent", detail, kept: false };
}

function report(endpoint: WebhookEndpoint, outcome: DeliveryOutcome, kept: boolean): DeliveryReport {
  return {
    channel: endpoint.channel,
    endpoint: endpointLabel(endpoint),
    status: outcome.status,
    ...("httpStatus" in outcome && outcome.httpStatus !== undefined ? { httpStatus: outcome.httpStatus } : {}),
    detail: outcome.status === "delivered" ? outcome.answer : outcome.reason,
    kept,
  };
}
