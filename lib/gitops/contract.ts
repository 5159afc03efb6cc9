import { defaultSpec } from "../spec/default";

/**
 * The contract between the GitOps tree (templates/gitops) and the ARM add-on template that installs the AKS Flux
 * extension: the fluxConfiguration's single top-level kustomization points at `clusters/<name>` and supplies exactly
 * these keys in `postBuild.substitute`. Child Flux Kustomizations read them back from the `cluster-vars` ConfigMap.
 */
export const FLUX_SUBSTITUTE_VARIABLES = [
  "CLUSTER_NAME",
  "ENVIRONMENT",
  "LOCATION",
  "TENANT_ID",
  "SUBSCRIPTION_ID",
  "KEY_VAULT_NAME",
  "KEY_VAULT_URI",
  "DNS_ZONE_NAME",
  "DNS_ZONE_RESOURCE_GROUP",
  "ACR_LOGIN_SERVER",
  "INGRESS_HOST",
  "ACME_EMAIL",
  "ACME_SERVER",
  "CERT_MANAGER_CLIENT_ID",
  "ESO_CLIENT_ID",
  "INGRESS_KV_CLIENT_ID",
  "ISTIO_REVISION",
  "SPOT_CPU_LIMIT",
  "NODE_RESOURCE_GROUP",
] as const;
export type FluxSubstituteVariable = (typeof FLUX_SUBSTITUTE_VARIABLES)[number];
export type FluxSubstitutions = Record<FluxSubstituteVariable, string>;

/** Folder of the tree inside the Git repository; child Kustomization paths are written relative to the repo root. */
export const GITOPS_TREE_PATH = "templates/gitops";

/** Path the fluxConfiguration's top-level kustomization uses for one cluster. */
export function clusterPath(clusterName: string): string {
  return `${GITOPS_TREE_PATH}/clusters/${clusterName}`;
}

/**
 * The GitRepository the AKS Flux extension creates for the fluxConfiguration: named after the configuration
 * (`cluster-config` in templates/arm/cluster-addons.json), in its namespace. Child Kustomizations reference it.
 */
export const FLUX_GIT_SOURCE = { kind: "GitRepository", name: "cluster-config", namespace: "flux-system" } as const;

/** ConfigMap (in flux-system) that carries the substituted contract values to child Kustomizations. */
export const CLUSTER_VARS_CONFIGMAP = "cluster-vars";

export interface WorkloadIdentityServiceAccount {
  namespace: string;
  serviceAccount: string;
  /** Contract variable holding the user-assigned identity's client id. */
  clientIdVar: FluxSubstituteVariable;
}

/** Service accounts the ARM template federates (subject `system:serviceaccount:<namespace>:<serviceAccount>`). */
export const WORKLOAD_IDENTITY_CONTRACT: readonly WorkloadIdentityServiceAccount[] = [
  { namespace: "cert-manager", serviceAccount: "cert-manager", clientIdVar: "CERT_MANAGER_CLIENT_ID" },
  { namespace: "external-secrets", serviceAccount: "external-secrets", clientIdVar: "ESO_CLIENT_ID" },
  // Only on clusters with an ingress gateway (mgmt and app1 in the seed).
  {
    namespace: "aks-istio-ingress",
    serviceAccount: "aks-istio-ingressgateway-external",
    clientIdVar: "INGRESS_KV_CLIENT_ID",
  },
];

/**
 * Values of the right shape for rendering and validating the tree offline (ids are fixed sample GUIDs, never real).
 * Names follow the seed spec so rendered output reads like a real cluster's.
 */
export function sampleSubstitutions(clusterName: string): FluxSubstitutions {
  const spec = defaultSpec;
  const cluster = spec.clusters.find((c) => c.name === clusterName);
  const vault = spec.shared.keyVault.name;
  return {
    CLUSTER_NAME: clusterName,
    ENVIRONMENT: spec.name,
    LOCATION: spec.location,
    TENANT_ID: "11111111-1111-1111-1111-111111111111",
    SUBSCRIPTION_ID: "22222222-2222-2222-2222-222222222222",
    KEY_VAULT_NAME: vault,
    KEY_VAULT_URI: `https://${vault}.vault.azure.net/`,
    DNS_ZONE_NAME: spec.shared.dnsZone.name,
    DNS_ZONE_RESOURCE_GROUP: spec.commonResourceGroup,
    ACR_LOGIN_SERVER: `${spec.shared.containerRegistry.name}.azurecr.io`,
    INGRESS_HOST: spec.gitops.ingressHost,
    ACME_EMAIL: spec.gitops.acmeEmail,
    ACME_SERVER: spec.gitops.acmeServer,
    CERT_MANAGER_CLIENT_ID: "33333333-3333-3333-3333-333333333333",
    ESO_CLIENT_ID: "44444444-4444-4444-4444-444444444444",
    INGRESS_KV_CLIENT_ID: "55555555-5555-5555-5555-555555555555",
    // AKS-12: a cluster without the Istio add-on (app2) has no revision.
    ISTIO_REVISION: cluster && !cluster.addons.istioIngressGateway ? "" : "asm-1-26",
    SPOT_CPU_LIMIT: String(cluster?.pools.spot.cpuLimit ?? 64),
    NODE_RESOURCE_GROUP: cluster?.nodeResourceGroup ?? `rg-${spec.name}-${clusterName}-nodes`,
  };
}
