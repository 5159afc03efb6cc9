import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { limitProblems, limitUsage, planResources, runRules, verifyRequirements } from "../../lib/check";
import { repoRoot } from "../../lib/config";
import {
  buildDeploymentUnits,
  buildPlan,
  checkUnitGraph,
  DEFAULT_ISTIO_REVISION,
  FLUX_SUBSTITUTION_VARIABLES,
  PHASES,
  planDeployments,
  type Plan,
  type PlanResource,
} from "../../lib/plan";
import {
  roleAssignmentParameters,
  ROLE_GRANTS,
  WORKLOAD_IDENTITIES,
  type GrantTemplate,
} from "../../lib/plan/identities";
import type { PlatformSpec } from "../../lib/spec";
import { defaultPlan, specWith, withFourthCluster } from "../check/fixtures";

const armDir = path.join(repoRoot(), "templates", "arm");
interface TemplateFile {
  $schema: string;
  parameters?: Record<string, { defaultValue?: unknown }>;
  outputs?: Record<string, unknown>;
}
const template = (file: string): TemplateFile =>
  JSON.parse(readFileSync(path.join(armDir, file), "utf8")) as TemplateFile;

function allHold(plan: Plan, spec: PlatformSpec): void {
  expect(verifyRequirements(plan, spec).filter((r) => r.problems.length > 0)).toEqual([]);
  expect(runRules(plan).filter((r) => r.outcome === "fail")).toEqual([]);
  expect(limitProblems(plan)).toEqual([]);
}

