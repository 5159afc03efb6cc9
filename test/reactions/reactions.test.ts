import { describe, expect, it } from "vitest";
import { EventClassifier, type CertificateEvent, type DomainEvent } from "../../lib/events";
import { Orchestrations } from "../../lib/function-names";
import {
  backupReactionId,
  certificateEventFromScan,
  expiryState,
  leafCertificate,
  observeSpotRecovery,
  parseJsonDocuments,
  reactionFor,
  spotRecoveryCommand,
  type BackupReactionInput,
  type EvictionWatchInput,
} from "../../lib/ops/reactions";
import { evictionEvent, lifecycleEvent, makeCertificatePem, spec, SUBSCRIPTION } from "./helpers";

const classifier = new EventClassifier({ spec });
const classify = (raw: {
  id: string;
  eventType: string;
  subject: string;
  eventTime: string;
  data: unknown;
  topic: string;
}) =>
  classifier.classify({
    schema: "EventGrid",
    id: raw.id,
    type: raw.eventType,
    subject: raw.subject,
    source: raw.topic,
    time: raw.eventTime,
    data: raw.data,
  });

describe("reactionFor", () => {
  it("maps evictions of one cluster and window to one watch id, and other clusters to another", () => {
    const a = reactionFor(classify(evictionEvent("mgmt", "aks-spot-aaaaa", "2026-11-24T05:01:00Z")), { spec });
    const b = reactionFor(classify(evictionEvent("mgmt", "aks-spot-bbbbb", "2026-11-24T05:03:00Z")), { spec });
    const c = reactionFor(classify(evictionEvent("app1", "aks-spot-ccccc", "2026-11-24T05:02:00Z")), { spec });
    expect(a.type).toBe("eviction-watch");
    expect(a.type === "eviction-watch" && b.type === "eviction-watch" && a.instanceId === b.instanceId).toBe(true);
    expect(c.type === "eviction-watch" && a.type === "eviction-watch" && c.instanceId !== a.instanceId).toBe(true);
    const input = (a as { input: EvictionWatchInput }).input;
    expect(input).toMatchObject({
      cluster: "mgmt",
      subscriptionId: SUBSCRIPTION,
      resourceGroup: spec.clusters[0]!.resourceGroup,
      aksName: spec.clusters[0]!.aksName,
      spotPool: "spot",
      collectMinutes: 5,
    });
    expect(input.policy.spotZones).toEqual(["1", "2", "3"]);
  });

  it("starts one lifecycle notice per event id and ignores what needs no reaction", () => {
    const lifecycle = reactionFor(classify(lifecycleEvent("app2", "evt-1")), { spec });
    expect(lifecycle).toMatchObject({ type: "start", orchestration: Orchestrations.lifecycleNotice });
    const again = reactionFor(classify(lifecycleEvent("app2", "evt-1")), { spec });
    expect(again.type === "start" && lifecycle.type === "start" && again.instanceId === lifecycle.instanceId).toBe(
      true,
    );
    const garbage = classifier.classify({
      schema: "EventGrid",
      id: "x",
      type: "Contoso.Nope",
      subject: "",
      source: "",
      data: null,
    });
    expect(reactionFor(garbage, { spec })).toMatchObject({ type: "none" });
  });

  it("gives a backup instance one reaction per UTC day, and none for a resolved alert", () => {
    const failure = (firedAt: string, alertId: string, condition: "fired" | "resolved" = "fired"): DomainEvent => ({
      kind: "backup-failure",
      schema: "EventGrid",
      eventId: alertId,
      eventType: "AksPlatform.Backup.JobFailed",
      subject: "x",
      source: "y",
      occurredAt: firedAt,
      cluster: "app1",
      resourceId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v`,
      condition,
      origin: "custom-topic",
      alertId,
      severity: "warning",
      dedupeKey: `backup-failure-${alertId}`,
      reason: "backup job failed",
    });
    const morning = reactionFor(failure("2026-11-24T02:10:00Z", "a1"), { spec });
    const evening = reactionFor(failure("2026-11-24T22:10:00Z", "a2"), { spec });
    const tomorrow = reactionFor(failure("2026-11-25T02:10:00Z", "a3"), { spec });
    expect(morning).toMatchObject({ type: "start", orchestration: Orchestrations.backupFailureReaction });
    const id = (r: typeof morning) => (r.type === "start" ? r.instanceId : "");
    expect(id(morning)).toBe(id(evening));
    expect(id(tomorrow)).not.toBe(id(morning));
    expect(id(morning)).toBe(backupReactionId(spec.name, "bi-" + spec.clusters[1]!.aksName, "20261124"));
    const input = (morning as { input: BackupReactionInput }).input;
    expect(input.vault).toEqual({ resourceGroup: spec.commonResourceGroup, vault: spec.shared.backupVault.name });
    expect(reactionFor(failure("2026-11-24T03:00:00Z", "a1", "resolved"), { spec })).toMatchObject({ type: "none" });
  });
});

describe("Spot recovery observation from run command output", () => {
  const nodes = (ready: boolean[]) => ({
    kind: "List",
    items: ready.map((r, i) => ({
      metadata: { name: `aks-spot-${i}`, labels: { "karpenter.sh/nodepool": "spot" } },
      status: { conditions: [{ type: "Ready", status: r ? "True" : "False" }] },
    })),
  });
  const pods = (n: number) => ({
    kind: "List",
    items: Array.from({ length: n }, (_, i) => ({ metadata: { name: `p${i}` }, status: { phase: "Pending" } })),
  });

  it("splits the concatenated JSON of `a -o json && b -o json`, strings with braces included", () => {
    const tricky = { a: "}{", b: [1, { c: 'say "}" \\ {' }] };
    const text = `${JSON.stringify(tricky, null, 2)}\n${JSON.stringify([1, 2])}`;
    expect(parseJsonDocuments(text)).toEqual([tricky, [1, 2]]);
    expect(() => parseJsonDocuments('{"a": 1')).toThrow(/truncated/);
  });

  it("counts Ready Spot nodes and Pending pods, and reads zones without capacity from Karpenter events", () => {
    const logs = `${JSON.stringify(nodes([true, false]), null, 2)}\n${JSON.stringify(pods(3), null, 2)}\n`;
    const events = JSON.stringify({
      items: [
        {
          reason: "InsufficientCapacityError",
          message: "launching nodeclaim: no Spot capacity in zone koreacentral-2",
          lastTimestamp: "2026-11-24T05:03:00Z",
        },
        {
          reason: "InsufficientCapacityError",
          message: "insufficient capacity, zones: 3",
          lastTimestamp: "2026-11-24T05:04:00Z",
        },
        {
          reason: "InsufficientCapacityError",
          message: "zone koreacentral-1 (an earlier storm)",
          lastTimestamp: "2026-11-24T04:00:00Z",
        },
      ],
    });
    expect(observeSpotRecovery(logs, events, "2026-11-24T05:00:00Z")).toEqual({
      spotNodes: 2,
      readyNodes: 1,
      nodesReady: false,
      pendingPods: 3,
      zonesWithoutCapacity: ["2", "3"],
      capacityKnown: true,
    });
    const healthy = observeSpotRecovery(
      `${JSON.stringify(nodes([true]))}${JSON.stringify(pods(0))}`,
      undefined,
      "2026-11-24T05:00:00Z",
    );
    expect(healthy).toMatchObject({ nodesReady: true, pendingPods: 0, zonesWithoutCapacity: [], capacityKnown: false });
    expect(() => observeSpotRecovery("error: forbidden", undefined, "")).toThrow(
      /nodes: the kubectl output has no items list/,
    );
    expect(spotRecoveryCommand("spot")).toContain("karpenter.sh/nodepool=spot");
  });
});

describe("TLS certificates", () => {
  const now = new Date("2026-11-24T06:00:00Z");
  const day = 86_400_000;

  it("reads serial and validity of the leaf of a PEM chain generated with node-forge", () => {
    const leaf = makeCertificatePem({
      cn: "app.k8s-demo.example.com",
      notBefore: new Date(now.getTime() - 60 * day),
      notAfter: new Date(now.getTime() + 20 * day),
      serial: "01ab",
    });
    const issuer = makeCertificatePem({ cn: "issuer", notBefore: now, notAfter: new Date(now.getTime() + 900 * day) });
    const facts = leafCertificate(`${leaf}\n${issuer}`, "secret ingress-tls-crt");
    expect(facts.serialNumber).toBe("01AB");
    expect(facts.subject).toContain("CN=app.k8s-demo.example.com");
    expect(Date.parse(facts.notAfter)).toBe(Math.floor((now.getTime() + 20 * day) / 1000) * 1000);
    expect(expiryState(facts.notAfter, now)).toBe("near-expiry");
    expect(expiryState(facts.notAfter, new Date(now.getTime() + 21 * day))).toBe("expired");
    expect(expiryState(facts.notAfter, new Date(now.getTime() - 30 * day))).toBe("valid");
    expect(() => leafCertificate("no pem here", "secret x")).toThrow("secret x: no PEM certificate found");
    expect(() => leafCertificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "secret y")).toThrow(
      /secret y: the certificate does not parse/,
    );
  });

  it("turns a scan finding into a certificate event with one reaction per version", () => {
    const finding = {
      vaultName: spec.shared.keyVault.name,
      objectName: "ingress-tls-crt",
      version: "v1",
      notBefore: "2026-09-01T00:00:00.000Z",
      notAfter: "2026-12-10T00:00:00.000Z",
      change: "near-expiry" as const,
    };
    const a = certificateEventFromScan({ ...finding, now });
    const b = certificateEventFromScan({ ...finding, now: new Date(now.getTime() + day) });
    expect(a.dedupeKey).toBe(b.dedupeKey);
    expect(a.dedupeKey).toMatch(/^certificate-[0-9a-f]{24}$/);
    expect(certificateEventFromScan({ ...finding, version: "v2", now }).dedupeKey).not.toBe(a.dedupeKey);
    const reaction = reactionFor(a satisfies CertificateEvent, { spec });
    expect(reaction).toMatchObject({
      type: "start",
      orchestration: Orchestrations.certificateReaction,
      instanceId: a.dedupeKey,
    });
    const clusters = (reaction as { input: { clusters: { cluster: string }[] } }).input.clusters.map((c) => c.cluster);
    expect(clusters).toEqual(spec.clusters.filter((c) => c.addons.istioIngressGateway).map((c) => c.name));
  });
});
