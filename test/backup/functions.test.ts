import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type AzuriteHandle } from "../../local/azurite";
import { startLocalHost, type LocalHost } from "../../local/host";
import { getRegistry } from "../../local/registry";
import { startNightlyVerifications } from "../../functions/backupVerifyTimer";
import { defaultSpec, type PlatformSpec } from "../../lib/spec";

// The trigger functions as the (local) Functions host runs them: the timer's schedule from the app setting, and
// the restore endpoint's refusals over real HTTP with a function key. Requests that would start a restore are
// covered in restore.test.ts against the sandbox; here nothing reaches ARM.

let azurite: AzuriteHandle;
let host: LocalHost;

beforeAll(async () => {
  azurite = await startAzurite();
  host = await startLocalHost({
    port: 0,
    timers: false,
    functionKeys: { default: "test-key" },
    storageConnectionString: azurite.connectionString,
  });
});
afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
});

const post = (path: string, body?: string, key: string | null = "test-key") =>
  fetch(`${host.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { "x-functions-key": key } : {}) },
    ...(body !== undefined ? { body } : {}),
  });

describe("backup and restore trigger functions", () => {
  it("the nightly timer runs at 03:00 UTC by default (AKS_PLATFORM_BACKUP_VERIFY_SCHEDULE)", () => {
    const timer = getRegistry().get("backupVerifyTimer", "timerTrigger");
    expect(timer.trigger.schedule).toBe("0 0 3 * * *");
    expect(timer.extraInputs.map((b) => b.type)).toContain("durableClient");
  });

  it("the restore endpoint needs a function key and names what is wrong", async () => {
    expect((await post("/api/environments/k8s-demo/clusters/app2/restore", "{}", null)).status).toBe(401);
    const env = await post("/api/environments/prod/clusters/app2/restore", "{}");
    expect([env.status, await env.json()]).toEqual([
      404,
      { error: "unknown environment prod (known: k8s-demo)", environments: ["k8s-demo"] },
    ]);
    const cluster = await post("/api/environments/k8s-demo/clusters/app7/restore");
    expect([cluster.status, await cluster.json()]).toEqual([
      404,
      { error: "environment k8s-demo has no cluster app7 (clusters: mgmt, app1, app2)" },
    ]);
    const body = await post("/api/environments/k8s-demo/clusters/app2/restore", '{"recoveryPoint": "x"}');
    expect(body.status).toBe(400);
    expect(((await body.json()) as { error: string }).error).toMatch(/Unrecognized key: "recoveryPoint"/);
    const method = await fetch(`${host.url}/api/environments/k8s-demo/clusters/app2/restore`, {
      headers: { "x-functions-key": "test-key" },
    });
    expect(method.status).toBe(405);
  });

  it("the restore cancel endpoint: a function key, a known environment, POST only, 409 when no restore runs", async () => {
    const url = "/api/environments/k8s-demo/clusters/app2/restore/cancel";
    expect((await post(url, undefined, null)).status).toBe(401);
    const env = await post("/api/environments/prod/clusters/app2/restore/cancel");
    expect([env.status, await env.json()]).toEqual([
      404,
      { error: "unknown environment prod (known: k8s-demo)", environments: ["k8s-demo"] },
    ]);
    const idle = await post(url);
    expect([idle.status, await idle.json()]).toEqual([
      409,
      { error: "no restore of cluster app2 in environment k8s-demo is running", runtimeStatus: "none" },
    ]);
    const method = await fetch(`${host.url}${url}`, { headers: { "x-functions-key": "test-key" } });
    expect([method.status, method.headers.get("allow")]).toEqual([405, "POST"]);
  });

  it("the nightly timer checks each start input against the verification's contract: a bad one is not started, the others are", async () => {
    // An environment whose stored spec does not fit (here a wrong location type) must not enter the task hub as a
    // verification that fails on its first replay (before: started with whatever the timer had).
    const broken = { ...defaultSpec, name: "lab", location: 42 } as unknown as PlatformSpec;
    const started: [string, unknown][] = [];
    const lines = await startNightlyVerifications(
      [broken, defaultSpec],
      new Date("2026-12-07T03:00:00Z"),
      () => Promise.resolve(undefined),
      (instanceId, input) => {
        started.push([instanceId, input]);
        return Promise.resolve();
      },
    );
    expect(started).toEqual([["backup-verify:k8s-demo:2026-12-07", { spec: defaultSpec }]]);
    expect(lines[0]).toMatch(
      /^backup verification backup-verify:lab:2026-12-07 not started: start of backupVerification backup-verify:lab:2026-12-07: input does not match its contract: spec\.location: /,
    );
    expect(lines[1]).toBe("started backup verification backup-verify:k8s-demo:2026-12-07");
  });
});
