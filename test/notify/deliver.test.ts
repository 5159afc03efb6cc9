import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  backoffDelay,
  buildAllowList,
  deliver,
  parseRetryAfter,
  renderSlack,
  renderTeams,
  type DeliverOptions,
  type NotifyLogger,
  type WebhookEndpoint,
} from "../../lib/notify";
import { startSink, type Sink } from "../helpers/sink";
import { samples } from "./fixtures";

const SLACK_PATH = "/services/T0SECRET1/B0SECRET2/slacktokenabcdefghijklmn";
const TEAMS_PATH =
  "/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?sig=teamssignature0123456789";

let sink: Sink;
let lines: string[];
const logger: NotifyLogger = {
  info: (m) => lines.push(`info ${m}`),
  warn: (m) => lines.push(`warn ${m}`),
  error: (m) => lines.push(`error ${m}`),
};

beforeAll(async () => {
  sink = await startSink();
});
afterAll(async () => {
  await sink.close();
});
beforeEach(() => {
  sink.reset();
  lines = [];
});

function endpoint(kind: "teams" | "slack", path = kind === "slack" ? SLACK_PATH : TEAMS_PATH): WebhookEndpoint {
  return {
    channel: kind,
    kind,
    setting: `AKS_PLATFORM_${kind.toUpperCase()}_WEBHOOK_URL`,
    position: 1,
    url: `${sink.url}${path}`,
  };
}

function options(policy: DeliverOptions["policy"] = {}): DeliverOptions {
  return {
    allowList: buildAllowList(sink.host),
    logger,
    policy: { timeoutMs: 2_000, maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, random: () => 0.5, ...policy },
  };
}

const slackPayload = renderSlack(samples["eviction-started"]!);
const teamsPayload = renderTeams(samples["eviction-started"]!);

/** Nothing that identifies a webhook may appear in a log line. */
function expectNoSecrets(texts: string[]): void {
  const all = texts.join("\n");
  for (const part of [
    "T0SECRET1",
    "B0SECRET2",
    "slacktokenabcdefghijklmn",
    "0123456789abcdef0123456789abcdef",
    "teamssignature0123456789",
    "/services/",
    "/workflows/",
  ]) {
    expect(all).not.toContain(part);
  }
}

