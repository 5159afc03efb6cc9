import type { IDeployment } from "kubernetes-models/apps/v1/Deployment" with { "resolution-mode": "import" };
import type { INamespace } from "kubernetes-models/v1/Namespace" with { "resolution-mode": "import" };
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget" with {
  "resolution-mode": "import",
};
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap" with { "resolution-mode": "import" };
import type { IKustomization } from "@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1/Kustomization" with {
  "resolution-mode": "import",
};
import type { IHelmRelease } from "@kubernetes-models/flux-cd/helm.toolkit.fluxcd.io/v2/HelmRelease" with {
  "resolution-mode": "import",
};
import type { IHelmRepository } from "@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1/HelmRepository" with {
  "resolution-mode": "import",
};
import type { ICertificate } from "@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate" with {
  "resolution-mode": "import",
};
import type { IClusterIssuer } from "@kubernetes-models/cert-manager/cert-manager.io/v1/ClusterIssuer" with {
  "resolution-mode": "import",
};
import type { IPushSecret } from "@kubernetes-models/external-secrets/external-secrets.io/v1alpha1/PushSecret" with {
  "resolution-mode": "import",
};
import type { ISecretStore } from "@kubernetes-models/external-secrets/external-secrets.io/v1/SecretStore" with {
  "resolution-mode": "import",
};
import type { IGateway } from "@kubernetes-models/istio/networking.istio.io/v1/Gateway" with {
  "resolution-mode": "import",
};
import type { INodePool } from "@kubernetes-models/karpenter/karpenter.sh/v1/NodePool" with {
  "resolution-mode": "import",
};
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  CLUSTER_VARS_CONFIGMAP,
  FLUX_SUBSTITUTE_VARIABLES,
  WORKLOAD_IDENTITY_CONTRACT,
  appliedObjects,
  dependsTransitively,
  fluxApplyOrder,
  modelKinds,
  rawObjects,
  renderCluster,
  sampleSubstitutions,
  validateObjects,
  workloadIdentityServiceAccounts,
  type AKSNodeClass,
  type ClusterRender,
  type K8sObject,
  type KyvernoClusterPolicy,
  type SecretProviderClass,
} from "../../lib/gitops";
import { defaultSpec } from "../../lib/spec/default";

const root = path.resolve(__dirname, "../..");
const clusters = defaultSpec.clusters.map((c) => c.name);
const renders = new Map<string, ClusterRender>();

function render(cluster: string): ClusterRender {
  const r = renders.get(cluster);
  if (r === undefined) throw new Error(`${cluster} not rendered`);
  return r;
}
/** Objects of one kind, typed with the model package's interface (the tree uses each kind name once). */
function byKind<T>(objects: readonly K8sObject[], kind: string): T[] {
  return objects.filter((o) => o.kind === kind) as unknown as T[];
}
function one<T>(objects: readonly K8sObject[], kind: string, name?: string): T {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  expect(found, `${kind} ${name ?? ""}`).toHaveLength(1);
  return found[0] as unknown as T;
}
const fluxKustomization = (r: ClusterRender, name: string): IKustomization =>
  one<IKustomization>(r.top.objects, "Kustomization", name);
interface ChartValues {
  podLabels: Record<string, string>;
  serviceAccount: { create: boolean; name: string };
}
const layerNames = (cluster: string): string[] => render(cluster).layers.map((l) => l.name);

beforeAll(() => {
  for (const c of clusters) renders.set(c, renderCluster(root, c, sampleSubstitutions(c)));
});

