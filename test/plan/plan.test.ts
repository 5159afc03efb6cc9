import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPlan, checkUnitGraph, PHASES, PlanError, planDeployments } from "../../lib/plan";
import type { DeploymentUnit } from "../../lib/plan";
import { defaultSpec, loadSpecFile } from "../../lib/spec";

const unit = (
  name: string,
  phase: DeploymentUnit["phase"],
  dependsOn: string[] = [],
  extra: Partial<DeploymentUnit> = {},
): DeploymentUnit => ({
  name,
  phase,
  scope: "resourceGroup",
  resourceGroup: "rg-test",
  template: "vnet.json",
  parameters: { name: `vnet-${name}` },
  outputParameters: {},
  dependsOn,
  ...extra,
});

/** A small resource-group template: one VNet whose tag echoes a parameter fed from another deployment. */
const vnetTemplate = {
  $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  contentVersion: "1.0.0.0",
  parameters: { name: { type: "string" }, upstreamId: { type: "string", defaultValue: "none" } },
  resources: [
    {
      type: "Microsoft.Network/virtualNetworks",
      apiVersion: "2024-05-01",
      name: "[parameters('name')]",
      location: "[resourceGroup().location]",
      tags: { upstream: "[parameters('upstreamId')]" },
      properties: { addressSpace: { addressPrefixes: ["10.0.0.0/16"] } },
    },
  ],
  outputs: {
    vnetId: { type: "string", value: "[resourceId('Microsoft.Network/virtualNetworks', parameters('name'))]" },
  },
};

describe("checkUnitGraph", () => {
  it("accepts a well-formed graph", () => {
    expect(checkUnitGraph([unit("a", "network"), unit("b", "clusters", ["a"])])).toEqual([]);
  });

  it("names unknown dependencies, dependencies on later phases and duplicates", () => {
    const problems = checkUnitGraph([
      unit("net", "network", ["cluster-a"]),
      unit("cluster-a", "clusters", ["ghost"]),
      unit("cluster-a", "clusters"),
      unit("bad name!", "addons"),
    ]);
    expect(problems).toEqual([
      'Deployment "cluster-a" is defined twice.',
      'Deployment "bad name!" is not a valid ARM deployment name (1–64 letters, digits, - _ . ( )).',
      'Deployment "net" (phase network) depends on "cluster-a" of the later phase clusters; a dependency must be in the same or an earlier phase.',
      'Deployment "cluster-a" (phase clusters) depends on "ghost", which is not a deployment of the plan.',
    ]);
  });

  it("reports a cycle by its path", () => {
    const problems = checkUnitGraph([
      unit("a", "network", ["c"]),
      unit("b", "network", ["a"]),
      unit("c", "network", ["b"]),
    ]);
    expect(problems).toEqual(["Deployments depend on each other in a cycle: a → c → b → a."]);
  });

  it("needs outputs to come from deployments that finish first", () => {
    const problems = checkUnitGraph([
      unit("a", "network"),
      unit("b", "network"),
      unit("c", "clusters", ["b"], { outputParameters: { upstreamId: { deployment: "a", output: "vnetId" } } }),
    ]);
    expect(problems).toEqual([
      'Deployment "c" reads parameter upstreamId from the output vnetId of "a", which it does not depend on.',
    ]);
  });
});

describe("buildPlan with explicit units", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "plan-templates-"));
    await mkdir(path.join(dir, "arm"));
    await writeFile(path.join(dir, "arm", "vnet.json"), JSON.stringify(vnetTemplate));
    await writeFile(path.join(dir, "arm", "broken.json"), "{ not json");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("expands each unit's template with its scope and defers outputs of earlier deployments", () => {
    const units = [
      unit("net-a", "network"),
      unit("net-b", "clusters", ["net-a"], {
        outputParameters: { upstreamId: { deployment: "net-a", output: "vnetId" } },
        cluster: "mgmt",
      }),
    ];
    const plan = buildPlan(defaultSpec, { templatesDir: dir, units });
    expect(plan).toMatchObject({
      environment: "k8s-demo",
      location: "koreacentral",
      subscriptionId: defaultSpec.subscriptionId,
    });
    expect(plan.phases.map((p) => [p.name, p.dependsOn])).toEqual([
      ["network", []],
      ["clusters", ["network"]],
    ]);
    const [a, b] = planDeployments(plan);
    expect(a).toMatchObject({
      name: "net-a",
      scope: "resourceGroup",
      resourceGroup: "rg-test",
      template: "vnet.json",
      outputs: ["vnetId"],
      dependsOn: [],
    });
    expect(a!.resources).toEqual([
      {
        id: `/subscriptions/${defaultSpec.subscriptionId}/resourceGroups/rg-test/providers/Microsoft.Network/virtualNetworks/vnet-net-a`,
        type: "Microsoft.Network/virtualNetworks",
        apiVersion: "2024-05-01",
        name: "vnet-net-a",
        resourceGroup: "rg-test",
        location: "koreacentral",
        tags: { upstream: "none" },
        properties: { addressSpace: { addressPrefixes: ["10.0.0.0/16"] } },
        dependsOn: [],
      },
    ]);
    const deferred = { $deferred: "[reference to output vnetId of deployment net-a]" };
    expect(b).toMatchObject({
      name: "net-b",
      cluster: "mgmt",
      dependsOn: ["net-a"],
      parameters: { name: "vnet-net-b", upstreamId: deferred },
    });
    // Inside resources the engine keeps the expression that used the deferred parameter.
    expect(b!.resources[0]!.tags).toEqual({ upstream: { $deferred: "[parameters('upstreamId')]" } });
    // The plan is plain data: what the JSON renderer and the Durable activity serialize.
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });

  it("refuses a unit graph with problems before reading any template", () => {
    expect(() =>
      buildPlan(defaultSpec, { templatesDir: "/nonexistent", units: [unit("a", "network", ["b"])] }),
    ).toThrow(PlanError);
  });

  it("names the deployment whose template is missing, unreadable, lacks an output, or fails to expand", () => {
    const attempt = (units: DeploymentUnit[]): string[] => {
      try {
        buildPlan(defaultSpec, { templatesDir: dir, units });
      } catch (err) {
        expect(err).toBeInstanceOf(PlanError);
        return (err as PlanError).problems;
      }
      return expect.fail("expected a PlanError");
    };
    expect(attempt([unit("a", "network", [], { template: "missing.json" })])).toEqual([
      `Deployment "a": template missing.json not found at ${path.join(dir, "arm", "missing.json")}.`,
    ]);
    expect(attempt([unit("a", "network", [], { template: "broken.json" })])[0]).toMatch(
      /^Deployment "a": template broken\.json is not valid JSON/,
    );
    expect(
      attempt([
        unit("a", "network"),
        unit("b", "network", ["a"], { outputParameters: { upstreamId: { deployment: "a", output: "subnetId" } } }),
      ]),
    ).toEqual([
      'Deployment "b" reads parameter upstreamId from output subnetId of "a", whose template vnet.json has no such output.',
    ]);
    const [expansion] = attempt([unit("a", "network", [], { parameters: {} })]);
    expect(expansion).toMatch(/^Deployment "a" \(template vnet\.json\): .*name/);
  });
});

