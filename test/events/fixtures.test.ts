import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { classifyDelivery, EventClassifier } from "../../lib/events";
import type { ClassifiedDelivery, DomainEvent } from "../../lib/events";
import { defaultSpec } from "../../lib/spec";

const dir = path.resolve(__dirname, "../fixtures/events");
const classifier = new EventClassifier({ spec: defaultSpec });

async function classifyFixture(name: string): Promise<ClassifiedDelivery> {
  return classifyDelivery(readFileSync(path.join(dir, name), "utf8"), classifier);
}

async function single(name: string): Promise<DomainEvent> {
  const result = await classifyFixture(name);
  if (!result.ok) throw new Error(`${name}: ${result.problem.message}`);
  expect(result.items).toHaveLength(1);
  const [item] = result.items;
  if (!item?.ok) throw new Error(`${name}: ${item?.error}`);
  return item.event;
}

type Expected = Partial<Record<string, unknown>> & { kind: DomainEvent["kind"] };

/** Every fixture that holds one event, with what it must classify as. */
const singles: Record<string, Expected> = {
  "health-annotated-preempted-vmss.eventgrid.json": {
    kind: "spot-eviction",
    schema: "EventGrid",
    cluster: "app1",
    pool: "spotd",
    vmName: "aks-spotd-27182818-vmss_4",
    nodeKind: "vmss-instance",
    severity: "warning",
    occurredAt: "2026-11-20T03:14:07.123Z",
    watchKey: "eviction-k8s-demo-app1-20261120T0300Z",
  },
  "health-annotated-preempted-nap.cloudevents.json": {
    kind: "spot-eviction",
    schema: "CloudEvents",
    cluster: "app2",
    pool: "spot-d",
    vmName: "aks-spot-d-x7k2p",
    nodeKind: "vm",
    // The sample's `"time "` key (trailing space) still yields the envelope time; the payload's own time wins.
    occurredAt: "2026-11-20T03:15:41.500Z",
    watchKey: "eviction-k8s-demo-app2-20261120T0315Z",
  },
  "health-annotated-subject-annotation-id.eventgrid.json": {
    kind: "spot-eviction",
    cluster: "mgmt",
    pool: "spotd",
    resourceId:
      "/subscriptions/3f2e8c1a-5b7d-4e9f-a1c2-9d8e7f6a5b4c/resourceGroups/RG-K8S-DEMO-MGMT-NODES/providers/Microsoft.Compute/virtualMachineScaleSets/aks-spotd-16180339-vmss/virtualMachines/0",
  },
  "health-annotated-deallocation.eventgrid.json": {
    kind: "ignored",
    reason: expect.stringContaining("VirtualMachineDeallocationInitiated"),
  },
  "health-annotated-preempted-foreign.eventgrid.json": {
    kind: "ignored",
    reason: expect.stringContaining("not in a node resource group"),
  },
  "health-availability-unavailable.cloudevents.json": {
    kind: "availability-change",
    cluster: "app2",
    previousState: "Available",
    state: "Unavailable",
    severity: "info",
  },
  "keyvault-secret-new-version.eventgrid.json": {
    kind: "certificate",
    change: "new-version",
    objectType: "Secret",
    objectName: "ingress-tls",
    vaultName: "kv-k8s-demo-01",
    notBefore: "2026-11-20T03:00:00.000Z",
    expiresAt: "2027-02-18T03:00:00.000Z",
    severity: "info",
  },
  "keyvault-secret-near-expiry-strings.eventgrid.json": {
    kind: "certificate",
    change: "near-expiry",
    objectType: "Secret",
    objectName: "ingress-tls",
    vaultName: "kv-k8s-demo-01",
    version: "9a8b7c6d5e4f30211203f4e5d6c7b8a9",
    notBefore: "2026-09-21T00:00:00.000Z",
    expiresAt: "2026-12-20T00:00:00.000Z",
    severity: "warning",
  },
  "keyvault-certificate-expired.cloudevents.json": {
    kind: "certificate",
    change: "expired",
    objectType: "Certificate",
    objectName: "app-k8s-demo-tls",
    expiresAt: "2026-11-20T00:00:00.000Z",
    severity: "critical",
  },
  "keyvault-secret-other-object.eventgrid.json": {
    kind: "ignored",
    reason: expect.stringContaining("not platform TLS material"),
  },
  "keyvault-other-vault.eventgrid.json": {
    kind: "ignored",
    reason: expect.stringContaining("not the platform's vault"),
  },
  "keyvault-key-near-expiry.eventgrid.json": {
    kind: "ignored",
    reason: expect.stringContaining("keys are not TLS material"),
  },
  "aks-new-kubernetes-version.eventgrid.json": {
    kind: "cluster-lifecycle",
    change: "new-kubernetes-version-available",
    cluster: "app1",
    latestStableKubernetesVersion: "1.33.5",
    severity: "info",
  },
  "aks-cluster-support-ending.cloudevents.json": {
    kind: "cluster-lifecycle",
    change: "support-ending",
    cluster: "mgmt",
    kubernetesVersion: "1.31.9",
    severity: "warning",
  },
  "aks-foreign-cluster.eventgrid.json": {
    kind: "ignored",
    reason: expect.stringContaining("aks-data is not part of environment k8s-demo"),
  },
  "monitor-backup-failure-fired.json": {
    kind: "backup-failure",
    schema: "MonitorAlert",
    origin: "monitor-alert",
    condition: "fired",
    cluster: "app1",
    eventType: "AksPlatform.Backup.JobFailed",
    backupInstance: "aks-k8s-demo-app1-aks-k8s-demo-app1-5e6f7a8b",
    jobId: "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f",
    errorCode: "UserErrorSnapshotResourceGroupQuotaExceeded",
    severity: "critical",
  },
  "monitor-backup-failure-resolved.json": {
    kind: "backup-failure",
    condition: "resolved",
    cluster: "app1",
    eventType: "AksPlatform.Backup.JobFailureResolved",
    occurredAt: "2026-11-20T03:05:00.000Z",
    severity: "info",
  },
  "monitor-cpu-alert.json": {
    kind: "ignored",
    eventType: "AksPlatform.Monitor.Alert",
    reason: expect.stringContaining("node-cpu-high"),
  },
  "custom-backup-job-failed.eventgrid.json": {
    kind: "backup-failure",
    origin: "custom-topic",
    condition: "fired",
    cluster: "app2",
    errorCode: "UserErrorExtensionMSIMissingPermissions",
    severity: "warning",
  },
  "unknown-type.eventgrid.json": { kind: "ignored", reason: expect.stringContaining("Microsoft.Storage.BlobCreated") },
};

