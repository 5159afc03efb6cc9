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

  it("AKS-12: app2 has no Istio at all (mesh Disabled, no revision in its GitOps variables); mgmt and app1 have it", () => {
    const plan = planCopy();
    const aks12 = verifyRequirements(plan, specWith()).find((r) => r.id === "AKS-12")!;
    expect(aks12.problems).toEqual([]);
    const meshOf = (cluster: string) =>
      (
        planResources(plan).find(
          (r) => r.cluster === cluster && r.type === "Microsoft.ContainerService/managedClusters",
        )!.properties as { serviceMeshProfile: unknown }
      ).serviceMeshProfile;
    expect(meshOf("app2")).toEqual({ mode: "Disabled" });
    for (const cluster of ["mgmt", "app1"])
      expect(meshOf(cluster)).toMatchObject({
        mode: "Istio",
        istio: { components: { ingressGateways: [{ mode: "External", enabled: true }] } },
      });
  });

  it("a requirement check notices a changed property, not only a missing resource", () => {
    const plan = planCopy();
    const aks = planResources(plan).find(
      (r) => r.cluster === "app2" && r.type === "Microsoft.ContainerService/managedClusters",
    )!;
    const live = planDeployments(plan)
      .flatMap((d) => d.resources)
      .find((r) => r.id === aks.id) as { properties: { serviceMeshProfile: unknown } };
    // A mesh without a gateway on app2 is not what the seed asks ("app2: Ingress/Istio 미배포").
    live.properties.serviceMeshProfile = { mode: "Istio", istio: { revisions: ["asm-1-26"] } };
    const aks12 = verifyRequirements(plan, specWith()).find((r) => r.id === "AKS-12")!;
    expect(aks12.problems).toEqual([
      'cluster app2: mode: expected "Disabled", got "Istio"',
      "cluster app2: no Istio settings expected on a cluster without Istio",
    ]);
  });
});