describe("buildPlan on the seed units", () => {
  const plan = buildPlan(defaultSpec);
  const deployments = planDeployments(plan);
  const resources = deployments.flatMap((d) => d.resources);
  const ofType = (type: string) => resources.filter((r) => r.type.toLowerCase() === type.toLowerCase());

  it("groups deployments into phases in order, each phase after the phases it needs", () => {
    const names = plan.phases.map((p) => p.name);
    expect(names).toEqual(PHASES.filter((p) => names.includes(p)));
    expect(names[0]).toBe("resourceGroups");
    const phaseOf = new Map(deployments.map((d) => [d.name, d.phase]));
    for (const phase of plan.phases) {
      const needed = new Set(phase.deployments.flatMap((d) => d.dependsOn.map((dep) => phaseOf.get(dep))));
      needed.delete(phase.name);
      expect([...needed].sort(), phase.name).toEqual([...phase.dependsOn].sort());
    }
  });

  it("expands every deployment into resources with ids in the spec's subscription", () => {
    expect(deployments.length).toBeGreaterThan(5);
    for (const d of deployments) {
      expect(d.resources.length, d.name).toBeGreaterThan(0);
      for (const r of d.resources)
        expect(r.id, `${d.name} ${r.type}`).toMatch(new RegExp(`^/subscriptions/${defaultSpec.subscriptionId}/`));
    }
  });

  it("contains the seed's resource groups, VNets, clusters, pools and access hosts", () => {
    expect(
      ofType("Microsoft.Resources/resourceGroups")
        .map((r) => r.name)
        .sort(),
    ).toEqual(["rg-k8s-demo-app1", "rg-k8s-demo-app2", "rg-k8s-demo-common", "rg-k8s-demo-mgmt"].sort());
    expect(
      ofType("Microsoft.Network/virtualNetworks")
        .map((r) => r.name)
        .sort(),
    ).toEqual(defaultSpec.clusters.map((c) => c.network.vnetName).sort());
    expect(
      ofType("Microsoft.ContainerService/managedClusters")
        .map((r) => r.name)
        .sort(),
    ).toEqual(defaultSpec.clusters.map((c) => c.aksName).sort());
    expect(ofType("Microsoft.Network/bastionHosts").map((r) => r.name)).toEqual([defaultSpec.access.bastion.name]);
    expect(ofType("Microsoft.Compute/virtualMachines").map((r) => r.name)).toEqual([defaultSpec.access.jumpbox.vmName]);
  });

  it("is deterministic and feeds outputs of earlier deployments as deferred references", () => {
    expect(buildPlan(defaultSpec)).toEqual(plan);
    const deferred = deployments.flatMap((d) =>
      Object.values(d.parameters).filter((v) => typeof v === "object" && v !== null && "$deferred" in v),
    );
    expect(deferred.length).toBeGreaterThan(0);
    for (const v of deferred)
      expect(v).toEqual({ $deferred: expect.stringMatching(/^\[reference to output \w+ of deployment [\w-]+\]$/) });
  });

  it("plans a different spec from a YAML file", async () => {
    const spec = await loadSpecFile(path.resolve(__dirname, "../fixtures/spec/two-clusters.yaml"));
    const other = buildPlan(spec);
    expect(other).toMatchObject({ environment: "k8s-lab", location: "westeurope" });
    const clusters = planDeployments(other)
      .flatMap((d) => d.resources)
      .filter((r) => r.type === "Microsoft.ContainerService/managedClusters");
    expect(clusters.map((r) => [r.name, r.location])).toEqual([
      ["aks-k8s-lab-mgmt", "westeurope"],
      ["aks-k8s-lab-apps", "westeurope"],
    ]);
  });
});