describe("the GitOps tree renders and validates for every cluster", () => {
  it.each(clusters)("%s: every applied object passes its schema (model package or extra-schemas)", async (cluster) => {
    const objects = appliedObjects(render(cluster));
    expect(objects.length).toBeGreaterThan(20);
    expect(await validateObjects(objects)).toEqual([]);
  });

  it.each(clusters)("%s: every local layer is rendered and reads cluster-vars (children do not inherit)", (cluster) => {
    for (const layer of render(cluster).layers.filter((l) => l.local)) {
      expect(layer.objects.length, layer.name).toBeGreaterThan(0);
      expect(fluxKustomization(render(cluster), layer.name).spec?.postBuild?.substituteFrom, layer.name).toEqual([
        { kind: "ConfigMap", name: CLUSTER_VARS_CONFIGMAP },
      ]);
    }
  });

  it("every kind the model table covers is used by the tree (no stale entries)", () => {
    const used = new Set(clusters.flatMap((c) => appliedObjects(render(c)).map((o) => `${o.apiVersion}/${o.kind}`)));
    expect(modelKinds().filter((k) => !used.has(k))).toEqual([]);
  });

  it("the validator catches broken objects, unknown kinds and scope mistakes", async () => {
    const objects = appliedObjects(render("app1"));
    const deployment = structuredClone(one<IDeployment>(objects, "Deployment", "sample-web"));
    const port = deployment.spec!.template.spec!.containers[0]!.ports![0]!;
    (port as { containerPort: unknown }).containerPort = "http";
    const audit = structuredClone(one<KyvernoClusterPolicy>(objects, "ClusterPolicy", "require-requests-limits"));
    (audit.spec.rules[0]!.validate as { failureAction: string }).failureAction = "Block";
    const legacy = structuredClone(
      one<KyvernoClusterPolicy>(objects, "ClusterPolicy", "disallow-privileged-containers"),
    );
    (legacy.spec as Record<string, unknown>)["validationFailureAction"] = "Enforce";
    const nodePool = structuredClone(one<K8sObject>(objects, "NodePool"));
    nodePool.metadata.namespace = "default";
    const unknown: K8sObject = {
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: "w", namespace: "x" },
    };
    const issues = await validateObjects([deployment, audit, legacy, nodePool, unknown] as K8sObject[]);
    expect(issues.map((i) => i.object)).toEqual([
      "apps/v1/Deployment/sample/sample-web",
      "kyverno.io/v1/ClusterPolicy//require-requests-limits",
      "kyverno.io/v1/ClusterPolicy//disallow-privileged-containers",
      "karpenter.sh/v1/NodePool/default/spot-d",
      "example.com/v1/Widget/x/w",
    ]);
    expect(issues[0]!.message).toMatch(/kubernetes-models: .*containerPort/);
    expect(issues[1]!.message).toMatch(/failureAction/);
    expect(issues[2]!.message).toMatch(/validationFailureAction/);
    expect(issues[3]!.message).toMatch(/cluster-scoped kind has a namespace/);
    expect(issues[4]!.message).toMatch(/no schema for example.com\/v1\/Widget/);
  });
});

