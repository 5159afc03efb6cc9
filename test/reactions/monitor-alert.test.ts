import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Orchestrations } from "../../lib/function-names";
import { startLocalHost, type LocalHost } from "../../local/host";
import { spec, SUBSCRIPTION } from "./helpers";
import { startReactionsHarness, type ReactionsHarness } from "./harness";

// The Azure Monitor bridge: an action-group webhook (common alert schema) → monitorAlert normalizes it and
// publishes with EventGridPublisherClient to the custom topic (here a local stand-in that checks the topic key
// and pushes to the host's Event Grid webhook, as the topic's subscription would) → eventgridCustom → reaction.

const KEY = "monitor-alert-key";
const TOPIC_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${spec.commonResourceGroup}/providers/Microsoft.EventGrid/topics/evgt-aks-platform`;
const TOPIC_KEY = "topic-key-123";
let h: ReactionsHarness;
let host: LocalHost;
let topic: Server;
let dir: string;
const published: { key: string | undefined; body: unknown[] }[] = [];

beforeAll(async () => {
  h = await startReactionsHarness([]);
  topic = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const events = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>[];
      const key = req.headers["aeg-sas-key"];
      published.push({ key: Array.isArray(key) ? key[0] : key, body: events });
      // What the Event Grid service adds to each event before delivering it to subscribers.
      const body = JSON.stringify(events.map((e) => ({ ...e, topic: TOPIC_ID, metadataVersion: "1" })));
      if (key !== TOPIC_KEY) {
        res.writeHead(401).end();
        return;
      }
      void fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=eventgridCustom`, {
        method: "POST",
        headers: { "content-type": "application/json", "aeg-event-type": "Notification", "x-functions-key": KEY },
        body,
      }).then(
        async (r) => res.writeHead(r.status).end(await r.text()),
        () => res.writeHead(502).end(),
      );
    });
  });
  await new Promise<void>((resolve) => topic.listen(0, "127.0.0.1", resolve));
  dir = mkdtempSync(path.join(tmpdir(), "monitor-alert-"));
  const settingsFile = path.join(dir, "local.settings.json");
  writeFileSync(
    settingsFile,
    JSON.stringify({
      IsEncrypted: false,
      Values: {
        AKS_PLATFORM_EVENTGRID_TOPIC_ENDPOINT: `http://127.0.0.1:${(topic.address() as AddressInfo).port}/api/events`,
        AKS_PLATFORM_EVENTGRID_TOPIC_KEY: TOPIC_KEY,
      },
      FunctionKeys: { default: KEY },
    }),
  );
  host = await startLocalHost({
    port: 0,
    settingsFile,
    timers: false,
    taskHub: "monitoralert",
    storageConnectionString: h.azurite.connectionString,
    log: () => undefined,
  });
});

afterAll(async () => {
  await host?.stop();
  topic?.closeAllConnections();
  await new Promise((resolve) => topic?.close(resolve));
  await h?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const vaultId = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${spec.commonResourceGroup}/providers/Microsoft.DataProtection/backupVaults/${spec.shared.backupVault.name}`;
const alert = {
  schemaId: "azureMonitorCommonAlertSchema",
  data: {
    essentials: {
      alertId: `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.AlertsManagement/alerts/abc-123`,
      alertRule: "Backup Failure",
      severity: "Sev1",
      signalType: "Log",
      monitorCondition: "Fired",
      monitoringService: "Azure Backup",
      alertTargetIDs: [vaultId],
      firedDateTime: "2026-11-24T02:15:00Z",
      description: "Backup job failed",
    },
    alertContext: {
      properties: {
        backupInstanceName: `bi-${spec.clusters[2]!.aksName}`,
        errorCode: "UserErrorX",
        errorMessage: "extension unhealthy",
      },
    },
  },
};

const postAlert = (body: unknown, key: string | null = KEY) =>
  fetch(`${host.url}/api/alerts/monitor`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { "x-functions-key": key } : {}) },
    body: JSON.stringify(body),
  });

describe("Azure Monitor alert bridge", () => {
  it("publishes a backup failure alert to the custom topic, whose delivery starts the backup reaction", async () => {
    const response = await postAlert(alert);
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ published: "AksPlatform.Backup.JobFailed", backupFailure: true });
    expect(published).toHaveLength(1);
    expect(published[0]!.key).toBe(TOPIC_KEY);
    expect(published[0]!.body[0]).toMatchObject({
      eventType: "AksPlatform.Backup.JobFailed",
      data: { backupInstance: `bi-${spec.clusters[2]!.aksName}` },
    });
    const reactions = (await host.driver.list({})).filter((s) => s.name === Orchestrations.backupFailureReaction);
    expect(reactions.map((r) => r.instanceId)).toEqual([expect.stringMatching(/^backup-[0-9a-f]{24}-20261124$/)]);
    // What the reaction then does is covered by certificate-backup.test.ts (its activities are not loaded here).
  });

  it("rejects what is not a common alert with 400, and calls without the function key with 401", async () => {
    const bad = await postAlert({ schemaId: "something-else" });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain("not an Azure Monitor common alert");
    expect((await postAlert(alert, null)).status).toBe(401);
    expect(published).toHaveLength(1);
  });
});
