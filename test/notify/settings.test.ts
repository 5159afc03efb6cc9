import { describe, expect, it } from "vitest";
import { defaultSpec, type NotificationsSpec } from "../../lib/spec";
import {
  buildAllowList,
  checkAllowed,
  displayUrl,
  loadNotifySettings,
  NotifyConfigError,
  quietHoursEnd,
  Redactor,
  routeMessage,
  validateNotifications,
} from "../../lib/notify";

const SLACK = "https://hooks.slack.com/services/T0123ABCD/B0456EFGH/abcdefghijklmnopqrstuvwx";
const TEAMS_NEW =
  "https://default1234abcd.5e.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
const TEAMS_OLD =
  "https://prod-23.westeurope.logic.azure.com:443/workflows/0123456789abcdef/triggers/manual/paths/invoke?api-version=2016-06-01&sig=ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210";

const notifications = defaultSpec.notifications;

function configError(fn: () => unknown): NotifyConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof NotifyConfigError) return err;
    throw err;
  }
  throw new Error("expected a NotifyConfigError");
}

describe("settings", () => {
  it("reads comma-separated URLs per channel setting", () => {
    const settings = loadNotifySettings(
      { AKS_PLATFORM_TEAMS_WEBHOOK_URL: `${TEAMS_NEW} , ${TEAMS_OLD}`, AKS_PLATFORM_SLACK_WEBHOOK_URL: SLACK },
      notifications,
    );
    expect(settings.endpoints.map((e) => [e.channel, e.kind, e.setting, e.position])).toEqual([
      ["teams", "teams", "AKS_PLATFORM_TEAMS_WEBHOOK_URL", 1],
      ["teams", "teams", "AKS_PLATFORM_TEAMS_WEBHOOK_URL", 2],
      ["slack", "slack", "AKS_PLATFORM_SLACK_WEBHOOK_URL", 1],
    ]);
    expect(settings.runbookBaseUrl).toBeUndefined();
  });

  it("an empty setting means the channel has no endpoint", () => {
    expect(loadNotifySettings({ AKS_PLATFORM_TEAMS_WEBHOOK_URL: "" }, notifications).endpoints).toEqual([]);
  });

  it.each([
    [
      "not a URL",
      { AKS_PLATFORM_SLACK_WEBHOOK_URL: "hooks.slack.com/services/T0123ABCD/secretpart" },
      "AKS_PLATFORM_SLACK_WEBHOOK_URL: entry 1 is not a valid URL",
    ],
    [
      "host not allowed",
      { AKS_PLATFORM_SLACK_WEBHOOK_URL: `${SLACK},https://evil.example.com/T0123ABCD/secretpart` },
      "entry 2 host evil.example.com is not on the slack allow-list",
    ],
    [
      "slack host for teams",
      { AKS_PLATFORM_TEAMS_WEBHOOK_URL: SLACK },
      "AKS_PLATFORM_TEAMS_WEBHOOK_URL: entry 1 host hooks.slack.com is not on the teams allow-list",
    ],
    [
      "plain http",
      { AKS_PLATFORM_SLACK_WEBHOOK_URL: "http://hooks.slack.com/services/T0123ABCD/secretpart" },
      "only https is allowed",
    ],
    [
      "unlisted loopback",
      { AKS_PLATFORM_SLACK_WEBHOOK_URL: "http://127.0.0.1:9999/T0123ABCD/secretpart" },
      "loopback host 127.0.0.1:9999 is not listed",
    ],
    [
      "Key Vault reference",
      {
        AKS_PLATFORM_TEAMS_WEBHOOK_URL:
          "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/teams-T0123ABCD)",
      },
      "unresolved Key Vault reference",
    ],
    [
      "bad extra host",
      { AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS: "ok.example.com,https://x/T0123ABCD/secretpart" },
      "AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS: entry 2",
    ],
    [
      "runbook not https",
      { AKS_PLATFORM_RUNBOOK_URL: "http://example.com/README.md" },
      "AKS_PLATFORM_RUNBOOK_URL: is not an https URL",
    ],
  ])("fails fast naming the setting, never its value: %s", (_name, env, expected) => {
    const err = configError(() => loadNotifySettings(env, notifications));
    expect(err.message).toContain(expected);
    expect(err.message).not.toMatch(/T0123ABCD|secretpart/);
  });

  it("accepts listed hosts and loopback http only when listed with its port", () => {
    const env = {
      AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS: "127.0.0.1:8123, *.hooks.example.org, relay.example.com:8443",
      AKS_PLATFORM_SLACK_WEBHOOK_URL: "http://127.0.0.1:8123/slack/T0123ABCD",
      AKS_PLATFORM_TEAMS_WEBHOOK_URL: "https://a.hooks.example.org/x,https://relay.example.com:8443/y",
      AKS_PLATFORM_RUNBOOK_URL: "https://github.com/example/repo/blob/main/README.md#top",
    };
    const settings = loadNotifySettings(env, notifications);
    expect(settings.endpoints).toHaveLength(3);
    expect(settings.runbookBaseUrl).toBe("https://github.com/example/repo/blob/main/README.md");
    const allow = buildAllowList(env.AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS);
    expect(checkAllowed("http://127.0.0.1:8124/x", "slack", allow)).toMatch(/not listed/);
    expect(checkAllowed("https://relay.example.com/y", "teams", allow)).toMatch(/not on the teams allow-list/);
    expect(checkAllowed("https://hooks.example.org/x", "teams", allow)).toMatch(/not on/); // *.domain needs a subdomain
    expect(checkAllowed("https://user:pw@hooks.slack.com/x", "slack", allow)).toMatch(/user name/);
    expect(checkAllowed(TEAMS_NEW, "teams", allow)).toBeUndefined();
    expect(checkAllowed(TEAMS_OLD, "teams", allow)).toBeUndefined();
    expect(checkAllowed("https://hooks.slack.com.evil.example/x", "slack", allow)).toMatch(/not on/);
    expect(checkAllowed("https://evil-logic.azure.com/x", "teams", allow)).toMatch(/not on/);
  });
});