describe("Flux dependency order (seed: platform.md Phase 2)", () => {
  it.each(clusters)("%s: the graph has no cycle and every dependency exists", (cluster) => {
    expect(fluxApplyOrder(render(cluster).layers)).toHaveLength(render(cluster).layers.length);
  });

  it("a cycle or a dangling dependency is reported", () => {
    const cycle = [
      { name: "a", dependsOn: ["b"] },
      { name: "b", dependsOn: ["a"] },
    ];
    expect(() => fluxApplyOrder(cycle)).toThrow(/dependency cycle: a -> b -> a/);
    expect(() => fluxApplyOrder([{ name: "a", dependsOn: ["zzz"] }])).toThrow(/dependsOn zzz/);
  });

  it.each(clusters)("%s: priority classes come before every other layer (ADD-1)", (cluster) => {
    const layers = render(cluster).layers;
    for (const l of layers.filter((x) => x.name !== "priority-classes")) {
      expect(dependsTransitively(layers, l.name, "priority-classes"), l.name).toBe(true);
    }
  });

  it.each(clusters)("%s: Gateway API CRDs -> cert-manager -> issuers (ADD-3, ADD-4)", (cluster) => {
    const layers = render(cluster).layers;
    const chain = ["priority-classes", "gateway-api-crds", "cert-manager", "cert-manager-issuers"];
    chain.slice(1).forEach((name, i) => expect(dependsTransitively(layers, name, chain[i]!), name).toBe(true));
    expect(layers.find((l) => l.name === "gateway-api-crds")?.source).toMatchObject({
      kind: "GitRepository",
      name: "gateway-api",
    });
  });

  it.each(["mgmt", "app1"])("%s: issuers/certificate -> Istio gateway resources -> Kiali", (cluster) => {
    const layers = render(cluster).layers;
    const chain = ["cert-manager-issuers", "ingress-certificate", "istio-gateway", "kiali-operator", "kiali"];
    chain.slice(1).forEach((name, i) => expect(dependsTransitively(layers, name, chain[i]!), name).toBe(true));
    expect(dependsTransitively(layers, "ingress-certificate", "external-secrets")).toBe(true);
    expect(dependsTransitively(layers, "istio-gateway", "reloader")).toBe(true);
  });

  it.each(["app1", "app2"])("%s: Kyverno -> policies -> sample workload", (cluster) => {
    const layers = render(cluster).layers;
    expect(dependsTransitively(layers, "kyverno-policies", "kyverno")).toBe(true);
    expect(dependsTransitively(layers, "workloads", "kyverno-policies")).toBe(true);
  });

  it.each(clusters)("%s: chart layers health-check their HelmRelease; chart versions are pinned", (cluster) => {
    const r = render(cluster);
    const repos = byKind<IHelmRepository>(r.top.objects, "HelmRepository").map(
      (h) => `${h.metadata?.namespace ?? ""}/${h.metadata?.name ?? ""}`,
    );
    for (const layer of r.layers) {
      const k = fluxKustomization(r, layer.name);
      const releases = byKind<IHelmRelease>(layer.objects, "HelmRelease");
      for (const hr of releases) {
        expect(k.spec?.healthChecks, layer.name).toContainEqual({
          apiVersion: "helm.toolkit.fluxcd.io/v2",
          kind: "HelmRelease",
          name: hr.metadata?.name,
          namespace: hr.metadata?.namespace,
        });
        const chart = hr.spec?.chart?.spec;
        expect(chart?.version, hr.metadata?.name).toMatch(/^v?\d+\.\d+\.\d+$/);
        expect(repos).toContain(`${chart?.sourceRef.namespace ?? ""}/${chart?.sourceRef.name ?? ""}`);
      }
      if (releases.length === 0 && layer.local) expect(k.spec?.wait, layer.name).toBeDefined();
    }
  });
  it.each(clusters)(
    "%s: no cross-namespace source references (the AKS Flux extension refuses them by default)",
    (cluster) => {
      const objects = appliedObjects(render(cluster));
      for (const hr of byKind<IHelmRelease>(objects, "HelmRelease")) {
        expect(hr.spec?.chart?.spec.sourceRef.namespace ?? hr.metadata?.namespace, hr.metadata?.name).toBe(
          hr.metadata?.namespace,
        );
      }
      for (const k of byKind<IKustomization>(objects, "Kustomization")) {
        expect(k.spec?.sourceRef.namespace ?? k.metadata?.namespace, k.metadata?.name).toBe(k.metadata?.namespace);
      }
    },
  );
});

