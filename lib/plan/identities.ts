import type { ClusterSpec } from "../spec";

/**
 * The identity map (AKS-8, ADD-10, ADD-11): who gets which Azure role on what, per cluster. The deployment units
 * turn it into template parameters and the tests read it back, so a grant exists in exactly one place.
 */

/** Built-in role definition ids (the same in every tenant). */
export const ROLES = {
  AcrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
  BackupContributor: "5e467623-bb1f-42f4-a55d-6e525e11384b",
  Contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
  DnsZoneContributor: "befefa01-2a29-4197-83a8-272ff33ce314",
  KeyVaultCertificateUser: "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba",
  KeyVaultSecretsOfficer: "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
  KeyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
  ManagedIdentityOperator: "f1a07417-d97a-45cb-824c-7a7467783830",
  MonitoringMetricsPublisher: "3913510d-42f4-4e42-8a64-420c390055eb",
  NetworkContributor: "4d97b98b-1d4f-4787-a291-c67834d212e7",
  PrivateDnsZoneContributor: "b12aa53e-6015-4669-85d0-8515ebb3ae7f",
  Reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
  StorageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
} as const;
export type RoleName = keyof typeof ROLES;

/**
 * Principals of one cluster. Each template that grants roles knows how to resolve these keys to a principal id
 * (a parameter fed from an earlier deployment's output) and to a stable resource id (for the assignment name).
 */
export type PrincipalKey =
  | "controlPlane"
  | "kubelet"
  | "certManager"
  | "externalSecrets"
  | "ingressKeyVault"
  | "backupExtension"
  | "backupVault"
  | "monitoringAgent";

/**
 * Scopes a grant can target. Each key is resolved with resourceId() inside the template that deploys the grant;
 * `resourceGroup` means the group the deployment targets (the cluster's group: the backup snapshot group).
 */
export type ScopeKey =
  | "containerRegistry"
  | "clusterVnet"
  | "privateDnsZone"
  | "kubeletIdentity"
  | "dnsZone"
  | "keyVault"
  | "backupStorageAccount"
  | "backupVault"
  | "cluster"
  | "resourceGroup"
  | "containerInsightsDcr"
  | "prometheusDcr";

/** Template files (relative to templates/arm) that deploy role assignments. */
export type GrantTemplate =
  "cluster-identity.json" | "cluster-grants.json" | "cluster-addons.json" | "cluster-addons-common.json";

export interface RoleGrant {
  principal: PrincipalKey;
  role: RoleName;
  scope: ScopeKey;
  template: GrantTemplate;
  /** Requirement ids and the reason, kept on the assignment's `description`. */
  why: string;
  /** Whether the grant applies to this cluster. */
  appliesTo(cluster: ClusterSpec): boolean;
}

const always = (): boolean => true;
const withBackup = (c: ClusterSpec): boolean => c.addons.backup;
const withIngress = (c: ClusterSpec): boolean => c.addons.istioIngressGateway;

export const ROLE_GRANTS: readonly RoleGrant[] = [
  // Before the cluster exists: a BYO VNet, a custom private DNS zone and a user-assigned kubelet identity need these.
  {
    principal: "kubelet",
    role: "AcrPull",
    scope: "containerRegistry",
    template: "cluster-grants.json",
    why: "AKS-8: nodes pull images from the registry",
    appliesTo: always,
  },
  {
    principal: "controlPlane",
    role: "NetworkContributor",
    scope: "clusterVnet",
    template: "cluster-grants.json",
    why: "AKS-6/NET-1: node subnet join and NAP-created NICs in the BYO VNet",
    appliesTo: always,
  },
  {
    principal: "controlPlane",
    role: "PrivateDnsZoneContributor",
    scope: "privateDnsZone",
    template: "cluster-grants.json",
    why: "AKS-2: private API server records in the shared private zone",
    appliesTo: always,
  },
  {
    principal: "controlPlane",
    role: "ManagedIdentityOperator",
    scope: "kubeletIdentity",
    // AKS checks it at creation; granted with the identities, beside the network, so the cluster need not wait for it.
    template: "cluster-identity.json",
    why: "AKS-8: the control plane assigns the user-assigned kubelet identity",
    appliesTo: always,
  },
  // ADD-11 workload identities on shared resources.
  {
    principal: "certManager",
    role: "DnsZoneContributor",
    scope: "dnsZone",
    template: "cluster-addons-common.json",
    why: "ADD-4/ADD-11: ACME DNS-01 TXT records",
    appliesTo: always,
  },
  {
    principal: "certManager",
    role: "KeyVaultCertificateUser",
    scope: "keyVault",
    template: "cluster-addons-common.json",
    why: "ADD-11: cert-manager reads Key Vault certificates",
    appliesTo: always,
  },
  {
    principal: "externalSecrets",
    role: "KeyVaultSecretsOfficer",
    scope: "keyVault",
    template: "cluster-addons-common.json",
    why: "ADD-5/ADD-11: PushSecret writes TLS material to Key Vault",
    appliesTo: always,
  },
  {
    principal: "ingressKeyVault",
    role: "KeyVaultSecretsUser",
    scope: "keyVault",
    template: "cluster-addons-common.json",
    why: "ADD-5/ADD-11: the ingress gateway mounts the certificate with the CSI driver",
    appliesTo: withIngress,
  },
  // ADD-10 backup (AKS backup docs) and ADD-11.
  {
    principal: "backupExtension",
    role: "StorageBlobDataContributor",
    scope: "backupStorageAccount",
    template: "cluster-addons-common.json",
    why: "ADD-10: the backup extension writes to its blob container",
    appliesTo: withBackup,
  },
  {
    principal: "backupExtension",
    role: "BackupContributor",
    scope: "backupVault",
    template: "cluster-addons-common.json",
    why: "ADD-11: backup extension on the vault",
    appliesTo: withBackup,
  },
  {
    principal: "backupVault",
    role: "Reader",
    scope: "cluster",
    template: "cluster-addons.json",
    why: "ADD-10: the vault reads the cluster it protects",
    appliesTo: withBackup,
  },
  {
    principal: "backupVault",
    role: "Reader",
    scope: "resourceGroup",
    template: "cluster-addons.json",
    why: "ADD-10: the vault reads the snapshot resource group",
    appliesTo: withBackup,
  },
  {
    principal: "controlPlane",
    role: "Contributor",
    scope: "resourceGroup",
    template: "cluster-addons.json",
    why: "ADD-10: the cluster writes disk snapshots to the snapshot resource group",
    appliesTo: withBackup,
  },
  // ADD-11 monitoring agent (Container Insights with Entra auth; Managed Prometheus rule).
  {
    principal: "monitoringAgent",
    role: "MonitoringMetricsPublisher",
    scope: "containerInsightsDcr",
    template: "cluster-addons.json",
    why: "AKS-10/ADD-11: monitoring agent publishes through the Container Insights rule",
    appliesTo: always,
  },
  {
    principal: "monitoringAgent",
    role: "MonitoringMetricsPublisher",
    scope: "prometheusDcr",
    template: "cluster-addons.json",
    why: "AKS-10/ADD-11: monitoring agent publishes through the Prometheus rule",
    appliesTo: always,
  },
];