describe("redaction", () => {
  it("shows only the host and removes every identifying part of a URL", () => {
    expect(displayUrl(SLACK)).toBe("hooks.slack.com/…/redacted");
    const redactor = new Redactor([SLACK, TEAMS_NEW]);
    const text = `posting to ${SLACK} failed; path /services/T0123ABCD/B0456EFGH/abcdefghijklmnopqrstuvwx; sig AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 id 0123456789abcdef0123456789abcdef`;
    const out = redactor.redact(text);
    for (const secret of [
      "T0123ABCD",
      "B0456EFGH",
      "abcdefghijklmnopqrstuvwx",
      "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
      "0123456789abcdef0123456789abcdef",
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain("posting to");
  });
});

describe("routing and quiet hours", () => {
  const spec: NotificationsSpec = {
    channels: [
      { name: "teams-ops", kind: "teams", webhookSetting: "A" },
      { name: "slack-ops", kind: "slack", webhookSetting: "B" },
      { name: "slack-oncall", kind: "slack", webhookSetting: "C" },
    ],
    routes: [
      { severities: ["critical"], environments: ["prod"], channels: ["slack-oncall", "teams-ops"] },
      { severities: ["warning", "critical"], channels: ["teams-ops"] },
    ],
    quietHours: { start: "22:00", end: "07:00", timeZone: "Europe/Berlin" },
    digestWindowMinutes: 5,
  };

  it("first matching route wins; no match goes to every channel", () => {
    expect(routeMessage({ severity: "critical", environment: "prod" }, spec)).toEqual(["slack-oncall", "teams-ops"]);
    expect(routeMessage({ severity: "critical", environment: "dev" }, spec)).toEqual(["teams-ops"]);
    expect(routeMessage({ severity: "info", environment: "prod" }, spec)).toEqual([
      "teams-ops",
      "slack-ops",
      "slack-oncall",
    ]);
  });

  it("rejects routes to unknown channels and unknown time zones, naming the spec path", () => {
    expect(() => validateNotifications({ ...spec, routes: [{ severities: ["info"], channels: ["nope"] }] })).toThrow(
      'notifications.routes[0].channels[0]: no channel named "nope"',
    );
    expect(() =>
      validateNotifications({ ...spec, quietHours: { start: "22:00", end: "07:00", timeZone: "Mars/Olympus" } }),
    ).toThrow("notifications.quietHours.timeZone");
  });

  it("computes the end of a window that crosses midnight, in the configured time zone", () => {
    // 23:30 in Berlin (UTC+1 in November) → ends 07:00 Berlin = 06:00 UTC next day.
    expect(quietHoursEnd(spec.quietHours, new Date("2026-11-24T22:30:00Z"))?.toISOString()).toBe(
      "2026-11-25T06:00:00.000Z",
    );
    expect(quietHoursEnd(spec.quietHours, new Date("2026-11-25T05:59:00Z"))?.toISOString()).toBe(
      "2026-11-25T06:00:00.000Z",
    );
    expect(quietHoursEnd(spec.quietHours, new Date("2026-11-25T06:00:00Z"))).toBeUndefined();
    expect(quietHoursEnd(spec.quietHours, new Date("2026-11-25T12:00:00Z"))).toBeUndefined();
    // Across the spring-forward night (2026-03-29, 02:00 → 03:00 Berlin): 07:00 CEST = 05:00 UTC.
    expect(quietHoursEnd(spec.quietHours, new Date("2026-03-28T22:00:00Z"))?.toISOString()).toBe(
      "2026-03-29T05:00:00.000Z",
    );
    expect(quietHoursEnd({ start: "09:00", end: "09:00", timeZone: "UTC" }, new Date())).toBeUndefined();
    expect(quietHoursEnd(undefined, new Date())).toBeUndefined();
  });
});