describe("per-cluster differences", () => {
  it("app2 has no ingress gateway, Istio gateway resources or Kiali (AKS-5, AKS-12, ADD-7)", () => {
    const objects = appliedObjects(render("app2"));
    expect(layerNames("app2").filter((n) => /istio|kiali|ingress/.test(n))).toEqual([]);
    expect(objects.filter((o) => o.apiVersion.startsWith("networking.istio.io/"))).toEqual([]);
    expect(
      objects.filter((o) => ["Kiali", "SecretProviderClass", "Certificate", "PushSecret"].includes(o.kind)),
    ).toEqual([]);
    expect(objects.filter((o) => o.metadata.namespace === "aks-istio-ingress")).toEqual([]);
    // No Istio at all (the seed: "app2: Ingress/Istio 미배포"): no sidecar injection, no revision, no mesh object.
    expect(sampleSubstitutions("app2").ISTIO_REVISION).toBe("");
    const meshy = objects.filter((o) =>
      /istio\.io\/rev|istio-injection|sidecar\.istio|asm-\d+-\d+/.test(JSON.stringify(o)),
    );
    expect(meshy.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
  });

  it.each(["mgmt", "app1"])("%s has the ingress certificate, gateway resources and Kiali", (cluster) => {
    const kinds = appliedObjects(render(cluster)).map((o) => o.kind);
    expect(kinds).toEqual(
      expect.arrayContaining([
        "Certificate",
        "PushSecret",
        "SecretStore",
        "SecretProviderClass",
        "Gateway",
        "VirtualService",
        "Kiali",
      ]),
    );
  });

  it("Kyverno and its policies only on app1 and app2 (ADD-9)", () => {
    for (const cluster of clusters) {
      const has =
        layerNames(cluster).includes("kyverno") ||
        appliedObjects(render(cluster)).some((o) => o.apiVersion.startsWith("kyverno.io/"));
      expect(has, cluster).toBe(defaultSpec.clusters.find((c) => c.name === cluster)!.addons.kyverno);
    }
    expect(defaultSpec.clusters.filter((c) => c.addons.kyverno).map((c) => c.name)).toEqual(["app1", "app2"]);
  });

  it("Kyverno policies are all Enforce and cover privileged, requests/limits, registries and Spot PDBs", () => {
    const policies = byKind<KyvernoClusterPolicy>(appliedObjects(render("app1")), "ClusterPolicy");
    expect(policies.map((p) => p.metadata.name).sort()).toEqual([
      "disallow-privileged-containers",
      "require-pdb-for-spot",
      "require-requests-limits",
      "restrict-image-registries",
    ]);
    for (const p of policies)
      for (const rule of p.spec.rules) expect(rule.validate.failureAction, p.metadata.name).toBe("Enforce");
    const registry = policies.find((p) => p.metadata.name === "restrict-image-registries")!;
    const pattern = registry.spec.rules[0]!.validate.pattern as { spec: { containers: { image: string }[] } };
    expect(pattern.spec.containers[0]!.image).toBe(`${sampleSubstitutions("app1").ACR_LOGIN_SERVER}/*`);
  });
});

describe("substitution contract with the ARM add-on template", () => {
  it.each(clusters)("%s: every ${VAR} in the tree is a contract variable", (cluster) => {
    const r = render(cluster);
    const used = new Set([...r.top.variables, ...r.layers.flatMap((l) => l.variables)]);
    expect([...used].filter((v) => !(FLUX_SUBSTITUTE_VARIABLES as readonly string[]).includes(v))).toEqual([]);
  });

  it.each(clusters)("%s: cluster-vars hands every contract variable, unchanged, to the child layers", (cluster) => {
    const cm = one<IConfigMap>(render(cluster).top.objects, "ConfigMap", CLUSTER_VARS_CONFIGMAP);
    expect(cm.metadata?.namespace).toBe("flux-system");
    expect(cm.data).toEqual(sampleSubstitutions(cluster));
  });

  it("no Azure id is hard-coded: every GUID in the applied objects comes from a substitution", () => {
    const guid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
    for (const cluster of clusters)
      expect(JSON.stringify(rawObjects(render(cluster))).match(guid) ?? [], cluster).toEqual([]);
  });
});

describe("workload identity (ADD-11)", () => {
  it.each(clusters)("%s: annotated service accounts are exactly the contract triples for the cluster", (cluster) => {
    const found = workloadIdentityServiceAccounts(rawObjects(render(cluster)));
    const ingress = defaultSpec.clusters.find((c) => c.name === cluster)!.addons.istioIngressGateway;
    expect(found).toEqual(WORKLOAD_IDENTITY_CONTRACT.filter((t) => ingress || t.namespace !== "aks-istio-ingress"));
  });

  it("a hard-coded client id or a non-contract variable is refused", () => {
    const sa = (clientId: string): K8sObject => ({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "x", namespace: "y", annotations: { "azure.workload.identity/client-id": clientId } },
    });
    expect(() => workloadIdentityServiceAccounts([sa("11111111-1111-1111-1111-111111111111")])).toThrow(
      /one \$\{VAR\} placeholder/,
    );
    expect(() => workloadIdentityServiceAccounts([sa("${OTHER_ID}")])).toThrow(/OTHER_ID is not a contract variable/);
  });

  it.each(["mgmt", "app1"])("%s: pods using an identity carry azure.workload.identity/use=true", (cluster) => {
    const objects = appliedObjects(render(cluster));
    for (const name of ["cert-manager", "external-secrets"]) {
      const values = one<IHelmRelease>(objects, "HelmRelease", name).spec?.values as ChartValues;
      expect(values.podLabels["azure.workload.identity/use"], name).toBe("true");
      expect(values.serviceAccount, name).toEqual({ create: false, name });
    }
    const sync = one<IDeployment>(objects, "Deployment", "ingress-tls-sync");
    expect(sync.spec?.template.spec?.serviceAccountName).toBe("aks-istio-ingressgateway-external");
    expect(sync.spec?.template.metadata?.labels?.["azure.workload.identity/use"]).toBe("true");
  });
});

