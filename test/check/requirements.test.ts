import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { planResources, REQUIREMENTS, verifyRequirements } from "../../lib/check";
import { repoRoot } from "../../lib/config";
import { planDeployments, type Plan } from "../../lib/plan";
import { defaultPlan, planCopy, specWith } from "./fixtures";

/** The requirement ids of platform.md in the groups this traceability covers. */
const EXPECTED_IDS = [
  "RG-1",
  ...[1, 2, 3, 4, 5].map((n) => `NET-${n}`),
  ...[1, 2, 3, 4, 5, 6, 7].map((n) => `SH-${n}`),
  "ACC-1",
  ...Array.from({ length: 13 }, (_, i) => `AKS-${i + 1}`),
  ...Array.from({ length: 12 }, (_, i) => `ADD-${i + 1}`),
];

describe("requirement traceability", () => {
  it("lists every requirement id of the RG, NET, SH, ACC, AKS and ADD groups exactly once", () => {
    expect(REQUIREMENTS.map((r) => r.id)).toEqual(EXPECTED_IDS);
    for (const r of REQUIREMENTS) expect(r.arm !== undefined || (r.elsewhere?.length ?? 0) > 0, r.id).toBe(true);
  });

  it("names existing places for the parts implemented outside the ARM templates", () => {
    for (const r of REQUIREMENTS) {
      for (const e of r.elsewhere ?? [])
        expect(existsSync(path.join(repoRoot(), e.path)), `${r.id}: ${e.path}`).toBe(true);
    }
  });

  it("names templates that exist for the ARM parts", () => {
    for (const r of REQUIREMENTS) {
      for (const t of r.arm?.templates ?? [])
        expect(existsSync(path.join(repoRoot(), "templates", "arm", t)), `${r.id}: ${t}`).toBe(true);
    }
  });

  for (const r of REQUIREMENTS.filter((r) => r.arm)) {
    it(`${r.id} holds on the expanded default plan`, () => {
      expect(r.arm!.verify(defaultPlan(), specWith())).toEqual([]);
    });

    it(`${r.id} fails when the resources that fulfil it are removed`, () => {
      for (const type of r.arm!.resourceTypes) {
        const plan: Plan = planCopy();
        for (const d of planDeployments(plan)) d.resources = d.resources.filter((res) => res.type !== type);
        expect(r.arm!.verify(plan, specWith()).length, `${r.id} without ${type}`).toBeGreaterThan(0);
      }
    });
  }

  it("AKS-5: the ingress agentPools child is on mgmt and app1 (3 × Standard_D2s_v5, zones 1/2/3, Istio label) and not on app2", () => {
    const pools = planResources(defaultPlan()).filter(
      (r) => r.type === "Microsoft.ContainerService/managedClusters/agentPools",
    );
    expect(pools.map((p) => p.cluster).sort()).toEqual(["app1", "mgmt"]);
    for (const p of pools) {
      expect(p.properties).toMatchObject({
        vmSize: "Standard_D2s_v5",
        count: 3,
        availabilityZones: ["1", "2", "3"],
        mode: "User",
        scaleSetPriority: "Regular",
        enableAutoScaling: false,
        nodeLabels: { "azureservicemesh/istio.replica.preferred": "true" },
      });
    }
  });

  it("a requirement check notices a changed property, not only a missing resource", () => {
    const plan = planCopy();
    const aks = planResources(plan).find(
      (r) => r.cluster === "app2" && r.type === "Microsoft.ContainerService/managedClusters",
    )!;
    const live = planDeployments(plan)
      .flatMap((d) => d.resources)
      .find((r) => r.id === aks.id) as {
      properties: { serviceMeshProfile: { istio: { components: { ingressGateways: unknown[] } } } };
    };
    live.properties.serviceMeshProfile.istio.components.ingressGateways = [{ mode: "External", enabled: true }];
    const aks12 = verifyRequirements(plan, specWith()).find((r) => r.id === "AKS-12")!;
    expect(aks12.problems).toEqual([expect.stringContaining("cluster app2: ingress gateways")]);
  });
});
