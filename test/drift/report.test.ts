import { describe, expect, it } from "vitest";
import {
  buildDriftReport,
  driftScope,
  historyCleanup,
  ownerUnit,
  renderDriftText,
  resourceEventVerdict,
  unitsDueInTick,
  type WhatIfResourceChange,
} from "../../lib/drift";
import type { EventEnvelope } from "../../lib/events/types";
import { defaultSpec } from "../../lib/spec";

const RG = "/subscriptions/s/resourceGroups/rg-k8s-demo-common/providers";
const NSG = `${RG}/Microsoft.Network/networkSecurityGroups/nsg-k8s-demo-app1`;
const KV = `${RG}/Microsoft.KeyVault/vaults/kv-k8s-demo`;
const AKS =
  "/subscriptions/s/resourceGroups/rg-k8s-demo-app1/providers/Microsoft.ContainerService/managedClusters/aks-k8s-demo-app1";

function report(changes: WhatIfResourceChange[]) {
  return buildDriftReport({
    environment: "k8s-demo",
    checkedAt: "2026-12-07T06:00:00.000Z",
    trigger: "sweep",
    checks: [{ unit: "k8s-demo-network", result: { ok: true, changes } }],
  });
}

describe("drift report", () => {
  it("drops read-only, server-defaulted, AKS-managed and known false-positive changes, and counts them", () => {
    const r = report([
      {
        resourceId: AKS,
        changeType: "Modify",
        delta: [
          { path: "properties.provisioningState", propertyChangeType: "Delete", before: "Succeeded" },
          {
            path: "properties.currentKubernetesVersion",
            propertyChangeType: "Modify",
            before: "1.33.2",
            after: "1.33.1",
          },
          {
            path: "properties.agentPoolProfiles",
            propertyChangeType: "Array",
            children: [
              {
                path: "0",
                propertyChangeType: "Modify",
                children: [{ path: "nodeImageVersion", propertyChangeType: "Modify", before: "a", after: "b" }],
              },
            ],
          },
          { path: "properties.supportPlan", propertyChangeType: "Delete", before: "KubernetesOfficial" },
          {
            path: "location",
            propertyChangeType: "Modify",
            before: "Korea Central".replace(" ", ""),
            after: "koreacentral",
          },
          { path: "properties.dnsPrefix", propertyChangeType: "Modify", before: "x", after: "[reference('x').dns]" },
          { path: "properties.enableRBAC", propertyChangeType: "NoEffect", before: true, after: true },
        ],
      },
      { resourceId: NSG, changeType: "NoChange", delta: [] },
      { resourceId: `${RG}/Microsoft.Network/virtualNetworks/other`, changeType: "Ignore", delta: [] },
    ]);
    expect(r.findings).toEqual([]);
    expect(r.severity).toBe("none");
    expect(r.suppressed).toMatchObject({
      "read-only property": 1,
      "AKS-managed field": 2,
      "server-defaulted property": 1,
      "case only": 1,
      "unevaluated expression": 1,
      "no effect": 1,
      "resource Ignore": 1,
    });
  });

  it("rates security-relevant changes high, others medium, tags low, and names each path now → spec", () => {
    const r = report([
      {
        resourceId: KV,
        changeType: "Modify",
        delta: [
          { path: "properties.enablePurgeProtection", propertyChangeType: "Modify", before: false, after: true },
          { path: "tags.owner", propertyChangeType: "Create", after: "platform" },
        ],
      },
      {
        resourceId: AKS,
        changeType: "Modify",
        delta: [
          {
            path: "properties.agentPoolProfiles",
            propertyChangeType: "Array",
            children: [
              {
                path: "0",
                propertyChangeType: "Modify",
                children: [{ path: "count", propertyChangeType: "Modify", before: 5, after: 2 }],
              },
            ],
          },
        ],
      },
      { resourceId: `${RG}/Microsoft.Insights/diagnosticSettings/diag`, changeType: "Create", delta: [] },
    ]);
    expect(r.severity).toBe("high");
    const kv = r.findings.find((f) => f.resourceId === KV)!;
    expect(kv.changes.map((c) => [c.path, c.severity, c.text])).toEqual([
      ["properties.enablePurgeProtection", "high", "properties.enablePurgeProtection: false → spec true"],
      ["tags.owner", "low", 'tags.owner: "platform" is in the spec but missing in Azure'],
    ]);
    const pool = r.findings.find((f) => f.resourceId === AKS)!;
    expect(pool.changes).toMatchObject([
      { path: "properties.agentPoolProfiles[0].count", severity: "medium", now: 5, spec: 2 },
    ]);
    expect(r.findings.find((f) => f.kind === "missing")?.severity).toBe("medium");
    expect(renderDriftText(r)).toContain("HIGH  Microsoft.KeyVault/vaults kv-k8s-demo  (unit k8s-demo-network)");
  });

  it("lists units that could not be checked instead of calling them clean", () => {
    const r = buildDriftReport({
      environment: "k8s-demo",
      checkedAt: "2026-12-07T06:00:00.000Z",
      trigger: "manual",
      checks: [{ unit: "k8s-demo-shared", result: { ok: false, message: "not deployed yet" } }],
    });
    expect(r.errors).toEqual([{ unit: "k8s-demo-shared", message: "not deployed yet" }]);
    expect(renderDriftText(r)).toContain("not checked: k8s-demo-shared: not deployed yet");
  });
});

