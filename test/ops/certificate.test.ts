import { describe, expect, it } from "vitest";
import type { CertificateEvent } from "../../lib/events";
import { decideCertificateAction } from "../../lib/ops";
import type { CertificateObservation } from "../../lib/ops";

function event(change: CertificateEvent["change"], version: string, expiresAt: string): CertificateEvent {
  return {
    kind: "certificate",
    schema: "EventGrid",
    eventId: `${change}-${version}`,
    eventType: "Microsoft.KeyVault.SecretNearExpiry",
    subject: "ingress-tls",
    source: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-k8s-demo-01",
    change,
    objectType: "Secret",
    vaultName: "kv-k8s-demo-01",
    objectName: "ingress-tls",
    version,
    expiresAt,
    severity: "warning",
    dedupeKey: `certificate-${version}`,
    reason: "test",
  };
}

const now = "2026-11-20T04:00:00Z";
const v1Exp = "2026-12-20T00:00:00.000Z";
const v2Exp = "2027-02-18T00:00:00.000Z";

describe("decideCertificateAction", () => {
  it.each<[string, CertificateEvent, Omit<CertificateObservation, "now"> & { now?: string }, string, string]>([
    [
      "near expiry, nothing newer: renew",
      event("near-expiry", "v1", v1Exp),
      { latestVersion: "v1", latestExpiresAt: v1Exp },
      "renew",
      "warning",
    ],
    ["near expiry, nothing observed: renew", event("near-expiry", "v1", v1Exp), {}, "renew", "warning"],
    [
      "near expiry arriving after renewal, gateway serves the new one: ignore",
      event("near-expiry", "v1", v1Exp),
      { latestVersion: "v2", latestExpiresAt: v2Exp, servedVersion: "V2" },
      "ignore",
      "info",
    ],
    [
      "near expiry arriving after renewal, gateway still old: verify",
      event("near-expiry", "v1", v1Exp),
      { latestVersion: "v2", latestExpiresAt: v2Exp, servedVersion: "v1" },
      "verify-rollout",
      "warning",
    ],
    [
      "near expiry but already past expiry: alert",
      event("near-expiry", "v1", "2026-11-19T00:00:00Z"),
      { latestVersion: "v1" },
      "alert-expired",
      "critical",
    ],
    [
      "expired, nothing newer: alert",
      event("expired", "v1", v1Exp),
      { latestVersion: "v1", latestExpiresAt: v1Exp, now: "2026-12-21T00:00:00Z" },
      "alert-expired",
      "critical",
    ],
    [
      "expired old version, newer valid one served: ignore",
      event("expired", "v1", v1Exp),
      { latestVersion: "v2", latestExpiresAt: v2Exp, servedExpiresAt: v2Exp, now: "2026-12-21T00:00:00Z" },
      "ignore",
      "info",
    ],
    [
      "expired old version, newer valid one not served: verify",
      event("expired", "v1", v1Exp),
      { latestVersion: "v2", latestExpiresAt: v2Exp, servedExpiresAt: v1Exp, now: "2026-12-21T00:00:00Z" },
      "verify-rollout",
      "warning",
    ],
    [
      "expired, the 'newer' one expired too: alert",
      event("expired", "v1", v1Exp),
      { latestVersion: "v2", latestExpiresAt: "2026-12-25T00:00:00Z", now: "2027-01-01T00:00:00Z" },
      "alert-expired",
      "critical",
    ],
    [
      "new version not yet served: verify",
      event("new-version", "v2", v2Exp),
      { latestVersion: "v2", latestExpiresAt: v2Exp, servedVersion: "v1" },
      "verify-rollout",
      "info",
    ],
    [
      "new version already served: ignore",
      event("new-version", "v2", v2Exp),
      { latestVersion: "v2", servedVersion: "v2" },
      "ignore",
      "info",
    ],
    [
      "new version served (by notAfter): ignore",
      event("new-version", "v2", v2Exp),
      { servedExpiresAt: v2Exp },
      "ignore",
      "info",
    ],
    [
      "stale new-version event (a later one exists): ignore",
      event("new-version", "v1", v1Exp),
      { latestVersion: "v2", latestExpiresAt: v2Exp },
      "ignore",
      "info",
    ],
  ])("%s", (_name, e, observed, action, severity) => {
    expect(decideCertificateAction(e, { now, ...observed })).toMatchObject({ action, severity });
  });

  it("decides the same for events delivered in any order", () => {
    const observed = { now, latestVersion: "v2", latestExpiresAt: v2Exp, servedVersion: "v2" };
    const events = [
      event("new-version", "v1", v1Exp),
      event("near-expiry", "v1", v1Exp),
      event("new-version", "v2", v2Exp),
    ];
    const forward = events.map((e) => decideCertificateAction(e, observed).action);
    const backward = [...events]
      .reverse()
      .map((e) => decideCertificateAction(e, observed).action)
      .reverse();
    expect(forward).toEqual(backward);
    expect(forward).toEqual(["ignore", "ignore", "ignore"]);
  });
});
