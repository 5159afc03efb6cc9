import { describe, expect, it } from "vitest";
import type { TeardownResult } from "../../lib/api/clusters";
import { notifyMessageSchema } from "../../lib/notify";
import { buildDeploymentUnits } from "../../lib/plan/units";
import { defaultSpec } from "../../lib/spec";
import { teardownMessage } from "../../orchestrations/teardown/activities/notifyTeardownResult";
import {
  apiVersionsOf,
  principalIdsIn,
  teardownTargets,
} from "../../orchestrations/teardown/activities/planClusterTeardown";

/** What a teardown plans to delete and forget, and the message it sends, without ARM. */

const spec = defaultSpec;
const units = buildDeploymentUnits(spec);

describe("teardown targets", () => {
  it("app2: its peerings both ways (one VNet at a time), its backup instance, its group; its units and the peering units touching its VNet to forget", async () => {
    const t = teardownTargets(spec, "app2", units, await apiVersionsOf(units));
    expect(t.peerings.map((p) => p.what).sort()).toEqual(
      [
        "peering peer-to-vnet-k8s-demo-app2 of vnet-k8s-demo-mgmt",
        "peering peer-to-vnet-k8s-demo-app2 of vnet-k8s-demo-app1",
        "peering peer-to-vnet-k8s-demo-mgmt of vnet-k8s-demo-app2",
        "peering peer-to-vnet-k8s-demo-app1 of vnet-k8s-demo-app2",
      ].sort(),
    );
    // The two peerings of app2's own VNet share a lock; the others' each their own VNet's.
    expect(new Set(t.peerings.map((p) => p.lock)).size).toBe(3);
    expect(t.peerings.every((p) => p.apiVersion === "2025-05-01")).toBe(true);
    expect(t.backupInstance.id).toMatch(/backupVaults\/[^/]+\/backupInstances\/bi-aks-k8s-demo-app2$/);
    expect(t.resourceGroup.id).toBe(`/subscriptions/${spec.subscriptionId}/resourceGroups/rg-k8s-demo-app2`);
    expect(t.deployments.map((d) => d.name).sort()).toEqual(
      [
        ...units.filter((u) => u.cluster === "app2" && u.name !== "k8s-demo-network-app2").map((u) => u.name),
        "k8s-demo-peerings-mgmt",
        "k8s-demo-peerings-app1",
        "k8s-demo-peerings-app2",
      ].sort(),
    );
    expect(t.identityHolders.map((h) => h.id.split("/").pop())).toEqual(
      expect.arrayContaining([
        "id-aks-k8s-demo-app2-control-plane",
        "id-aks-k8s-demo-app2-kubelet",
        "aks-k8s-demo-app2",
        "azure-aks-backup",
      ]),
    );
    expect(t.kept.join(" ")).toContain("vnet-k8s-demo-app2");
  });

  it("the access host (mgmt) also forgets the access deployment that lives in its group", async () => {
    const t = teardownTargets(spec, "mgmt", units, await apiVersionsOf(units));
    expect(t.deployments.map((d) => d.name)).toContain("k8s-demo-access");
  });

  it("refuses an unknown cluster and a cluster whose group is the common group", async () => {
    const versions = await apiVersionsOf(units);
    expect(() => teardownTargets(spec, "app9", units, versions)).toThrow(/no cluster app9/);
    const shared = {
      ...spec,
      clusters: spec.clusters.map((c) => (c.name === "app2" ? { ...c, resourceGroup: spec.commonResourceGroup } : c)),
    };
    expect(() => teardownTargets(shared, "app2", units, versions)).toThrow(/common group .* never deleted/);
  });

  it("finds principal ids in outputs and in resource bodies, nothing else", () => {
    const a = "0f0e0d0c-0b0a-4909-a808-070605040302";
    const b = "1f0e0d0c-0b0a-4909-a808-070605040302";
    expect(
      principalIdsIn({
        controlPlanePrincipalId: a,
        clusterId: "/subscriptions/x",
        properties: { identityProfile: { kubeletidentity: { objectId: b.toUpperCase(), clientId: a } } },
        adminGroupObjectIDs: [a],
        principalId: "not-a-guid",
      }).sort(),
    ).toEqual([a, b].sort());
  });
});

describe("teardown message", () => {
  const base: TeardownResult = {
    environment: "k8s-demo",
    cluster: "app2",
    succeeded: true,
    startedAt: "2026-11-24T06:00:00.000Z",
    endedAt: "2026-11-24T06:20:00.000Z",
    steps: [{ what: "resource group rg-k8s-demo-app2", id: "/x", state: "deleted" }],
    kept: ["virtual network vnet-k8s-demo-app2"],
    forgottenDeployments: ["k8s-demo-aks-app2"],
  };

  it("is a valid message for success, leftovers and a teardown that did not start", () => {
    const ok = teardownMessage({ result: base, correlationId: "teardown:k8s-demo:app2" });
    expect(notifyMessageSchema.parse(ok).title).toBe("Cluster app2 torn down");
    expect(ok.severity).toBe("info");

    const left = teardownMessage({
      result: {
        ...base,
        succeeded: false,
        steps: [
          {
            what: "backup instance bi-x",
            id: "/bi",
            state: "failed",
            error: { code: "AuthorizationFailed", message: "no" },
          },
          { what: "resource group rg-k8s-demo-app2", id: "/x", state: "pending" },
        ],
      },
      correlationId: "c",
    });
    expect(notifyMessageSchema.parse(left).severity).toBe("warning");
    expect(left.lines).toEqual([
      "backup instance bi-x: AuthorizationFailed: no",
      "resource group rg-k8s-demo-app2: not deleted (an earlier step failed)",
    ]);

    const notStarted = teardownMessage({
      result: { ...base, succeeded: false, steps: [], kept: [], forgottenDeployments: [], reason: "listing failed" },
      correlationId: "c",
    });
    expect(notifyMessageSchema.parse(notStarted).title).toBe("Teardown of cluster app2 did not start");
    expect(notStarted.whatWasDone).toBe("Nothing was deleted.");
  });
});
