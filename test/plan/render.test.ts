import { describe, expect, it } from "vitest";
import {
  buildPlan,
  criticalPath,
  planDeployments,
  renderArchitectureMermaid,
  renderPhasesMermaid,
  renderPlanJson,
  renderPlanText,
} from "../../lib/plan";
import type { Plan } from "../../lib/plan";
import { defaultSpec } from "../../lib/spec";

const sub = "00000000-0000-0000-0000-000000000000";
const vnetId = (name: string) =>
  `/subscriptions/${sub}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/${name}`;

/** Two VNets peered one way, one cluster in the first: enough to check every part of the renderers. */
const small: Plan = {
  environment: "small",
  location: "koreacentral",
  subscriptionId: sub,
  phases: [
    {
      name: "network",
      dependsOn: [],
      deployments: [
        {
          name: "small-network",
          phase: "network",
          scope: "resourceGroup",
          resourceGroup: "rg-net",
          template: "network.json",
          parameters: {},
          dependsOn: [],
          outputs: [],
          resources: [
            {
              id: vnetId("vnet-a"),
              type: "Microsoft.Network/virtualNetworks",
              apiVersion: "2024-05-01",
              name: "vnet-a",
              properties: { addressSpace: { addressPrefixes: ["10.1.0.0/16"] } },
              dependsOn: [],
            },
            {
              id: vnetId("vnet-b"),
              type: "Microsoft.Network/virtualNetworks",
              apiVersion: "2024-05-01",
              name: 'vnet-"b"',
              properties: {},
              dependsOn: [],
            },
            {
              id: `${vnetId("vnet-a")}/virtualNetworkPeerings/a-to-b`,
              type: "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
              apiVersion: "2024-05-01",
              name: "vnet-a/a-to-b",
              properties: { remoteVirtualNetwork: { id: vnetId("vnet-b") } },
              dependsOn: [vnetId("vnet-a")],
            },
          ],
        },
      ],
    },
    {
      name: "clusters",
      dependsOn: ["network"],
      deployments: [
        {
          name: "small-aks",
          phase: "clusters",
          scope: "resourceGroup",
          resourceGroup: "rg-aks",
          template: "cluster.json",
          parameters: {},
          dependsOn: ["small-network"],
          outputs: [],
          resources: [
            {
              id: `/subscriptions/${sub}/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-k8s-demo-mgmt`,
              type: "Microsoft.ContainerService/managedClusters",
              apiVersion: "2026-05-01",
              name: "aks-k8s-demo-mgmt",
              properties: {
                agentPoolProfiles: [
                  {
                    name: "system",
                    vmSize: "Standard_D2s_v5",
                    count: 3,
                    vnetSubnetID: `${vnetId("vnet-a")}/subnets/nodes`,
                  },
                ],
                addonProfiles: {
                  omsagent: { config: { logAnalyticsWorkspaceResourceID: { $deferred: "[reference to output x]" } } },
                },
              },
              dependsOn: [],
            },
          ],
        },
      ],
    },
  ],
};

describe("renderPlanText", () => {
  it("lists phases, deployments, counts per type and the critical path in minutes", () => {
    const text = renderPlanText(
      small,
      criticalPath(small, (d) => (d.name === "small-aks" ? 600 : 60)),
    );
    expect(text).toBe(
      [
        `Plan for small in koreacentral (subscription ${sub})`,
        "2 phases, 2 deployments, 4 resources",
        "",
        "Phase 1: network",
        "  small-network  [rg rg-net, network.json, 3 resources]",
        "",
        "Phase 2: clusters (after network)",
        "  small-aks  [rg rg-aks, cluster.json, 1 resource]",
        "      after: small-network",
        "",
        "Resources by type",
        "  Microsoft.Network/virtualNetworks                            2",
        "  Microsoft.ContainerService/managedClusters                   1",
        "  Microsoft.Network/virtualNetworks/virtualNetworkPeerings     1",
        "",
        "Critical path: about 11.0 min (typical Azure provisioning times)",
        "  at  0.0 min  small-network (network, takes 1.0 min)",
        "  at  1.0 min  small-aks (clusters, takes 10.0 min)",
        "",
      ].join("\n"),
    );
  });
});