describe("fixtures classify as documented", () => {
  it.each(Object.entries(singles))("%s", async (name, expected) => {
    const event = await single(name);
    expect(event).toMatchObject(expected);
    expect(event.dedupeKey).toMatch(new RegExp(`^${event.kind}-[0-9a-f]{24}$`));
    expect(event.reason.length).toBeGreaterThan(10);
  });

  it("a subscription validation batch yields its code", async () => {
    const result = await classifyFixture("subscription-validation.eventgrid.json");
    expect(result.ok && result.batch).toBe(true);
    if (!result.ok) return;
    expect(result.items[0]).toMatchObject({
      ok: true,
      event: { kind: "subscription-validation", validationCode: "512d38b6-c7b8-40c8-89fe-f46f9e9622b6" },
    });
  });

  it("a batch of AKS node pool events keeps order and maps cluster and pool", async () => {
    const result = await classifyFixture("aks-nodepool-rolling-batch.eventgrid.json");
    if (!result.ok) throw new Error(result.problem.message);
    const events = result.items.map((i) => (i.ok ? i.event : undefined));
    expect(events.map((e) => (e?.kind === "cluster-lifecycle" ? e.change : e?.kind))).toEqual([
      "node-pool-rolling-started",
      "node-pool-rolling-succeeded",
      "node-pool-rolling-failed",
    ]);
    expect(events.map((e) => e?.severity)).toEqual(["info", "info", "warning"]);
    expect(new Set(events.map((e) => `${e?.cluster}/${e?.pool}`))).toEqual(new Set(["app2/system"]));
  });

  it("a mixed batch keeps the good events and names the bad element", async () => {
    const result = await classifyFixture("mixed-batch.eventgrid.json");
    if (!result.ok) throw new Error(result.problem.message);
    expect(result.items.map((i) => i.ok)).toEqual([true, false, true]);
    expect(result.items[1]).toMatchObject({ index: 1, error: expect.stringContaining("eventType") });
  });

  it.each([
    ["garbage-not-json.json", "not-json"],
    ["garbage-empty-array.json", "empty-batch"],
    ["garbage-scalar.json", "not-events"],
  ])("%s is refused as a whole (%s)", async (name, code) => {
    const result = await classifyFixture(name);
    expect(result).toMatchObject({ ok: false, problem: { code } });
  });

  it.each([
    ["garbage-missing-data.eventgrid.json", "missing required property 'data'"],
    ["garbage-not-an-event.json", "not an event"],
    ["monitor-alert-missing-essentials.json", "data.essentials"],
  ])("%s is an element error naming what is wrong", async (name, text) => {
    const result = await classifyFixture(name);
    if (!result.ok) throw new Error(result.problem.message);
    expect(result.items[0]).toMatchObject({ ok: false, error: expect.stringContaining(text) });
  });

  it("a body over 1 MB is refused before parsing", async () => {
    const event = JSON.parse(readFileSync(path.join(dir, "unknown-type.eventgrid.json"), "utf8")) as Record<
      string,
      unknown
    >;
    const big = JSON.stringify({ ...event, data: { padding: "x".repeat(1024 * 1024) } });
    expect(await classifyDelivery(big, classifier)).toMatchObject({ ok: false, problem: { code: "too-large" } });
    expect(await classifyDelivery(Buffer.from(big), classifier)).toMatchObject({
      ok: false,
      problem: { code: "too-large" },
    });
  });
});