describe("deployment units of the default spec", () => {
  const spec = specWith();
  const units = buildDeploymentUnits(spec);

  it("are named deterministically, phase by phase, per cluster where they belong", () => {
    expect(units.map((u) => `${u.phase} ${u.name}${u.cluster ? ` [${u.cluster}]` : ""}`)).toEqual([
      "resourceGroups k8s-demo-rg",
      "resourceGroups k8s-demo-rg-mgmt [mgmt]",
      "resourceGroups k8s-demo-rg-app1 [app1]",
      "resourceGroups k8s-demo-rg-app2 [app2]",
      "resourceGroups k8s-demo-defender",
      ...["mgmt", "app1", "app2"].map((c) => `network k8s-demo-network-${c} [${c}]`),
      "network k8s-demo-dns",
      ...["mgmt", "app1", "app2"].map((c) => `network k8s-demo-peerings-${c}`),
      "sharedServices k8s-demo-monitoring",
      "sharedServices k8s-demo-shared",
      "sharedServices k8s-demo-access",
      ...["mgmt", "app1", "app2"].flatMap((c) => [
        `clusters k8s-demo-identity-${c} [${c}]`,
        `clusters k8s-demo-grants-${c} [${c}]`,
        `clusters k8s-demo-acr-grants-${c} [${c}]`,
        `clusters k8s-demo-aks-${c} [${c}]`,
        `clusters k8s-demo-aks-monitoring-${c} [${c}]`,
      ]),
      ...["mgmt", "app1", "app2"].flatMap((c) => [
        `addons k8s-demo-addons-${c} [${c}]`,
        `addons k8s-demo-addons-common-${c} [${c}]`,
        // app2 has no ingress gateway, hence no ingress pool (AKS-5).
        ...(c === "app2" ? [] : [`addons k8s-demo-ingress-pool-${c} [${c}]`]),
      ]),
    ]);
    expect(buildDeploymentUnits(specWith())).toEqual(units);
    expect(checkUnitGraph(units)).toEqual([]);
    for (const u of units) expect(PHASES).toContain(u.phase);
  });

  it("give every template parameter without a default a value, and no parameter the template lacks (deployable with az)", () => {
    for (const u of units) {
      const params = template(u.template).parameters ?? {};
      const given = new Set([...Object.keys(u.parameters), ...Object.keys(u.outputParameters)]);
      for (const name of given) expect(Object.keys(params), `${u.name}: ${name}`).toContain(name);
      for (const [name, p] of Object.entries(params))
        if (p.defaultValue === undefined) expect(given.has(name), `${u.name} misses ${name}`).toBe(true);
    }
  });

  it("target the scope their template is written for", () => {
    for (const u of units) {
      const subscription = template(u.template).$schema.includes("subscriptionDeploymentTemplate");
      expect(subscription, u.template).toBe(u.scope === "subscription");
      expect(u.resourceGroup === undefined, u.name).toBe(u.scope === "subscription");
    }
  });

  it("have one unit template per file in templates/arm, every file used (network-manager.json by the AVNM topology)", () => {
    const files = readdirSync(armDir)
      .filter((f) => f.endsWith(".json"))
      .sort();
    const avnm = buildDeploymentUnits(specWith((s) => (s.network.topology = "virtualNetworkManager")));
    expect([...new Set([...units, ...avnm].map((u) => u.template))].sort()).toEqual(files);
  });

  it("never let two deployments of one phase write the same resource", () => {
    for (const phase of defaultPlan().phases) {
      const owner = new Map<string, string>();
      for (const d of phase.deployments) {
        for (const r of d.resources) {
          const key = r.id.toLowerCase();
          expect(owner.get(key), `${r.id} written by ${owner.get(key)} and ${d.name}`).toBeUndefined();
          owner.set(key, d.name);
        }
      }
    }
  });

  it("chain the extensions and the trusted-access binding of a cluster; the Flux configuration waits only for Flux", () => {
    for (const d of planDeployments(defaultPlan()).filter((d) => d.template === "cluster-addons.json")) {
      const clusterWrites = d.resources.filter(
        (r) =>
          r.type === "Microsoft.KubernetesConfiguration/extensions" || r.type.endsWith("/trustedAccessRoleBindings"),
      );
      expect(clusterWrites.map((r) => r.name.split("/").pop())).toEqual(["flux", "azure-aks-backup", "backup-vault"]);
      // Each cluster write waits for the previous one: a single chain, no two in parallel.
      for (const [i, r] of clusterWrites.entries()) {
        if (i === 0) continue;
        expect(
          r.dependsOn.map((x) => x.toLowerCase()),
          `${d.name}: ${r.name}`,
        ).toContain(clusterWrites[i - 1]!.id.toLowerCase());
      }
      const config = d.resources.find((r) => r.type === "Microsoft.KubernetesConfiguration/fluxConfigurations")!;
      expect(config.dependsOn.map((x) => x.toLowerCase())).toContain(clusterWrites[0]!.id.toLowerCase());
    }
  });

  it("supply exactly the GitOps contract's substitution variables to Flux", () => {
    for (const d of planDeployments(defaultPlan()).filter((d) => d.template === "cluster-addons.json")) {
      const cfg = d.resources.find((r) => r.type === "Microsoft.KubernetesConfiguration/fluxConfigurations")!;
      const substitute = (
        cfg.properties as { kustomizations: { cluster: { postBuild: { substitute: Record<string, unknown> } } } }
      ).kustomizations.cluster.postBuild.substitute;
      expect(Object.keys(substitute).sort()).toEqual([...FLUX_SUBSTITUTION_VARIABLES].sort());
      const cluster = spec.clusters.find((c) => c.name === d.cluster)!;
      expect(substitute).toMatchObject({
        CLUSTER_NAME: cluster.name,
        ENVIRONMENT: "k8s-demo",
        LOCATION: "koreacentral",
        KEY_VAULT_NAME: spec.shared.keyVault.name,
        DNS_ZONE_NAME: spec.shared.dnsZone.name,
        DNS_ZONE_RESOURCE_GROUP: spec.commonResourceGroup,
        INGRESS_HOST: spec.gitops.ingressHost,
        ACME_EMAIL: spec.gitops.acmeEmail,
        ACME_SERVER: spec.gitops.acmeServer,
        ISTIO_REVISION: cluster.addons.istioIngressGateway ? DEFAULT_ISTIO_REVISION : "",
        SPOT_CPU_LIMIT: "64",
        NODE_RESOURCE_GROUP: cluster.nodeResourceGroup,
        SUBSCRIPTION_ID: spec.subscriptionId,
      });
      expect(JSON.stringify(substitute.CERT_MANAGER_CLIENT_ID)).toContain("$deferred");
      expect(substitute.INGRESS_KV_CLIENT_ID === "").toBe(!cluster.addons.istioIngressGateway);
      const pathOf = (
        cfg.properties as { kustomizations: { cluster: { path: string; syncIntervalInSeconds: number } } }
      ).kustomizations.cluster;
      expect(pathOf).toMatchObject({ path: `templates/gitops/clusters/${cluster.name}`, syncIntervalInSeconds: 60 });
    }
    const addons = units.find((u) => u.template === "cluster-addons.json")!;
    for (const key of Object.keys(addons.parameters.fluxSettings as object))
      expect(FLUX_SUBSTITUTION_VARIABLES as readonly string[]).toContain(key);
  });

  it("take every role assignment from the identity map", () => {
    for (const u of units.filter((u) => u.cluster !== undefined && "roleAssignments" in u.parameters)) {
      const cluster = spec.clusters.find((c) => c.name === u.cluster)!;
      const fromMap = roleAssignmentParameters(cluster, u.template as GrantTemplate);
      // cluster-grants.json serves two units: the grants AKS checks at creation, and AcrPull beside the cluster.
      const registry = (r: { scope: string }) => r.scope === "containerRegistry";
      const expected =
        u.template !== "cluster-grants.json"
          ? fromMap.roleAssignments
          : fromMap.roleAssignments.filter((r) => registry(r) === u.name.includes("-acr-grants-"));
      expect(u.parameters.roleAssignments, u.name).toEqual(expected);
      if ("resourceGroupRoleAssignments" in u.parameters)
        expect(u.parameters.resourceGroupRoleAssignments).toEqual(fromMap.resourceGroupRoleAssignments);
    }
    const assignments = planResources(defaultPlan()).filter(
      (r) => r.type === "Microsoft.Authorization/roleAssignments",
    );
    const expected = spec.clusters.reduce((n, c) => n + ROLE_GRANTS.filter((g) => g.appliesTo(c)).length, 0);
    expect(assignments.length).toBe(expected);
    expect(new Set(assignments.map((a) => a.id)).size).toBe(assignments.length);
  });

  it("federate each workload identity with its service account, the ingress one only where a gateway runs", () => {
    const fics = planResources(defaultPlan()).filter((r) => r.type.endsWith("/federatedIdentityCredentials"));
    for (const c of spec.clusters) {
      const mine = fics.filter((f) => f.cluster === c.name).map((f) => (f.properties as { subject: string }).subject);
      expect(mine).toEqual(
        WORKLOAD_IDENTITIES.filter((w) => w.appliesTo(c)).map(
          (w) => `system:serviceaccount:${w.namespace}:${w.serviceAccount}`,
        ),
      );
    }
    expect(fics.filter((f) => f.cluster === "app2").some((f) => f.name.includes("ingress"))).toBe(false);
  });

  it("pass the Istio revision as a parameter: the documented default or the spec's pinned one; none to app2 (AKS-12)", () => {
    const withRevision = (s: PlatformSpec): string[] =>
      buildDeploymentUnits(s)
        .filter((u) => "istioRevision" in u.parameters)
        .map((u) => `${u.cluster} ${u.template} ${String(u.parameters.istioRevision)}`)
        .sort();
    const expected = (revision: string) =>
      ["app1", "app2", "mgmt"]
        .flatMap((c) => ["cluster-addons.json", "cluster.json"].map((t) => `${c} ${t} ${c === "app2" ? "" : revision}`))
        .sort();
    expect(withRevision(spec)).toEqual(expected(DEFAULT_ISTIO_REVISION));
    expect(withRevision(specWith((s) => (s.istio.revision = "asm-1-25")))).toEqual(expected("asm-1-25"));
  });

  it("stay within ARM limits (800 resources, 256 parameters, 64 outputs, 4 MB) per deployment and as a whole", () => {
    expect(limitProblems(defaultPlan())).toEqual([]);
    const usage = limitUsage(defaultPlan());
    expect(usage.reduce((n, u) => n + u.resources, 0)).toBeLessThan(800);
    expect(Math.max(...usage.map((u) => u.bytes))).toBeLessThan(4 * 1024 * 1024);
    // The check itself reports a deployment over a limit.
    const big = structuredClone(defaultPlan());
    const network = planDeployments(big).find((d) => d.template === "network.json")!;
    network.resources = Array.from({ length: 801 }, () => network.resources[0]!);
    expect(limitProblems(big)).toEqual([
      "k8s-demo-network-mgmt: 801 resources (limit 800)",
      expect.stringMatching(/^\(whole plan\): \d+ resources \(limit 800\)$/),
    ]);
  });

  it("keep deployment names within 64 characters for the longest environment and cluster names", () => {
    const long = specWith((s) => {
      s.name = "abcdefghijklmnopqrstuvwx";
      s.clusters[0]!.name = "abcdefghijkl";
      s.access.hostCluster = "abcdefghijkl";
    });
    for (const u of buildDeploymentUnits(long)) expect(u.name.length, u.name).toBeLessThanOrEqual(64);
  });
});

