import { ContainerServiceClient } from "@azure/arm-containerservice";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AksAdapter, DeploymentsAdapter, ResourceGroupsAdapter } from "../../lib/azure";
import { renewCertificateCommand } from "../../lib/ops/reactions";
import { startFixture, waitForDeployment, type SandboxFixture } from "./helpers";

// AKS through the real @azure/arm-containerservice client: run command against the simulated cluster state
// (nodes per pool, Karpenter spot nodes, pending pods) and the Istio revision lookup.

const aksTemplate = (revision: string, extensions: "serial" | "parallel" | "none" = "none") => ({
  $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  contentVersion: "1.0.0.0",
  resources: [
    {
      type: "Microsoft.ContainerService/managedClusters",
      apiVersion: "2026-05-01",
      name: "aks-mgmt",
      location: "koreacentral",
      identity: { type: "SystemAssigned" },
      properties: {
        dnsPrefix: "aks-mgmt",
        nodeResourceGroup: "rg-k8s-demo-mgmt-nodes",
        oidcIssuerProfile: { enabled: true },
        apiServerAccessProfile: { enablePrivateCluster: true },
        nodeProvisioningProfile: { mode: "Auto", defaultNodePools: "None" },
        serviceMeshProfile: { mode: "Istio", istio: { revisions: [revision] } },
        agentPoolProfiles: [
          { name: "system", mode: "System", count: 3, vmSize: "Standard_D2s_v5", availabilityZones: ["1", "2", "3"] },
        ],
      },
    },
    {
      type: "Microsoft.ContainerService/managedClusters/agentPools",
      apiVersion: "2026-05-01",
      name: "aks-mgmt/ingress",
      dependsOn: ["[resourceId('Microsoft.ContainerService/managedClusters', 'aks-mgmt')]"],
      properties: { mode: "User", count: 3, vmSize: "Standard_D2s_v5", availabilityZones: ["1", "2", "3"] },
    },
    ...(extensions === "none"
      ? []
      : ["flux", "backup"].map((name, i) => ({
          type: "Microsoft.KubernetesConfiguration/extensions",
          apiVersion: "2024-11-01",
          name,
          scope: "[format('Microsoft.ContainerService/managedClusters/{0}', 'aks-mgmt')]",
          dependsOn: [
            "[resourceId('Microsoft.ContainerService/managedClusters/agentPools', 'aks-mgmt', 'ingress')]",
            ...(extensions === "serial" && i === 1
              ? [
                  "[extensionResourceId(resourceId('Microsoft.ContainerService/managedClusters', 'aks-mgmt'), 'Microsoft.KubernetesConfiguration/extensions', 'flux')]",
                ]
              : []),
          ],
          properties: { extensionType: name === "flux" ? "microsoft.flux" : "microsoft.dataprotection.kubernetes" },
        }))),
  ],
  outputs: {
    oidcIssuerUrl: {
      type: "string",
      value:
        "[reference(resourceId('Microsoft.ContainerService/managedClusters', 'aks-mgmt'), '2026-05-01').oidcIssuerProfile.issuerURL]",
    },
    kubeletObjectId: {
      type: "string",
      value:
        "[reference(resourceId('Microsoft.ContainerService/managedClusters', 'aks-mgmt'), '2026-05-01').identityProfile.kubeletidentity.objectId]",
    },
  },
});

let f: SandboxFixture;
let aks: AksAdapter;
let deployments: DeploymentsAdapter;
const rg = "rg-k8s-demo-mgmt";

