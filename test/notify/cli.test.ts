import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli";
import { startSink, type Sink } from "../helpers/sink";

const SLACK_PATH = "/services/T0SECRET1/B0SECRET2/slacktokenabcdefghijklmn";
const TEAMS_PATH = "/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke";
const TEAMS_QUERY = "?sig=teamssignature0123456789";
const SECRET_PARTS = [
  "T0SECRET1",
  "B0SECRET2",
  "slacktokenabcdefghijklmn",
  "0123456789abcdef0123456789abcdef",
  "teamssignature0123456789",
];

let sink: Sink;
let dir: string;

beforeAll(async () => {
  sink = await startSink();
  dir = mkdtempSync(path.join(tmpdir(), "notify-cli-"));
});
afterAll(async () => {
  await sink.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => sink.reset());

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS: sink.host,
    AKS_PLATFORM_TEAMS_WEBHOOK_URL: `${sink.url}${TEAMS_PATH}${TEAMS_QUERY}`,
    AKS_PLATFORM_SLACK_WEBHOOK_URL: `${sink.url}${SLACK_PATH}`,
    ...extra,
  };
}

function expectNoSecrets(text: string): void {
  for (const part of SECRET_PARTS) expect(text).not.toContain(part);
}

describe("aks-platform notify test", () => {
  it("sends a sample to every channel and prints each answer with the URL redacted", async () => {
    sink.script([{ status: 202 }], { path: TEAMS_PATH });
    sink.script([{ status: 404, body: "channel_not_found" }], { path: SLACK_PATH });
    const result = await runCli(["notify", "test"], { env: env() });
    expect(result.stdout.split("\n").filter(Boolean)).toEqual([
      `teams (AKS_PLATFORM_TEAMS_WEBHOOK_URL #1, ${sink.host}/…/redacted): delivered, HTTP 202`,
      `slack (AKS_PLATFORM_SLACK_WEBHOOK_URL #1, ${sink.host}/…/redacted): permanent, HTTP 404 channel_not_found`,
    ]);
    expect(result.code).toBe(1);
    expect(sink.requestsTo("/workflows/")[0]!.json()).toMatchObject({ type: "message" });
    expect(sink.requestsTo("/services/")[0]!.json()).toMatchObject({
      text: expect.stringContaining("Test notification"),
    });
    expectNoSecrets(result.stdout + result.stderr);
  });

  it("--channel limits the test to one channel; success exits 0", async () => {
    const result = await runCli(["notify", "test", "--channel", "slack"], { env: env() });
    expect(result.stdout.trim()).toBe(
      `slack (AKS_PLATFORM_SLACK_WEBHOOK_URL #1, ${sink.host}/…/redacted): delivered, HTTP 200 ok`,
    );
    expect(result.code).toBe(0);
    expect(sink.requests).toHaveLength(1);
  });

  it("reads local.settings.json Values, the environment taking precedence", async () => {
    const file = path.join(dir, "local.settings.json");
    writeFileSync(
      file,
      JSON.stringify({ IsEncrypted: false, Values: { ...env(), AKS_PLATFORM_TEAMS_WEBHOOK_URL: "" } }),
    );
    const result = await runCli(["notify", "test", "--settings", file], {
      env: { AKS_PLATFORM_SLACK_WEBHOOK_URL: "" },
    });
    expect(result.stdout).toContain("teams: not configured (AKS_PLATFORM_TEAMS_WEBHOOK_URL is empty)");
    expect(result.stdout).toContain("slack: not configured (AKS_PLATFORM_SLACK_WEBHOOK_URL is empty)");
    expect(result.stderr).toContain("nothing sent");
    expect(result.code).toBe(1);
    expect(sink.requests).toHaveLength(0);
  });

  it("a host off the allow-list fails fast naming the setting, not the URL", async () => {
    const result = await runCli(["notify", "test"], { env: env({ AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS: "" }) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: AKS_PLATFORM_TEAMS_WEBHOOK_URL: entry 1 loopback host ${sink.host} is not listed in AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS`,
    );
    expectNoSecrets(result.stdout + result.stderr);
    expect(sink.requests).toHaveLength(0);
  });

  it("an unknown channel is a usage error", async () => {
    const result = await runCli(["notify", "test", "--channel", "pager"], { env: env() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--channel: no channel named "pager" (known: teams, slack)');
  });
});
