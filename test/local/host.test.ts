import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalHost, type LocalHost } from "../../local/host";
import { receivedEvents, ticks } from "./fixtures/host-app";

const KEY = "test-function-key";

async function poll<T>(what: string, probe: () => Promise<T | undefined>, attempts = 200): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe("local host (startLocalHost, real HTTP)", () => {
  let host: LocalHost;
  let dir: string;
  const logged: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "host-"));
    const settingsFile = path.join(dir, "local.settings.json");
    writeFileSync(
      settingsFile,
      JSON.stringify({
        IsEncrypted: false,
        Values: { HOST_TEST_TICK_SCHEDULE: "*/1 * * * * *" },
        FunctionKeys: { default: KEY },
      }),
    );
    host = await startLocalHost({
      port: 0,
      loadApp: false,
      settingsFile,
      taskHub: "hosttest",
      log: (level, functionName, message) => logged.push(`${level} ${functionName} ${message}`),
    });
  });

  afterAll(async () => {
    await host?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("serves an anonymous HTTP function with route params and query, and answers 405 for other methods", async () => {
    const ok = await fetch(`${host.url}/api/environments/dev/hello?q=42`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ env: "dev", q: "42" });
    const wrong = await fetch(`${host.url}/api/environments/dev/hello`, { method: "POST" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET");
    expect((await fetch(`${host.url}/api/nowhere`)).status).toBe(404);
    expect((await fetch(`${host.url}/api/broken`)).status).toBe(500);
    expect(logged.some((line) => line.startsWith("error hostBroken Error: deliberately broken"))).toBe(true);
  });

  it("requires a function key for function-level functions (header or code query)", async () => {
    const post = (url: string, headers: Record<string, string> = {}) =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: '{"a":1}' });
    expect((await post(`${host.url}/api/secret`)).status).toBe(401);
    expect((await post(`${host.url}/api/secret`, { "x-functions-key": "wrong" })).status).toBe(401);
    const viaHeader = await post(`${host.url}/api/secret`, { "x-functions-key": KEY });
    expect(viaHeader.status).toBe(201);
    expect(await viaHeader.json()).toEqual({ got: { a: 1 } });
    expect((await post(`${host.url}/api/secret?code=${KEY}`)).status).toBe(201);
  });

  it("completes the Event Grid validation handshake and delivers notifications", async () => {
    const webhook = `${host.url}/runtime/webhooks/eventgrid?functionName=hostEvents&code=${KEY}`;
    const validation = await fetch(webhook, {
      method: "POST",
      headers: { "content-type": "application/json", "aeg-event-type": "SubscriptionValidation" },
      body: JSON.stringify([
        {
          id: "v1",
          topic: "/subscriptions/x",
          subject: "",
          eventType: "Microsoft.EventGrid.SubscriptionValidationEvent",
          eventTime: new Date().toISOString(),
          data: { validationCode: "512d38b6-c7b8-40c8-89fe-f46f9e9622b6" },
          dataVersion: "1",
          metadataVersion: "1",
        },
      ]),
    });
    expect(validation.status).toBe(200);
    expect(await validation.json()).toEqual({ validationResponse: "512d38b6-c7b8-40c8-89fe-f46f9e9622b6" });

    const event = {
      id: "e1",
      subject: "ok",
      eventType: "Test.Event",
      eventTime: new Date().toISOString(),
      data: { n: 1 },
    };
    const notify = (body: unknown) =>
      fetch(webhook, {
        method: "POST",
        headers: { "content-type": "application/json", "aeg-event-type": "Notification" },
        body: JSON.stringify(body),
      });
    expect((await notify([event])).status).toBe(200);
    expect(receivedEvents).toContainEqual(event);
    expect((await notify([{ ...event, id: "e2", subject: "fail" }])).status).toBe(500);
    expect(logged.some((line) => line.includes("handler refused the event"))).toBe(true);
    const noKey = await fetch(webhook.replace(`&code=${KEY}`, ""), { method: "POST", body: "[]" });
    expect(noKey.status).toBe(401);
  });

  it("answers the CloudEvents OPTIONS handshake and delivers CloudEvents", async () => {
    const webhook = `${host.url}/runtime/webhooks/eventgrid?functionName=hostEvents&code=${KEY}`;
    const handshake = await fetch(webhook, {
      method: "OPTIONS",
      headers: { "WebHook-Request-Origin": "eventgrid.azure.net" },
    });
    expect(handshake.status).toBe(200);
    expect(handshake.headers.get("webhook-allowed-origin")).toBe("eventgrid.azure.net");
    const cloudEvent = {
      specversion: "1.0",
      id: "c1",
      source: "/test",
      type: "Test.Cloud",
      subject: "ok",
      data: { n: 2 },
    };
    const delivered = await fetch(webhook, {
      method: "POST",
      headers: { "content-type": "application/cloudevents+json; charset=utf-8" },
      body: JSON.stringify(cloudEvent),
    });
    expect(delivered.status).toBe(200);
    expect(receivedEvents).toContainEqual(cloudEvent);
  });

  it("fires a timer trigger from its NCRONTAB schedule (an app-setting reference)", async () => {
    const tick = await poll("a timer tick", () => Promise.resolve(ticks[0]));
    expect(tick.isPastDue).toBe(false);
    expect(Date.parse(tick.scheduleStatus.next)).toBeGreaterThan(Date.parse(tick.scheduleStatus.lastUpdated));
  });

  it("runs a non-HTTP function on demand through the admin endpoint", async () => {
    const before = ticks.length;
    const admin = `${host.url}/admin/functions/hostTick`;
    expect((await fetch(admin, { method: "POST", body: "{}" })).status).toBe(401);
    const accepted = await fetch(admin, { method: "POST", headers: { "x-functions-key": KEY }, body: '{"input":""}' });
    expect(accepted.status).toBe(202);
    // An on-demand run reports no schedule gap (last = next), unlike the scheduled ticks.
    const onDemand = () => ticks.slice(before).find((t) => t.scheduleStatus.last === t.scheduleStatus.next);
    await poll("the admin-triggered tick", () => Promise.resolve(onDemand()));
    const unknown = await fetch(`${host.url}/admin/functions/hostHello`, {
      method: "POST",
      headers: { "x-functions-key": KEY },
    });
    expect(unknown.status).toBe(404);
  });

  it("starts an orchestration through df.getClient and serves the createCheckStatusResponse URLs", async () => {
    const started = await fetch(`${host.url}/api/orchestrators/hostOrch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ build: "dev" }),
    });
    expect(started.status).toBe(202);
    const links = (await started.json()) as Record<string, string>;
    expect(started.headers.get("location")).toBe(links.statusQueryGetUri);
    expect(links.statusQueryGetUri!.startsWith(`${host.url}/runtime/webhooks/durabletask/instances/${links.id}`)).toBe(
      true,
    );

    const running = await fetch(links.statusQueryGetUri!);
    expect(running.status).toBe(202);
    const raised = await fetch(links.sendEventPostUri!.replace("{eventName}", "go"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ approved: true }),
    });
    expect(raised.status).toBe(202);
    const done = await poll("completion", async () => {
      const response = await fetch(links.statusQueryGetUri!);
      return response.status === 200 ? ((await response.json()) as Record<string, unknown>) : undefined;
    });
    expect(done.runtimeStatus).toBe("Completed");
    expect(done.output).toEqual({ first: { seen: { build: "dev" } }, event: { approved: true } });

    // The SDK's own client (RPC endpoint) sees the same instance.
    const viaClient = await fetch(`${host.url}/api/status/${links.id}`);
    expect(await viaClient.json()).toEqual({ runtimeStatus: "Completed", output: done.output });

    const withoutKey = links.statusQueryGetUri!.replace(/code=[^&]*/, "code=wrong");
    expect((await fetch(withoutKey)).status).toBe(401);
    const purged = await fetch(links.purgeHistoryDeleteUri!, { method: "DELETE" });
    expect(await purged.json()).toEqual({ instancesDeleted: 1 });
    expect((await fetch(links.statusQueryGetUri!)).status).toBe(404);
  });

  it("terminates through the management URL and refuses a duplicate start (409)", async () => {
    const start = (id: string) =>
      fetch(`${host.durableClient.baseUrl}/orchestrators/hostOrch/${id}?code=${host.systemKey}`, {
        method: "POST",
        body: "1",
      });
    expect((await start("dup-1")).status).toBe(202);
    expect((await start("dup-1")).status).toBe(409);
    const terminate = `${host.durableClient.baseUrl}/instances/dup-1/terminate?reason=enough&code=${host.systemKey}`;
    expect((await fetch(terminate, { method: "POST" })).status).toBe(202);
    const status = await host.driver.waitForCompletion("dup-1");
    expect(status.runtimeStatus).toBe("Terminated");
    expect((await fetch(terminate, { method: "POST" })).status).toBe(410);
  });
});
