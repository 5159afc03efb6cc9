import { InvocationContext, type Timer } from "@azure/functions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { notifyRetryHandler } from "../../functions/notifyRetry";
import {
  loadNotifySettings,
  messages,
  Notifier,
  NotifyStore,
  urlFingerprint,
  type NotifyLogger,
  type NotifyMessage,
} from "../../lib/notify";
import { storageFromConnectionString } from "../../lib/azure";
import type { NotificationsSpec } from "../../lib/spec";
import { startAzurite, type AzuriteHandle } from "../../local/azurite";
import { startSink, type Sink } from "../helpers/sink";
import { samples } from "./fixtures";

/** The full path: routing, quiet hours, digests and kept-and-retried deliveries, over real HTTP and Azurite. */

const SLACK_PATH = "/services/T0SECRET1/B0SECRET2/slacktokenabcdefghijklmn";
const TEAMS_PATH =
  "/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?sig=teamssignature0123456789";
const SECRET_PARTS = [
  "T0SECRET1",
  "B0SECRET2",
  "slacktokenabcdefghijklmn",
  "0123456789abcdef0123456789abcdef",
  "teamssignature0123456789",
];

const notifications: NotificationsSpec = {
  channels: [
    { name: "teams", kind: "teams", webhookSetting: "AKS_PLATFORM_TEAMS_WEBHOOK_URL" },
    { name: "slack", kind: "slack", webhookSetting: "AKS_PLATFORM_SLACK_WEBHOOK_URL" },
  ],
  routes: [{ severities: ["critical"], channels: ["slack"] }],
  quietHours: { start: "22:00", end: "07:00", timeZone: "UTC" },
  digestWindowMinutes: 5,
};

let azurite: AzuriteHandle;
let sink: Sink;
const logs: string[] = [];
const logger: NotifyLogger = {
  info: (m) => logs.push(m),
  warn: (m) => logs.push(m),
  error: (m) => logs.push(m),
};
let tableCount = 0;
let clock: Date;

beforeAll(async () => {
  [azurite, sink] = await Promise.all([startAzurite(), startSink()]);
});
afterAll(async () => {
  await Promise.all([azurite?.stop(), sink?.close()]);
});
beforeEach(() => {
  sink.reset();
  clock = new Date("2026-11-24T12:00:00Z");
});

function env(): Record<string, string> {
  return {
    AzureWebJobsStorage: azurite.connectionString,
    AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS: sink.host,
    AKS_PLATFORM_TEAMS_WEBHOOK_URL: `${sink.url}${TEAMS_PATH}`,
    AKS_PLATFORM_SLACK_WEBHOOK_URL: `${sink.url}${SLACK_PATH}`,
  };
}