describe("changing the spec changes the plan", () => {
  it("a fourth cluster gets its group, VNet, peerings, identities, cluster, add-ons and backup", () => {
    const spec = specWith(withFourthCluster);
    const units = buildDeploymentUnits(spec);
    const app3 = units.filter((u) => u.cluster === "app3").map((u) => u.name);
    expect(app3).toEqual([
      "k8s-demo-rg-app3",
      "k8s-demo-network-app3",
      "k8s-demo-identity-app3",
      "k8s-demo-grants-app3",
      "k8s-demo-acr-grants-app3",
      "k8s-demo-aks-app3",
      "k8s-demo-aks-monitoring-app3",
      "k8s-demo-addons-app3",
      "k8s-demo-addons-common-app3",
    ]);
    const plan = buildPlan(spec);
    const of = (type: string): PlanResource[] => planResources(plan).filter((r) => r.type === type);
    expect(of("Microsoft.Network/virtualNetworks")).toHaveLength(4);
    expect(of("Microsoft.Network/virtualNetworks/virtualNetworkPeerings")).toHaveLength(12);
    expect(of("Microsoft.Network/privateDnsZones/virtualNetworkLinks")).toHaveLength(4);
    expect(of("Microsoft.ContainerService/managedClusters")).toHaveLength(4);
    expect(of("Microsoft.DataProtection/backupVaults/backupInstances")).toHaveLength(4);
    expect(
      of("Microsoft.Storage/storageAccounts/blobServices/containers").map((r) => r.name.split("/").pop()),
    ).toContain("aks-backup-app3");
    allHold(plan, spec);
  });

  it("another region moves every regional resource and the private API-server zone", () => {
    const spec = specWith((s) => (s.location = "japaneast"));
    const plan = buildPlan(spec);
    const regional = planResources(plan).filter((r) => typeof r.location === "string" && r.location !== "global");
    expect(regional.length).toBeGreaterThan(20);
    for (const r of regional) expect(r.location, r.id).toBe("japaneast");
    expect(
      planResources(plan).some(
        (r) => r.type === "Microsoft.Network/privateDnsZones" && r.name === "privatelink.japaneast.azmk8s.io",
      ),
    ).toBe(true);
    allHold(plan, spec);
  });

  it("other CIDRs flow into the VNets, subnets and overlay ranges", () => {
    const spec = specWith((s) => {
      s.clusters.forEach((c, i) => {
        c.network.vnetCidr = `10.${20 + i}.0.0/16`;
        c.network.nodeSubnetCidr = `10.${20 + i}.0.0/22`;
        c.network.podCidr = `100.${100 + i}.0.0/16`;
      });
      s.access.bastion.subnetCidr = "10.20.100.0/26";
      s.access.jumpbox.subnetCidr = "10.20.101.0/24";
    });
    const plan = buildPlan(spec);
    const vnets = planResources(plan).filter((r) => r.type === "Microsoft.Network/virtualNetworks");
    expect(
      vnets.map(
        (v) => (v.properties as { addressSpace: { addressPrefixes: string[] } }).addressSpace.addressPrefixes[0],
      ),
    ).toEqual(["10.20.0.0/16", "10.21.0.0/16", "10.22.0.0/16"]);
    const pods = planResources(plan)
      .filter((r) => r.type === "Microsoft.ContainerService/managedClusters")
      .map((r) => (r.properties as { networkProfile: { podCidr: string } }).networkProfile.podCidr);
    expect(pods).toEqual(["100.100.0.0/16", "100.101.0.0/16", "100.102.0.0/16"]);
    allHold(plan, spec);
  });

  it("turning Defender and a cluster's backup off removes what belonged to them", () => {
    const spec = specWith((s) => {
      s.defenderForContainers = false;
      s.clusters[2]!.addons.backup = false;
    });
    const plan = buildPlan(spec);
    expect(planDeployments(plan).some((d) => d.template === "defender.json")).toBe(false);
    const app2 = planResources(plan).filter((r) => r.cluster === "app2");
    expect(app2.some((r) => r.type.endsWith("backupInstances") || r.type.endsWith("trustedAccessRoleBindings"))).toBe(
      false,
    );
    expect(
      app2.some(
        (r) => (r.properties as { extensionType?: string }).extensionType === "microsoft.dataprotection.kubernetes",
      ),
    ).toBe(false);
    allHold(plan, spec);
  });
});