describe("drift scope and Resources events", () => {
  const scope = driftScope(defaultSpec);
  const scopes = [scope];
  const event = (
    claims: Record<string, string>,
    resourceUri = NSG,
    type = "Microsoft.Resources.ResourceWriteSuccess",
  ): EventEnvelope => ({
    schema: "EventGrid",
    id: "e1",
    type,
    subject: resourceUri,
    source: "/subscriptions/s",
    data: { resourceUri, claims },
  });

  it("owns a resource and its children by the unit whose template holds it", () => {
    expect(ownerUnit(scope, NSG)).toBe("k8s-demo-network-app1");
    expect(ownerUnit(scope, `${NSG}/securityRules/allow-ssh`)).toBe("k8s-demo-network-app1");
    expect(ownerUnit(scope, `${RG}/Microsoft.Network/networkSecurityGroups/someone-elses`)).toBeUndefined();
  });

  it("ignores the app's own writes and other groups; anyone else's write makes the unit suspect", () => {
    const oid = "http://schemas.microsoft.com/identity/claims/objectidentifier";
    expect(resourceEventVerdict(event({ [oid]: "AAAA" }), scopes, ["aaaa"])).toMatchObject({ kind: "ignored" });
    expect(resourceEventVerdict(event({ [oid]: "bbbb" }), scopes, ["aaaa"])).toMatchObject({
      kind: "suspect",
      unit: "k8s-demo-network-app1",
      callerObjectId: "bbbb",
    });
    expect(resourceEventVerdict(event({}), scopes, ["aaaa"])).toMatchObject({ kind: "suspect" });
    expect(
      resourceEventVerdict(
        event({ [oid]: "bbbb" }, "/subscriptions/s/resourceGroups/elsewhere/providers/A/b/c"),
        scopes,
        [],
      ),
    ).toMatchObject({ kind: "ignored" });
    expect(
      resourceEventVerdict(event({ [oid]: "bbbb" }, `${RG}/Microsoft.Authorization/roleAssignments/x`), scopes, []),
    ).toMatchObject({ kind: "unmanaged" });
    expect(resourceEventVerdict(event({}, NSG, "Microsoft.Storage.BlobCreated"), scopes, [])).toMatchObject({
      kind: "ignored",
    });
  });
});

describe("sweep spreading", () => {
  it("checks every unit exactly once per interval, at most a few per tick", () => {
    const units = Array.from({ length: 20 }, (_, i) => `u${i}`);
    const seen = new Map<string, number>();
    let most = 0;
    const start = Date.parse("2026-12-07T00:00:00Z");
    for (let t = start + 600_000; t <= start + 6 * 3_600_000; t += 600_000) {
      const due = unitsDueInTick(units, 6, t, 10);
      most = Math.max(most, due.length);
      for (const u of due) seen.set(u, (seen.get(u) ?? 0) + 1);
    }
    expect([...seen.values()]).toEqual(units.map(() => 1));
    expect(most).toBeLessThanOrEqual(1);
  });
});

describe("deployment history clean-up", () => {
  it("removes only the app's own superseded, finished records", () => {
    const tag = "aks-platform-input-digest";
    const records = [
      { name: "k8s-demo-network", provisioningState: "Succeeded", tags: { [tag]: "x" } },
      { name: "k8s-demo-aks-old", provisioningState: "Succeeded", tags: { [tag]: "y" } },
      { name: "k8s-demo-aks-running", provisioningState: "Running", tags: { [tag]: "z" } },
      { name: "someone-elses", provisioningState: "Succeeded" },
    ];
    const plan = historyCleanup(records, new Set(["k8s-demo-network"]), tag);
    expect(plan.remove).toEqual(["k8s-demo-aks-old"]);
    expect(plan.others).toBe(1);
    expect(plan.warning).toBeUndefined();
    const crowded = Array.from({ length: 650 }, (_, i) => ({ name: `other-${i}`, provisioningState: "Succeeded" }));
    expect(historyCleanup(crowded, new Set(), tag)).toMatchObject({ remove: [], others: 650 });
    expect(historyCleanup(crowded, new Set(), tag).warning).toContain("650 deployment records remain");
  });
});