/** A notifier on a fresh table (each test isolated); `reopen` builds a second one on the same table, as after a restart. */
async function setup(overrides: Partial<NotificationsSpec> = {}) {
  const tableName = `notify${Date.now()}${tableCount++}`;
  const spec = { ...notifications, ...overrides };
  const make = async () =>
    new Notifier({
      notifications: spec,
      settings: loadNotifySettings(env(), spec),
      store: await NotifyStore.open({ storage: storageFromConnectionString(azurite.connectionString), tableName }),
      logger,
      delivery: { timeoutMs: 1_000, maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
      outbox: { retryBaseMs: 1_000, retryMaxMs: 60_000, leaseMs: 30_000, digestSettleMs: 0 },
      now: () => clock,
    });
  const store = await NotifyStore.open({ storage: storageFromConnectionString(azurite.connectionString), tableName });
  return { notifier: await make(), reopen: make, store, tableName };
}

const at = (iso: string) => (clock = new Date(iso));

describe("Notifier", () => {
  it("routes by severity: critical to the slack route only, others to every channel", async () => {
    const { notifier } = await setup();
    sink.script([{ status: 202 }], { path: TEAMS_PATH.split("?")[0] });
    const warning = await notifier.notify(samples["backup-failed"]!);
    expect(warning.deliveries.map((d) => [d.channel, d.status, d.httpStatus])).toEqual([
      ["teams", "delivered", 202],
      ["slack", "delivered", 200],
    ]);
    const critical = await notifier.notify(samples["certificate-expired"]!);
    expect(critical.deliveries.map((d) => d.channel)).toEqual(["slack"]);
    expect(sink.requestsTo("/workflows/")).toHaveLength(1);
    expect(sink.requestsTo("/services/")).toHaveLength(2);
    expect(sink.requestsTo("/services/")[1]!.json()).toMatchObject({ text: expect.stringContaining("[CRITICAL]") });
  });

  it("a Slack webhook answering 200 after the client timeout gets the alert at most once: kept for a person, never resent", async () => {
    const { notifier, store } = await setup();
    // Slack accepts but answers after the client timeout (scaled down: 1.5 s against 1 s, as 15 s against 10 s).
    sink.setDefault({ status: 200, body: "ok", delayMs: 1_500 });
    const first = await notifier.notify(samples["certificate-expired"]!);
    expect(first.deliveries).toMatchObject([
      { channel: "slack", status: "unknown", detail: "timed out after 1000 ms", kept: true },
    ]);
    expect(sink.requests).toHaveLength(1);
    // Not retried, not held for a resend: kept as rejected, saying why, for a person to check the channel.
    expect(await store.listPending()).toEqual([]);
    const [kept] = await store.listRejected();
    expect(kept!.reason).toBe(
      "timed out after 1000 ms: the endpoint may have accepted it, so it is not sent again (the webhook takes no idempotency key; check the channel)",
    );
    expect(logs.some((l) => l.includes("may have accepted it, so it is not sent again"))).toBe(true);

    // Later flushes send nothing; the same message again (the notify activity run again by Durable) is not sent.
    at("2026-11-24T12:05:00Z");
    await notifier.flushDue();
    at("2026-11-24T14:00:00Z");
    await notifier.flushDue();
    const again = await notifier.notify(samples["certificate-expired"]!);
    expect(again.deliveries).toMatchObject([{ channel: "slack", status: "already-sent", kept: false }]);
    expect(again.deliveries[0]!.detail).toContain("without an answer in time; not sent again");
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(sink.requests).toHaveLength(1);
  });

  it("a message an endpoint acknowledged is not sent to it again (the notify activity run again by Durable)", async () => {
    const { notifier } = await setup();
    const first = await notifier.notify(samples["certificate-expired"]!);
    expect(first.deliveries).toMatchObject([{ channel: "slack", status: "delivered", httpStatus: 200 }]);
    const again = await notifier.notify(samples["certificate-expired"]!);
    expect(again.deliveries).toMatchObject([{ channel: "slack", status: "already-sent", kept: false }]);
    expect(again.deliveries[0]!.detail).toMatch(/^acknowledged .*; not sent again$/);
    // A different message to the same channel still goes out.
    await notifier.notify({ ...samples["certificate-expired"]!, correlationId: "another" });
    expect(sink.requestsTo("/services/")).toHaveLength(2);
  });

  it("remembers a send for a week, then forgets it, so the record does not grow forever", async () => {
    const { notifier } = await setup();
    const message = samples["certificate-expired"]!;
    await notifier.notify(message);
    at("2026-11-30T12:00:00Z");
    await notifier.flushDue();
    expect((await notifier.notify(message)).deliveries[0]!.status).toBe("already-sent");
    at("2026-12-01T12:00:01Z");
    await notifier.flushDue();
    expect((await notifier.notify(message)).deliveries[0]!.status).toBe("delivered");
    expect(sink.requestsTo("/services/")).toHaveLength(2);
  });

  it("keeps a delivery that failed transiently and retries it, from a restarted process, once the sink recovers", async () => {
    const { notifier, reopen, store } = await setup();
    sink.setDefault({ status: 503, body: "unavailable" });
    const result = await notifier.notify(samples["certificate-expired"]!);
    expect(result.deliveries).toMatchObject([{ channel: "slack", status: "transient", httpStatus: 503, kept: true }]);
    expect(sink.requests).toHaveLength(2); // maxAttempts in-process
    const [pending] = await store.listPending();
    expect(pending).toMatchObject({
      channel: "slack",
      reason: "retry",
      attempts: 2,
      rounds: 1,
      lastError: "HTTP 503 unavailable",
    });
    expect(pending!.dueAt.toISOString()).toBe("2026-11-24T12:00:01.000Z");
    expect(JSON.stringify(pending)).not.toContain("slacktoken");

    // Not due yet: nothing is sent.
    expect(await notifier.flushDue()).toEqual({ digests: 0, delivered: 0, rescheduled: 0, rejected: 0 });
    // Still failing when due: rescheduled with a longer backoff.
    at("2026-11-24T12:00:02Z");
    expect(await notifier.flushDue()).toMatchObject({ rescheduled: 1 });
    const [again] = await store.listPending();
    expect(again).toMatchObject({ attempts: 4, rounds: 2 });
    expect(again!.dueAt.toISOString()).toBe("2026-11-24T12:00:04.000Z");

    // The endpoint recovers; a new process (same table) delivers it.
    sink.reset();
    at("2026-11-24T12:00:05Z");
    const restarted = await reopen();
    expect(await restarted.flushDue()).toMatchObject({ delivered: 1 });
    expect(sink.requests).toHaveLength(1);
    expect(sink.requests[0]!.json()).toMatchObject({ text: expect.stringContaining("has expired") });
    expect(await store.listPending()).toEqual([]);
  });

  it("honours a long Retry-After when scheduling the stored retry", async () => {
    const { notifier, store } = await setup();
    sink.setDefault({ status: 429, headers: { "Retry-After": "600" }, body: "rate_limited" });
    await notifier.notify(samples["certificate-expired"]!);
    expect(sink.requests).toHaveLength(1); // 600 s is beyond the in-process limit
    const [pending] = await store.listPending();
    expect(pending!.dueAt.toISOString()).toBe("2026-11-24T12:10:00.000Z");
  });

  it("keeps permanently refused deliveries for inspection and never retries them", async () => {
    const { notifier, store } = await setup();
    sink.script([{ status: 404, body: "channel_not_found" }]);
    const result = await notifier.notify(samples["certificate-expired"]!);
    expect(result.deliveries).toMatchObject([
      { status: "permanent", httpStatus: 404, detail: "HTTP 404 channel_not_found", kept: true },
    ]);
    expect(await store.listPending()).toEqual([]);
    const [rejected] = await store.listRejected();
    expect(rejected).toMatchObject({ channel: "slack", reason: "HTTP 404 channel_not_found", attempts: 1 });
    expect(rejected!.message.correlationId).toBe("cert-3");
    at("2026-11-25T12:00:00Z");
    await notifier.flushDue();
    expect(sink.requests).toHaveLength(1);
    expect(logs.join("\n")).toContain("rejected the message: HTTP 404 channel_not_found (permanent, not retried)");
  });

  it("holds info messages during quiet hours until the window ends; warnings go out at once", async () => {
    const { notifier, store } = await setup();
    at("2026-11-24T23:30:00Z");
    const info = await notifier.notify(samples["provisioning-done"]!);
    expect(info.deliveries.map((d) => [d.channel, d.status, d.detail])).toEqual([
      ["teams", "held", "quiet hours until 2026-11-25T07:00:00.000Z"],
      ["slack", "held", "quiet hours until 2026-11-25T07:00:00.000Z"],
    ]);
    const warning = await notifier.notify(samples["certificate-near-expiry"]!);
    expect(warning.deliveries.every((d) => d.status === "delivered")).toBe(true);
    expect(sink.requests).toHaveLength(2);
    expect(await store.listPending()).toHaveLength(2);

    at("2026-11-25T06:59:00Z");
    expect((await notifier.flushDue()).delivered).toBe(0);
    at("2026-11-25T07:00:30Z");
    expect((await notifier.flushDue()).delivered).toBe(2);
    expect(sink.requests.slice(2).map((r) => JSON.stringify(r.json()))).toEqual([
      expect.stringContaining("Platform k8s-demo provisioned"),
      expect.stringContaining("Platform k8s-demo provisioned"),
    ]);
    expect(await store.listPending()).toEqual([]);
  });

  it("turns an eviction storm into the first alert plus one digest per channel", async () => {
    const { notifier } = await setup();
    const eviction = (n: number, time: string): NotifyMessage =>
      messages.evictionStarted({
        environment: "k8s-demo",
        cluster: n % 2 ? "app1" : "app2",
        resource: `aks-spot-${n}`,
        correlationId: `ev-${n}`,
        occurredAt: time,
      });

    at("2026-11-24T12:00:00Z");
    expect((await notifier.notify(eviction(1, "2026-11-24T12:00:00Z"))).deliveries).toHaveLength(2);
    const held = await Promise.all(
      [2, 3, 4, 5].map((n) => notifier.notify(eviction(n, `2026-11-24T12:0${n - 1}:00Z`))),
    );
    expect(held.map((h) => h.heldForDigestUntil)).toEqual(Array(4).fill("2026-11-24T12:05:00.000Z"));
    expect(sink.requests).toHaveLength(2);

    at("2026-11-24T12:04:59Z");
    expect((await notifier.flushDue()).digests).toBe(0);
    at("2026-11-24T12:05:00Z");
    expect((await notifier.flushDue()).digests).toBe(1);
    const digests = sink.requests.slice(2);
    expect(digests).toHaveLength(2);
    const slack = JSON.stringify(sink.requestsTo("/services/").at(-1)!.json());
    expect(slack).toContain("4 more Spot evictions in k8s-demo within 5 min");
    for (const n of [2, 3, 4, 5]) expect(slack).toContain(`aks-spot-${n}`);

    // The window is closed: the next eviction opens a new one and is sent at once.
    at("2026-11-24T12:06:00Z");
    expect((await notifier.notify(eviction(6, "2026-11-24T12:06:00Z"))).heldForDigestUntil).toBeUndefined();
    expect(sink.requests).toHaveLength(6);
  });

  it("a caller that digests itself opts out: such messages are never held", async () => {
    const { notifier } = await setup();
    const input = {
      environment: "k8s-demo",
      cluster: "app1",
      resource: "aks-spot-1",
      occurredAt: "2026-11-24T12:00:00Z",
      digest: false,
    };
    for (const n of [1, 2]) {
      const result = await notifier.notify(messages.evictionStarted({ ...input, correlationId: `own-${n}` }));
      expect(result.heldForDigestUntil).toBeUndefined();
    }
    expect(sink.requests).toHaveLength(4);
  });

  it("a single event in a window produces no digest", async () => {
    const { notifier } = await setup();
    await notifier.notify(samples["eviction-started"]!);
    at("2026-11-24T12:10:00Z");
    expect((await notifier.flushDue()).digests).toBe(0);
    expect(sink.requests).toHaveLength(2);
  });

  it("reports channels without a webhook, and rejects stored deliveries whose webhook was removed", async () => {
    const { store, tableName } = await setup();
    const slackOnly = new Notifier({
      notifications,
      settings: loadNotifySettings({ ...env(), AKS_PLATFORM_TEAMS_WEBHOOK_URL: "" }, notifications),
      store: await NotifyStore.open({ storage: storageFromConnectionString(azurite.connectionString), tableName }),
      logger,
      now: () => clock,
    });
    at("2026-11-24T23:00:00Z");
    const result = await slackOnly.notify(samples["cluster-lifecycle"]!);
    expect(result.deliveries.map((d) => [d.channel, d.status])).toEqual([
      ["teams", "not-configured"],
      ["slack", "held"],
    ]);
    const noSlack = new Notifier({
      notifications,
      settings: loadNotifySettings({ ...env(), AKS_PLATFORM_SLACK_WEBHOOK_URL: "" }, notifications),
      store: await NotifyStore.open({ storage: storageFromConnectionString(azurite.connectionString), tableName }),
      logger,
      now: () => new Date("2026-11-25T08:00:00Z"),
    });
    expect(await noSlack.flushDue()).toMatchObject({ rejected: 1 });
    expect((await store.listRejected())[0]!.reason).toContain("no longer configured");
  });

  it("the notifyRetry timer function flushes kept deliveries", async () => {
    // The function uses the default table of the Functions host's storage account, one outbox per environment.
    const store = await NotifyStore.open(
      { storage: storageFromConnectionString(azurite.connectionString) },
      samples["backup-failed"]!.environment,
    );
    const target = urlFingerprint(`${sink.url}${SLACK_PATH}`);
    const dueAt = new Date(Date.now() - 1000);
    await store.addPending(
      { channel: "slack", target, reason: "retry", attempts: 1, rounds: 1, dueAt, message: samples["backup-failed"]! },
      new Date(),
    );
    const lines: string[] = [];
    const levels: string[] = [];
    const context = new InvocationContext({
      functionName: "notifyRetry",
      logHandler: (level, ...args) => {
        levels.push(level);
        lines.push(args.map(String).join(" "));
      },
    });
    const timer = { isPastDue: false } as Timer;
    const environments = () => Promise.resolve([{ name: samples["backup-failed"]!.environment, notifications }]);
    await notifyRetryHandler(env(), environments)(timer, context);
    expect(sink.requestsTo("/services/")).toHaveLength(1);
    expect(lines.at(-1)).toBe("notifyRetry: 0 digests, 1 delivered, 0 rescheduled, 0 rejected");
    expect(levels.at(-1)).toBe("information");
    expect(await store.listPending()).toEqual([]);
    logs.push(...lines);

    // Nothing due: the once-a-minute run is a debug line, not an information heartbeat in the log.
    await notifyRetryHandler(env(), environments)(timer, context);
    expect(lines.at(-1)).toBe("notifyRetry: 0 digests, 0 delivered, 0 rescheduled, 0 rejected");
    expect(levels.at(-1)).toBe("debug");
  });

  // Runs last (tests in a file run in order): every log line written above, including the function's.
  it("no log line of any test above contains the webhook URL or a part of it", () => {
    expect(logs.length).toBeGreaterThan(20);
    const all = logs.join("\n");
    expect(all).toContain("/…/redacted");
    for (const part of SECRET_PARTS) expect(all).not.toContain(part);
  });
});
