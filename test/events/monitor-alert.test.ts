import { once } from "node:events";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { AzureKeyCredential, EventGridPublisherClient } from "@azure/eventgrid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classifyDelivery, CUSTOM_EVENT_TYPES, EventClassifier, normalizeMonitorAlert } from "../../lib/events";
import { defaultSpec } from "../../lib/spec";

const dir = path.resolve(__dirname, "../fixtures/events");
const fixture = (name: string): unknown => JSON.parse(readFileSync(path.join(dir, name), "utf8"));

describe("normalizeMonitorAlert", () => {
  it("turns a Backup Failure alert into the custom-topic JobFailed event", () => {
    const result = normalizeMonitorAlert(fixture("monitor-backup-failure-fired.json"));
    expect(result).toMatchObject({
      ok: true,
      isBackupFailure: true,
      event: {
        eventType: CUSTOM_EVENT_TYPES.backupJobFailed,
        dataVersion: "1.0",
        eventTime: new Date("2026-11-20T02:41:17.000Z"),
        data: {
          origin: "azure-monitor-alert",
          monitorCondition: "Fired",
          alertRule: "Backup Failure",
          alertSeverity: "Sev1",
          backupInstance: "aks-k8s-demo-app1-aks-k8s-demo-app1-5e6f7a8b",
          errorCode: "UserErrorSnapshotResourceGroupQuotaExceeded",
        },
      },
    });
  });

  it("gives a re-posted alert the same id, and its resolution another", () => {
    const a = normalizeMonitorAlert(fixture("monitor-backup-failure-fired.json"));
    const b = normalizeMonitorAlert(fixture("monitor-backup-failure-fired.json"));
    const resolved = normalizeMonitorAlert(fixture("monitor-backup-failure-resolved.json"));
    expect(a.ok && b.ok && a.event.id).toBe(b.ok && b.event.id);
    expect(resolved.ok && resolved.event.eventType).toBe(CUSTOM_EVENT_TYPES.backupJobFailureResolved);
    expect(resolved.ok && resolved.event.id).not.toBe(a.ok && a.event.id);
  });

  it("keeps other alerts as generic Monitor alerts", () => {
    const result = normalizeMonitorAlert(fixture("monitor-cpu-alert.json"));
    expect(result).toMatchObject({
      ok: true,
      isBackupFailure: false,
      event: { eventType: CUSTOM_EVENT_TYPES.monitorAlert },
    });
  });

  it.each([
    [
      {
        schemaId: "azureMonitorCommonAlertSchema",
        data: { essentials: { alertId: "a", monitorCondition: "Sleeping" } },
      },
      "data.essentials.monitorCondition",
    ],
    [{ schemaId: "Microsoft.Insights/activityLogs", data: {} }, "schemaId"],
    [null, "(root)"],
  ])("names what is wrong in %j", (payload, text) => {
    const result = normalizeMonitorAlert(payload);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(text);
  });
});

describe("bridge round trip through the real Event Grid publisher client", () => {
  const received: string[] = [];
  let server: http.Server;
  let endpoint: string;

  beforeAll(async () => {
    // Stands in for the custom topic endpoint: records what the SDK sends.
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        received.push(body);
        res.writeHead(200).end();
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/events`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("publishes the normalized alert and classifies the delivered event as a backup failure of app1", async () => {
    const normalized = normalizeMonitorAlert(fixture("monitor-backup-failure-fired.json"));
    if (!normalized.ok) throw new Error(normalized.error);
    const client = new EventGridPublisherClient(endpoint, "EventGrid", new AzureKeyCredential("test-key"), {
      allowInsecureConnection: true,
      retryOptions: { maxRetries: 0 },
    });
    await client.send([normalized.event]);
    expect(received).toHaveLength(1);
    // Event Grid adds topic and metadataVersion when it delivers to a subscriber.
    const sent = JSON.parse(received[0]!) as Record<string, unknown>[];
    const delivered = sent.map((e) => ({
      ...e,
      topic: "/subscriptions/s/resourceGroups/rg-k8s-demo-common/providers/Microsoft.EventGrid/topics/ops",
      metadataVersion: "1",
    }));
    const result = await classifyDelivery(JSON.stringify(delivered), new EventClassifier({ spec: defaultSpec }));
    if (!result.ok) throw new Error(result.problem.message);
    expect(result.items[0]).toMatchObject({
      ok: true,
      event: {
        kind: "backup-failure",
        origin: "custom-topic",
        condition: "fired",
        cluster: "app1",
        severity: "critical",
        eventId: normalized.event.id,
      },
    });
    // Received directly from the action group or through the custom topic: the same alert dedupes to one key.
    const direct = await classifyDelivery(
      readFileSync(path.join(dir, "monitor-backup-failure-fired.json"), "utf8"),
      new EventClassifier({ spec: defaultSpec }),
    );
    const bridged = result.items[0];
    expect(direct.ok && direct.items[0]?.ok && direct.items[0].event.dedupeKey).toBe(
      bridged?.ok && bridged.event.dedupeKey,
    );
  });
});