async function run(command: string) {
  const result = await aks.runCommand(rg, "aks-mgmt", command, { updateIntervalInMs: 50 });
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

beforeAll(async () => {
  f = await startFixture({ runCommandSeconds: 20, nodeProvisionSeconds: 300 });
  aks = new AksAdapter(f.connection, f.sandbox.subscriptionId);
  deployments = new DeploymentsAdapter(f.connection, f.sandbox.subscriptionId);
  const groups = new ResourceGroupsAdapter(f.connection, f.sandbox.subscriptionId);
  expect((await groups.ensure(rg, "koreacentral")).ok).toBe(true);
  const ref = { scope: "resourceGroup" as const, resourceGroup: rg, name: "cluster-mgmt" };
  expect((await deployments.start({ ...ref, template: aksTemplate("asm-1-26"), parameters: {} })).ok).toBe(true);
  const done = await waitForDeployment(deployments, ref);
  expect(done.state).toBe("succeeded");
  expect(done.outputs.oidcIssuerUrl).toMatch(/^https:\/\/koreacentral\.oic\.prod-aks\.azure\.com\/.+\/$/);
  expect(done.outputs.kubeletObjectId).toMatch(/^[0-9a-f-]{36}$/);
});
afterAll(async () => {
  await f.stop();
});

describe("AKS run command through @azure/arm-containerservice", () => {
  it("lists the Karpenter spot nodes of a node pool as kubectl JSON", async () => {
    const out = await run("kubectl get nodes -l karpenter.sh/nodepool=spot -o json");
    expect(out).toMatchObject({ provisioningState: "Succeeded", exitCode: 0 });
    const nodes = JSON.parse(out.logs) as {
      items: { metadata: { labels: Record<string, string> }; spec: { providerID: string } }[];
    };
    expect(nodes.items).toHaveLength(2);
    expect(nodes.items[0]!.metadata.labels["karpenter.sh/capacity-type"]).toBe("spot");
    expect(nodes.items[0]!.spec.providerID).toContain(
      "/resourceGroups/rg-k8s-demo-mgmt-nodes/providers/Microsoft.Compute/virtualMachines/",
    );
    const all = JSON.parse((await run("kubectl get nodes -o json")).logs) as { items: unknown[] };
    expect(all.items).toHaveLength(3 + 3 + 2);
  });

  it("shows evicted workloads as Pending and Karpenter's replacement in a zone that still has spot capacity", async () => {
    // No zone has spot capacity: evicted workloads stay Pending (AKS-6: never an on-demand fallback).
    f.sandbox.state.setSpotCapacity("aks-mgmt", { "1": false, "2": false, "3": false });
    const evicted = f.sandbox.state.evict("aks-mgmt", { count: 1 });
    expect(evicted).toHaveLength(1);
    f.sandbox.clock.advance(3600);
    const pending = JSON.parse(
      (await run("kubectl get pods -A --field-selector=status.phase=Pending -o json")).logs,
    ) as { items: unknown[] };
    expect(pending.items).toHaveLength(3);

    f.sandbox.state.setSpotCapacity("aks-mgmt", { "2": true });
    f.sandbox.clock.advance(301);
    expect(
      JSON.parse((await run("kubectl get pods -A --field-selector=status.phase=Pending -o json")).logs).items,
    ).toHaveLength(0);
    const spot = JSON.parse((await run("kubectl get nodes -l karpenter.sh/nodepool=spot -o json")).logs) as {
      items: { metadata: { labels: Record<string, string> } }[];
    };
    expect(spot.items.map((n) => n.metadata.labels["topology.kubernetes.io/zone"])).toContain("koreacentral-2");
  });

  it("records certificate renewals (the Issuing status patch) and rollout restarts", async () => {
    const renew = renewCertificateCommand({ name: "ingress-tls", namespace: "aks-istio-ingress" }, new Date());
    expect((await run(renew)).logs).toBe("certificate.cert-manager.io/ingress-tls patched\n");
    // Without the status subresource the API server ignores a status change: nothing is renewed.
    const onMain = await run(renew.replace(" --subresource=status", ""));
    expect(onMain).toMatchObject({
      exitCode: 0,
      logs: "certificate.cert-manager.io/ingress-tls patched (no change)\n",
    });
    expect(
      (await run("kubectl rollout restart deployment/aks-istio-ingressgateway-external -n aks-istio-ingress")).logs,
    ).toContain("restarted");
    const cluster = f.sandbox.state.cluster("aks-mgmt");
    expect(cluster.certificateRenewals).toEqual([
      expect.objectContaining({ name: "ingress-tls", namespace: "aks-istio-ingress", reason: "ManuallyTriggered" }),
    ]);
    expect(cluster.rolloutRestarts[0]).toMatchObject({ kind: "deployment", name: "aks-istio-ingressgateway-external" });
  });

  it("runs only the run-command image's tools: anything else is the shell's command not found, not an HTTP error", async () => {
    const renewals = f.sandbox.state.cluster("aks-mgmt").certificateRenewals.length;
    const cmctl = await run("cmctl renew ingress-tls -n aks-istio-ingress");
    expect(cmctl).toMatchObject({
      provisioningState: "Succeeded",
      exitCode: 127,
      logs: "/bin/bash: line 1: cmctl: command not found\n",
    });
    expect(f.sandbox.state.cluster("aks-mgmt").certificateRenewals).toHaveLength(renewals);
    // A missing tool later in a chain stops it there, after the earlier command's output.
    const chained = await run("kubectl get pods -n nowhere && az aks list");
    expect(chained.exitCode).toBe(127);
    expect(chained.logs).toBe("No resources found\n/bin/bash: line 1: az: command not found\n");
    // helm is in the image; the sandbox interprets none of its subcommands and says so.
    const helm = await run("helm list -A");
    expect(helm.exitCode).toBe(1);
    expect(helm.logs).toContain("does not interpret");
  });

  it("stops waiting for a run command when the activity's AbortSignal fires", async () => {
    const controller = new AbortController();
    const pending = aks.runCommand(rg, "aks-mgmt", "kubectl get nodes", {
      abortSignal: controller.signal,
      updateIntervalInMs: 50,
    });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });

  it("answers 404 for a cluster that does not exist, as a typed notFound result", async () => {
    const result = await aks.runCommand(rg, "aks-nope", "kubectl get nodes");
    expect(result).toMatchObject({ ok: false, error: { kind: "notFound", code: "ResourceNotFound" } });
  });
});

describe("Istio revisions and cluster writes", () => {
  it("looks up the mesh revision profile with the SDK and rejects a cluster asking for an unsupported revision", async () => {
    const revisions = await aks.istioRevisions("koreacentral");
    expect(revisions.ok && revisions.value.map((r) => r.revision)).toEqual(["asm-1-26", "asm-1-27"]);
    const client = new ContainerServiceClient(
      f.connection.credential,
      f.sandbox.subscriptionId,
      f.connection.clientOptions,
    );
    const profiles: string[] = [];
    for await (const p of client.managedClusters.listMeshRevisionProfiles("koreacentral")) profiles.push(p.name ?? "");
    expect(profiles).toEqual(["istio"]);

    const ref = { scope: "resourceGroup" as const, resourceGroup: rg, name: "cluster-bad-istio" };
    expect((await deployments.start({ ...ref, template: aksTemplate("asm-1-19"), parameters: {} })).ok).toBe(true);
    const failed = await waitForDeployment(deployments, ref);
    expect(failed.error?.details?.[0]).toMatchObject({ code: "IstioRevisionNotSupported" });
  });

  it("lets a Flux configuration install beside an extension write, but never two configurations at once", async () => {
    const clusterScope = "[format('Microsoft.ContainerService/managedClusters/{0}', 'aks-mgmt')]";
    const config = (name: string) => ({
      type: "Microsoft.KubernetesConfiguration/fluxConfigurations",
      apiVersion: "2024-11-01",
      name,
      scope: clusterScope,
      properties: { scope: "cluster", namespace: "flux-system", sourceKind: "GitRepository" },
    });
    const template = (resources: unknown[]) => ({
      $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
      contentVersion: "1.0.0.0",
      resources,
    });
    const cluster = { scope: "resourceGroup" as const, resourceGroup: rg, name: "addons-base" };
    expect(
      (await deployments.start({ ...cluster, template: aksTemplate("asm-1-26", "serial"), parameters: {} })).ok,
    ).toBe(true);
    expect((await waitForDeployment(deployments, cluster)).state).toBe("succeeded");

    const beside = { scope: "resourceGroup" as const, resourceGroup: rg, name: "config-beside-extension" };
    const backup = {
      type: "Microsoft.KubernetesConfiguration/extensions",
      apiVersion: "2024-11-01",
      name: "backup",
      scope: clusterScope,
      properties: { extensionType: "microsoft.dataprotection.kubernetes" },
    };
    expect((await deployments.start({ ...beside, template: template([backup, config("a")]), parameters: {} })).ok).toBe(
      true,
    );
    const together = await waitForDeployment(deployments, beside);
    expect(together.error).toBeUndefined();
    expect(together.state).toBe("succeeded");

    const two = { scope: "resourceGroup" as const, resourceGroup: rg, name: "two-configs" };
    expect(
      (await deployments.start({ ...two, template: template([config("b"), config("c")]), parameters: {} })).ok,
    ).toBe(true);
    const refused = await waitForDeployment(deployments, two);
    expect(refused.state).toBe("failed");
    expect(refused.error?.details?.map((d) => d.code)).toContain("AnotherOperationInProgress");
  });

  it("refuses an agent pool write while an extension of the cluster installs, and accepts the pool after it", async () => {
    // The plan's ingress-pool unit waits for the cluster's add-on unit for this reason (lib/plan/units.ts).
    const extensionId =
      "[extensionResourceId(resourceId('Microsoft.ContainerService/managedClusters', 'aks-mgmt'), 'Microsoft.KubernetesConfiguration/extensions', 'backup')]";
    const resources = (poolAfterExtension: boolean) => [
      {
        type: "Microsoft.KubernetesConfiguration/extensions",
        apiVersion: "2024-11-01",
        name: "backup",
        scope: "[format('Microsoft.ContainerService/managedClusters/{0}', 'aks-mgmt')]",
        properties: { extensionType: "microsoft.dataprotection.kubernetes" },
      },
      {
        type: "Microsoft.ContainerService/managedClusters/agentPools",
        apiVersion: "2026-05-01",
        name: "aks-mgmt/ingress",
        ...(poolAfterExtension ? { dependsOn: [extensionId] } : {}),
        properties: { mode: "User", count: 3, vmSize: "Standard_D2s_v5", availabilityZones: ["1", "2", "3"] },
      },
    ];
    const template = (poolAfterExtension: boolean) => ({
      $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
      contentVersion: "1.0.0.0",
      resources: resources(poolAfterExtension),
    });
    const beside = { scope: "resourceGroup" as const, resourceGroup: rg, name: "pool-beside-extension" };
    expect((await deployments.start({ ...beside, template: template(false), parameters: {} })).ok).toBe(true);
    const refused = await waitForDeployment(deployments, beside);
    expect(refused.state).toBe("failed");
    expect(refused.error?.details?.map((d) => d.code)).toContain("AnotherOperationInProgress");

    const after = { scope: "resourceGroup" as const, resourceGroup: rg, name: "pool-after-extension" };
    expect((await deployments.start({ ...after, template: template(true), parameters: {} })).ok).toBe(true);
    const done = await waitForDeployment(deployments, after);
    expect(done.error).toBeUndefined();
    expect(done.state).toBe("succeeded");
  });

  it("fails the second of two cluster extensions deployed without dependsOn, and accepts them serialized", async () => {
    const parallel = { scope: "resourceGroup" as const, resourceGroup: rg, name: "addons-parallel" };
    expect(
      (await deployments.start({ ...parallel, template: aksTemplate("asm-1-26", "parallel"), parameters: {} })).ok,
    ).toBe(true);
    const failed = await waitForDeployment(deployments, parallel);
    expect(failed.state).toBe("failed");
    expect(failed.error?.details?.map((d) => d.code)).toContain("AnotherOperationInProgress");

    const serial = { scope: "resourceGroup" as const, resourceGroup: rg, name: "addons-serial" };
    expect(
      (await deployments.start({ ...serial, template: aksTemplate("asm-1-26", "serial"), parameters: {} })).ok,
    ).toBe(true);
    const done = await waitForDeployment(deployments, serial);
    expect(done.error).toBeUndefined();
    expect(done.state).toBe("succeeded");
  });
});