describe("delivery over real HTTP", () => {
  it("Teams: 202 with an empty body is success; the envelope arrives as sent", async () => {
    sink.script([{ status: 202, body: "" }]);
    const outcome = await deliver(endpoint("teams"), teamsPayload, options());
    expect(outcome).toEqual({ status: "delivered", httpStatus: 202, answer: "", attempts: 1 });
    expect(sink.requests).toHaveLength(1);
    expect(sink.requests[0]!.method).toBe("POST");
    expect(sink.requests[0]!.headers["content-type"]).toBe("application/json");
    expect(sink.requests[0]!.json()).toEqual(teamsPayload);
  });

  it("Slack: 200 ok is success", async () => {
    const outcome = await deliver(endpoint("slack"), slackPayload, options());
    expect(outcome).toMatchObject({ status: "delivered", httpStatus: 200, answer: "ok" });
    expect(sink.requestsTo(SLACK_PATH)).toHaveLength(1);
  });

  it("429 with Retry-After: waits at least that long, then delivers", async () => {
    sink.script([
      { status: 429, headers: { "Retry-After": "1" }, body: "rate_limited" },
      { status: 200, body: "ok" },
    ]);
    const outcome = await deliver(endpoint("slack"), slackPayload, options());
    expect(outcome).toMatchObject({ status: "delivered", attempts: 2 });
    const [first, second] = sink.requests;
    expect(second!.receivedAt.getTime() - first!.receivedAt.getTime()).toBeGreaterThanOrEqual(950);
    expect(lines.join("\n")).toMatch(/attempt 1 of 3 failed: HTTP 429 rate_limited; retrying in 1000 ms/);
  });

  it("429 with a Retry-After longer than allowed in-process: kept for a later retry with that delay", async () => {
    sink.script([{ status: 429, headers: { "Retry-After": "120" }, body: "rate_limited" }]);
    const outcome = await deliver(endpoint("slack"), slackPayload, options({ maxRetryAfterMs: 50 }));
    expect(outcome).toMatchObject({ status: "transient", httpStatus: 429, retryAfterMs: 120_000, attempts: 1 });
    expect(sink.requests).toHaveLength(1);
  });

  it("500 then success: retried with backoff", async () => {
    sink.script([{ status: 500, body: "oops" }, { status: 202 }]);
    const outcome = await deliver(endpoint("teams"), teamsPayload, options());
    expect(outcome).toMatchObject({ status: "delivered", httpStatus: 202, attempts: 2 });
    expect(sink.requests).toHaveLength(2);
  });

  it("5xx every time: gives up after maxAttempts as transient (to be kept)", async () => {
    sink.setDefault({ status: 503, body: "unavailable" });
    const outcome = await deliver(endpoint("teams"), teamsPayload, options());
    expect(outcome).toMatchObject({
      status: "transient",
      httpStatus: 503,
      attempts: 3,
      reason: "HTTP 503 unavailable",
    });
    expect(sink.requests).toHaveLength(3);
    expect(lines.at(-1)).toMatch(
      /^warn notify: teams .* failed 3 times, last: HTTP 503 unavailable; kept for a later retry$/,
    );
  });

  it.each([
    [400, "invalid_payload"],
    [403, "action_prohibited"],
    [404, "channel_not_found"],
    [404, "no_service"],
    [410, "channel_is_archived"],
  ])("%i %s is permanent: not retried, reason logged", async (status, text) => {
    sink.script([{ status, body: text }]);
    const outcome = await deliver(endpoint("slack"), slackPayload, options());
    expect(outcome).toEqual({ status: "permanent", httpStatus: status, reason: `HTTP ${status} ${text}`, attempts: 1 });
    expect(sink.requests).toHaveLength(1);
    expect(lines).toEqual([
      `error notify: slack (AKS_PLATFORM_SLACK_WEBHOOK_URL #1, ${sink.host}/…/redacted) rejected the message: HTTP ${status} ${text} (permanent, not retried)`,
    ]);
  });

  it("Teams JSON errors are reduced to code and message", async () => {
    sink.script([
      {
        status: 400,
        headers: { "content-type": "application/json" },
        body: '{"error":{"code":"InvalidTemplate","message":"bad card"}}',
      },
    ]);
    const outcome = await deliver(endpoint("teams"), teamsPayload, options());
    expect(outcome).toMatchObject({ status: "permanent", reason: "HTTP 400 InvalidTemplate: bad card" });
  });

  it("a slow endpoint that times out may have accepted the message: unknown, and not retried blindly", async () => {
    sink.setDefault({ status: 200, body: "ok", delayMs: 1_000 });
    const outcome = await deliver(endpoint("slack"), slackPayload, options({ timeoutMs: 100, maxAttempts: 3 }));
    expect(outcome).toEqual({ status: "unknown", reason: "timed out after 100 ms", attempts: 1 });
    expect(sink.requests).toHaveLength(1);
  });

  it("a refused connection is transient", async () => {
    const closed = await startSink();
    const url = `${closed.url}${SLACK_PATH}`;
    const allowList = buildAllowList(closed.host);
    await closed.close();
    const outcome = await deliver({ ...endpoint("slack"), url }, slackPayload, {
      ...options({ maxAttempts: 1 }),
      allowList,
    });
    expect(outcome).toMatchObject({ status: "transient", attempts: 1 });
    expect(outcome.status === "transient" && outcome.reason).toMatch(/ECONNREFUSED/);
  });

  it("a host not on the allow-list is never called", async () => {
    const outcome = await deliver(endpoint("slack"), slackPayload, { ...options(), allowList: buildAllowList("") });
    expect(outcome).toEqual({
      status: "blocked",
      reason: `webhook URL loopback host ${sink.host} is not listed in AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS`,
      attempts: 0,
    });
    const external = await deliver(
      { ...endpoint("slack"), url: "https://example.com/services/T0SECRET1/B0SECRET2/slacktokenabcdefghijklmn" },
      slackPayload,
      options(),
    );
    expect(external).toMatchObject({ status: "blocked" });
    expect(sink.requests).toHaveLength(0);
  });

  it("no webhook URL or token appears in any log line, reason or answer", async () => {
    // The endpoint echoes its own URL back, as a misbehaving proxy might.
    sink.script([
      { status: 500, body: `upstream failed for ${sink.url}${SLACK_PATH}` },
      { status: 400, body: `invalid_payload at ${SLACK_PATH}` },
    ]);
    const slack = await deliver(endpoint("slack"), slackPayload, options());
    sink.script([{ status: 404, body: `{"error":{"code":"NotFound","message":"workflow ${TEAMS_PATH} not found"}}` }]);
    const teams = await deliver(endpoint("teams"), teamsPayload, options());
    expect(slack.status).toBe("permanent");
    expect(teams.status).toBe("permanent");
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expectNoSecrets([...lines, JSON.stringify(slack), JSON.stringify(teams)]);
  });
});

describe("backoff settings", () => {
  it("full jitter grows exponentially up to the cap", () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0.999 };
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, policy))).toEqual([100, 200, 400, 799, 999, 999]);
    expect(backoffDelay(3, { ...policy, random: () => 0 })).toBe(0);
  });

  it("parses Retry-After as seconds or an HTTP date", () => {
    const now = new Date("2026-11-24T00:00:00Z");
    expect(parseRetryAfter("30", now)).toBe(30_000);
    expect(parseRetryAfter("Tue, 24 Nov 2026 00:00:10 GMT", now)).toBe(10_000);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