describe("certificates and secrets (ADD-4, ADD-5, ADD-6)", () => {
  it("Let's Encrypt over DNS-01 on Azure DNS with workload identity; renewal 30 days ahead", () => {
    const raw = rawObjects(render("app1"));
    const issuer = one<IClusterIssuer>(raw, "ClusterIssuer");
    expect(issuer.spec.acme?.server).toBe("${ACME_SERVER}");
    const azureDns = issuer.spec.acme?.solvers?.[0]?.dns01?.azureDNS;
    expect(azureDns).toMatchObject({
      hostedZoneName: "${DNS_ZONE_NAME}",
      resourceGroupName: "${DNS_ZONE_RESOURCE_GROUP}",
    });
    expect(azureDns?.managedIdentity).toEqual({ clientID: "${CERT_MANAGER_CLIENT_ID}" });
    const cert = one<ICertificate>(raw, "Certificate");
    expect(cert.spec?.renewBefore).toBe("720h");
    expect(cert.spec?.dnsNames).toEqual(["${INGRESS_HOST}"]);
    expect(cert.spec?.issuerRef).toMatchObject({ kind: "ClusterIssuer", name: issuer.metadata?.name });
  });

  it("the PushSecret's Key Vault secrets are mounted by the CSI class, synced to the Secret the gateway serves and Reloader watches", () => {
    const objects = appliedObjects(render("app1"));
    const cert = one<ICertificate>(objects, "Certificate");
    const push = one<IPushSecret>(objects, "PushSecret");
    const store = one<ISecretStore>(objects, "SecretStore");
    expect(push.metadata?.namespace).toBe(cert.metadata?.namespace);
    expect(push.spec?.selector.secret?.name).toBe(cert.spec?.secretName);
    expect(push.spec?.secretStoreRefs).toEqual([{ kind: "SecretStore", name: store.metadata?.name }]);
    expect(store.spec?.provider.azurekv).toMatchObject({
      authType: "WorkloadIdentity",
      serviceAccountRef: { name: "external-secrets" },
    });
    const pushed = Object.fromEntries(
      (push.spec?.data ?? []).map((d) => [d.match.secretKey ?? "", d.match.remoteRef.remoteKey] as const),
    );
    expect(Object.keys(pushed).sort()).toEqual(["tls.crt", "tls.key"]);

    const spc = one<SecretProviderClass>(objects, "SecretProviderClass");
    expect(spc.spec.parameters.clientID).toBe(sampleSubstitutions("app1").INGRESS_KV_CLIENT_ID);
    const synced = spc.spec.secretObjects![0]!;
    expect(synced.type).toBe("kubernetes.io/tls");
    expect(Object.fromEntries(synced.data.map((d) => [d.key, d.objectName]))).toEqual(pushed);
    for (const objectName of Object.values(pushed))
      expect(spc.spec.parameters.objects).toContain(`objectName: ${objectName}`);

    const gateway = one<IGateway>(objects, "Gateway");
    const https = gateway.spec?.servers?.find((s) => s.port?.protocol === "HTTPS");
    expect(https?.tls?.credentialName).toBe(synced.secretName);
    const revision = sampleSubstitutions("app1").ISTIO_REVISION;
    const gatewayDeployment = one<IDeployment>(objects, "Deployment", `aks-istio-ingressgateway-external-${revision}`);
    expect(gatewayDeployment.metadata?.annotations?.["secret.reloader.stakater.com/reload"]).toBe(synced.secretName);
    expect(gatewayDeployment.metadata?.annotations?.["kustomize.toolkit.fluxcd.io/prune"]).toBe("disabled");
    expect(gatewayDeployment.metadata?.annotations?.["kustomize.toolkit.fluxcd.io/ssa"]).toBe("Merge");
    expect(gatewayDeployment.spec).toBeUndefined();
    const mount = one<IDeployment>(objects, "Deployment", "ingress-tls-sync");
    expect(mount.spec?.template.spec?.volumes?.[0]?.csi?.volumeAttributes?.["secretProviderClass"]).toBe(
      spc.metadata.name,
    );
  });
});