describe("renderPlanJson", () => {
  it("is one JSON document: the plan plus its critical path", () => {
    const path = criticalPath(small, () => 60);
    expect(JSON.parse(renderPlanJson(small, path))).toEqual({ ...small, criticalPath: path });
  });
});

describe("renderArchitectureMermaid", () => {
  it("draws resource groups as subgraphs, pools, peerings and subnet references", () => {
    const diagram = renderArchitectureMermaid(small, defaultSpec);
    expect(diagram).toBe(
      [
        "flowchart LR",
        '  subgraph g0["Resource group rg-net"]',
        '    n0["VNet vnet-a<br/>10.1.0.0/16"]',
        '    n1["VNet vnet-#quot;b#quot;"]',
        "  end",
        '  subgraph g1["Resource group rg-aks"]',
        '    n2["AKS aks-k8s-demo-mgmt<br/>system: Standard_D2s_v5 × 3<br/>spot NodePool: D family, zones 1/2/3, ≤ 64 vCPU"]',
        "  end",
        "  n0 <-->|peering| n1",
        "  n2 --> n0",
        "",
      ].join("\n"),
    );
  });

  it("draws the seed platform: four groups, three peered VNets, clusters with their pools, Bastion and jump VM", () => {
    const plan = buildPlan(defaultSpec);
    const diagram = renderArchitectureMermaid(plan, defaultSpec);
    const groups = [...diagram.matchAll(/subgraph g\d+\["Resource group ([^"]+)"\]/g)].map((m) => m[1]);
    expect(groups.sort()).toEqual(["rg-k8s-demo-app1", "rg-k8s-demo-app2", "rg-k8s-demo-common", "rg-k8s-demo-mgmt"]);
    const node = (prefix: string): string => {
      const m = new RegExp(`(n\\d+)\\["${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`).exec(diagram);
      expect(m, prefix).not.toBeNull();
      return m![1]!;
    };
    const vnets = defaultSpec.clusters.map((c) => node(`VNet ${c.network.vnetName}<br/>${c.network.vnetCidr}`));
    const peerings = diagram.split("\n").filter((l) => l.includes("<-->|peering|"));
    expect(peerings).toHaveLength(3); // NET-2: full mesh of three, each pair drawn once
    for (const c of defaultSpec.clusters) {
      const line = diagram.split("\n").find((l) => l.includes(`["AKS ${c.aksName}<br/>`))!;
      expect(line).toContain("system: Standard_D2s_v5 × 3");
      expect(line.includes("ingress: Standard_D2s_v5 × 3")).toBe(c.addons.istioIngressGateway);
      expect(line).toContain("spot NodePool: D family");
      expect(diagram).toContain(`${node(`AKS ${c.aksName}`)} --> ${vnets[defaultSpec.clusters.indexOf(c)]}`);
    }
    expect(diagram).toContain(`${node("Bastion bas-k8s-demo")} --> ${vnets[0]}`);
    expect(diagram).toContain(`${node("Jump VM vm-jumpbox")} --> ${vnets[0]}`);
    for (const shared of [
      "Key Vault kv-k8s-demo-01",
      "Container registry acrk8sdemo01",
      "Log Analytics log-k8s-demo",
      "Backup vault bvault-k8s-demo",
      "DNS zone k8s-demo.example.com",
    ]) {
      node(shared);
    }
  });
});

describe("renderPhasesMermaid", () => {
  it("draws phases as subgraphs, one arrow per dependency, and marks the critical path", () => {
    const plan = buildPlan(defaultSpec);
    const path = criticalPath(plan);
    const diagram = renderPhasesMermaid(plan, path);
    expect(diagram.startsWith("flowchart TB\n")).toBe(true);
    expect([...diagram.matchAll(/subgraph p\d+\["\d\. (\w+)"\]/g)].map((m) => m[1])).toEqual(
      plan.phases.map((p) => p.name),
    );
    const deployments = planDeployments(plan);
    const arrows = diagram.split("\n").filter((l) => / --> /.test(l));
    expect(arrows).toHaveLength(deployments.reduce((n, d) => n + d.dependsOn.length, 0));
    const critical = /class (\S+) critical/.exec(diagram)![1]!.split(",");
    expect(critical).toHaveLength(path.steps.length);
  });
});
