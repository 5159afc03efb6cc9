import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { BlobServiceClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackupReportStore, DEFAULT_REPORT_CONTAINER, type BackupReport } from "../../lib/backup";
import { Orchestrations } from "../../lib/function-names";
import { startAzurite, type AzuriteHandle } from "../../local/azurite";
import { DurableDriver } from "../../local/durable/driver";
import { loadApp } from "../../local/registry";
import type { BackupVerificationResult } from "../../orchestrations/backup/backupVerification";
import { openInBrowser, browserMissingReason } from "./browser";
import { startBackupFixture, type BackupFixture } from "./helpers";

// OPS-5 end to end: the nightly orchestration through the local durable driver (Azurite), against the sandbox
// ARM; the report lands in blob storage and the summary in a (local) Slack webhook.

let azurite: AzuriteHandle;
let f: BackupFixture;
let driver: DurableDriver;
let hook: Server;
const posts: Array<{ text?: string; blocks?: unknown[] }> = [];

beforeAll(async () => {
  await loadApp();
  azurite = await startAzurite();
  // The orchestration judges ages by its own clock (now): the simulated schedule runs up to a day ago here, and
  // the test runs the last day (with a failure) up to now.
  const now = Date.now();
  f = await startBackupFixture({
    startTime: new Date(now - 4 * 86_400_000).toISOString(),
    endAt: new Date(now - 86_400_000),
  });
  hook = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      posts.push(JSON.parse(body) as { text?: string });
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", () => resolve()));
  const port = (hook.address() as AddressInfo).port;
  Object.assign(process.env, {
    AzureWebJobsStorage: azurite.connectionString,
    AKS_PLATFORM_ARM_ENDPOINT: f.sandbox.url,
    AKS_PLATFORM_ARM_TOKEN: f.sandbox.token,
    AKS_PLATFORM_ARM_CA_FILE: f.sandbox.caPath,
    AKS_PLATFORM_SLACK_WEBHOOK_URL: `http://127.0.0.1:${port}/hook`,
    AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS: `127.0.0.1:${port}`,
  });
  driver = new DurableDriver({ connectionString: azurite.connectionString, clock: { kind: "virtual" } });
  await driver.start();
});

afterAll(async () => {
  await driver?.stop();
  await new Promise<void>((resolve) => (hook ? hook.close(() => resolve()) : resolve()));
  await f?.stop();
  await azurite?.stop();
});

const container = () =>
  BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(DEFAULT_REPORT_CONTAINER);

describe("nightly backup verification orchestration", () => {
  it("verifies in waves, stores JSON + HTML with the trend, and sends one summary naming the problem", async () => {
    // Yesterday's report, for the trend.
    const store = new BackupReportStore(container());
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    const earlier: BackupReport = {
      generatedAt: yesterday,
      environment: f.spec.name,
      vault: { subscriptionId: f.vault.subscriptionId, resourceGroup: f.vault.resourceGroup, name: f.vault.vault },
      policy: { maxAgeHours: 26, retentionDays: 7 },
      instances: [],
      summary: { healthy: 2, unhealthy: 1, byVerdict: { healthy: 2, stale: 1, failed: 0, unprotected: 0, missing: 0 } },
    };
    await store.save(earlier);
    // app1's newest scheduled job failed.
    f.sandbox.state.injectBackupFailures({
      backupInstance: "bi-aks-k8s-demo-app1",
      code: "UserErrorKubernetesBackupFailed",
      message: "velero pod crashed",
    });
    f.sandbox.clock.advance((Date.now() - f.sandbox.clock.now().getTime()) / 1000);

    const id = await driver.startNew(Orchestrations.backupVerification, { input: { spec: f.spec, maxConcurrency: 2 } });
    const status = await driver.waitForCompletion(id, { timeoutMs: 120_000 });
    expect(status.runtimeStatus).toBe("Completed");
    const result = status.output as BackupVerificationResult;
    expect(result.summary.unhealthy).toBeGreaterThanOrEqual(1);
    expect(result.reportLocation).toMatch(
      new RegExp(`/${DEFAULT_REPORT_CONTAINER}/k8s-demo/\\d{4}-\\d{2}-\\d{2}\\.html$`),
    );

    const today = new Date().toISOString().slice(0, 10);
    const stored = await store.load(f.spec.name, today);
    expect(stored?.instances.find((i) => i.cluster === "app1")).toMatchObject({
      verdict: "failed",
      lastJob: { status: "Failed", error: { code: "UserErrorKubernetesBackupFailed", message: "velero pod crashed" } },
    });
    expect(stored?.restoreValidation).toMatchObject({ ok: true });
    const html = (await container().getBlockBlobClient(`k8s-demo/${today}.html`).downloadToBuffer()).toString("utf8");
    expect(html).toContain("velero pod crashed");

    expect(posts).toHaveLength(1);
    const text = JSON.stringify(posts[0]);
    expect(text).toMatch(/Nightly backup check: \d+ problems? in \d+ clusters?/);
    expect(text).toMatch(
      /app1: failed: last backup job .* UserErrorKubernetesBackupFailed: velero pod crashed \[instance bi-aks-k8s-demo-app1, since /,
    );
    expect(text).toMatch(/ops-5-nightly-backup-verification/);
    expect(text).toContain(result.reportLocation!);
  });

  it("the stored HTML page renders in a real browser with the table, the problems and the trend", async (ctx) => {
    const missing = browserMissingReason();
    if (missing) {
      ctx.skip(missing);
      return;
    }
    const today = new Date().toISOString().slice(0, 10);
    const html = (await container().getBlockBlobClient(`k8s-demo/${today}.html`).downloadToBuffer()).toString("utf8");
    const seen = await openInBrowser(html, "backup-report.png");
    expect(seen.rows).toBe(3);
    expect(seen.failedRowText).toContain("velero pod crashed");
    expect(seen.summary).toMatch(/backup instances need attention/);
    expect(seen.trendBars).toBe(2);
    expect(seen.screenshot).toMatch(/test-results\/backup-report\.png$/);
  });
});