describe("Spot capacity through NAP (AKS-6, ADD-12, AKS-13)", () => {
  const SPOT_TAINT = "kubernetes.azure.com/scalesetpriority";
  const toleratesSpot = (d: IDeployment): boolean =>
    (d.spec?.template.spec?.tolerations ?? []).some((t) => t.key === SPOT_TAINT);

  it.each(clusters)("%s: the NodePool is Spot-only, D family, three zones, CPU-capped and consolidating", (cluster) => {
    const vars = sampleSubstitutions(cluster);
    const objects = appliedObjects(render(cluster));
    const pool = one<INodePool>(objects, "NodePool");
    const reqs = pool.spec.template.spec.requirements;
    // No fallback: one capacity-type requirement, In [spot] only, and nothing else that could admit on-demand.
    expect(reqs.filter((r) => r.key === "karpenter.sh/capacity-type")).toEqual([
      { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] },
    ]);
    expect(JSON.stringify(pool)).not.toMatch(/on-demand/);
    expect(reqs.find((r) => r.key === "karpenter.azure.com/sku-family")).toEqual({
      key: "karpenter.azure.com/sku-family",
      operator: "In",
      values: ["D"],
    });
    expect(reqs.find((r) => r.key === "topology.kubernetes.io/zone")?.values).toEqual(
      ["1", "2", "3"].map((z) => `${vars.LOCATION}-${z}`),
    );
    expect(pool.spec.limits?.["cpu"]).toBe(vars.SPOT_CPU_LIMIT);
    expect(pool.spec.disruption?.consolidationPolicy).toBe("WhenEmptyOrUnderutilized");
    expect(pool.spec.template.spec.taints).toEqual([{ key: SPOT_TAINT, value: "spot", effect: "NoSchedule" }]);
    const ref = pool.spec.template.spec.nodeClassRef;
    expect(ref.group).toBe("karpenter.azure.com");
    expect(one<AKSNodeClass>(objects, "AKSNodeClass", ref.name).kind).toBe(ref.kind);
    // No other Karpenter object could offer on-demand capacity.
    expect(objects.filter((o) => o.apiVersion.startsWith("karpenter.sh/") && o.kind !== "NodePool")).toEqual([]);
  });

  it.each(clusters)(
    "%s: only the sample tolerates Spot; it has a PDB, zone spread and a baseline namespace",
    (cluster) => {
      const objects = appliedObjects(render(cluster));
      const deployments = byKind<IDeployment>(objects, "Deployment");
      const spot = deployments.filter(toleratesSpot);
      expect(spot.map((d) => d.metadata?.name)).toEqual(["sample-web"]);
      for (const d of spot) {
        const labels = d.spec?.template.metadata?.labels ?? {};
        const pdb = byKind<IPodDisruptionBudget>(objects, "PodDisruptionBudget").find(
          (p) =>
            p.metadata?.namespace === d.metadata?.namespace &&
            Object.entries(p.spec?.selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v),
        );
        expect(pdb, d.metadata?.name).toBeDefined();
        const spread = d.spec?.template.spec?.topologySpreadConstraints ?? [];
        expect(spread.map((t) => t.topologyKey)).toContain("topology.kubernetes.io/zone");
        const ns = one<INamespace>(objects, "Namespace", d.metadata?.namespace);
        expect(ns.metadata?.labels?.["pod-security.kubernetes.io/enforce"]).toBe("baseline");
      }
      // Add-ons installed as plain manifests stay off Spot and tolerate the system pool's CriticalAddonsOnly taint.
      for (const d of deployments.filter((x) => !toleratesSpot(x) && x.spec !== undefined)) {
        expect(d.spec?.template.spec?.tolerations, d.metadata?.name).toContainEqual({
          key: "CriticalAddonsOnly",
          operator: "Exists",
        });
      }
    },
  );

  it.each(clusters)("%s: every workload namespace enforces Pod Security baseline (AKS-13)", (cluster) => {
    const namespaces = byKind<INamespace>(appliedObjects(render(cluster)), "Namespace").filter(
      (n) => n.metadata?.labels?.["platform.aks-automation/workload"] === "true",
    );
    expect(namespaces.length).toBeGreaterThan(0);
    for (const n of namespaces)
      expect(n.metadata?.labels?.["pod-security.kubernetes.io/enforce"], n.metadata?.name).toBe("baseline");
  });
});