/** A workload identity federated with one Kubernetes service account (ADD-11). */
export interface WorkloadIdentity {
  principal: Extract<PrincipalKey, "certManager" | "externalSecrets" | "ingressKeyVault">;
  /** Suffix of the user-assigned identity name `id-<aksName>-<suffix>`. */
  suffix: string;
  namespace: string;
  serviceAccount: string;
  /** Flux substitution variable carrying the identity's client id to the GitOps tree. */
  clientIdVariable: "CERT_MANAGER_CLIENT_ID" | "ESO_CLIENT_ID" | "INGRESS_KV_CLIENT_ID";
  appliesTo(cluster: ClusterSpec): boolean;
}

export const WORKLOAD_IDENTITIES: readonly WorkloadIdentity[] = [
  {
    principal: "certManager",
    suffix: "cert-manager",
    namespace: "cert-manager",
    serviceAccount: "cert-manager",
    clientIdVariable: "CERT_MANAGER_CLIENT_ID",
    appliesTo: always,
  },
  {
    principal: "externalSecrets",
    suffix: "external-secrets",
    namespace: "external-secrets",
    serviceAccount: "external-secrets",
    clientIdVariable: "ESO_CLIENT_ID",
    appliesTo: always,
  },
  {
    principal: "ingressKeyVault",
    suffix: "ingress-kv",
    namespace: "aks-istio-ingress",
    serviceAccount: "aks-istio-ingressgateway-external",
    clientIdVariable: "INGRESS_KV_CLIENT_ID",
    appliesTo: withIngress,
  },
];

/** Resource-group-scoped grants have no `scope` property in ARM; they are passed to templates separately. */
export function isResourceGroupScope(scope: ScopeKey): boolean {
  return scope === "resourceGroup";
}

/** The template parameter entry for one grant (shaped for the role-assignment copy loops of the templates). */
export interface RoleAssignmentParameter {
  principal: PrincipalKey;
  roleDefinitionId: string;
  scope: ScopeKey;
  description: string;
}

/** Grants of one template for one cluster, split by ARM scope kind. */
export function roleAssignmentParameters(
  cluster: ClusterSpec,
  template: GrantTemplate,
): { roleAssignments: RoleAssignmentParameter[]; resourceGroupRoleAssignments: RoleAssignmentParameter[] } {
  const grants = ROLE_GRANTS.filter((g) => g.template === template && g.appliesTo(cluster));
  const toParameter = (g: RoleGrant): RoleAssignmentParameter => ({
    principal: g.principal,
    roleDefinitionId: ROLES[g.role],
    scope: g.scope,
    description: `${g.role}: ${g.why}`,
  });
  return {
    roleAssignments: grants.filter((g) => !isResourceGroupScope(g.scope)).map(toParameter),
    resourceGroupRoleAssignments: grants.filter((g) => isResourceGroupScope(g.scope)).map(toParameter),
  };
}

/** Principals whose ids a template needs as parameters (only those its grants use). */
export function principalsUsed(cluster: ClusterSpec, template: GrantTemplate): PrincipalKey[] {
  return [
    ...new Set(ROLE_GRANTS.filter((g) => g.template === template && g.appliesTo(cluster)).map((g) => g.principal)),
  ];
}
