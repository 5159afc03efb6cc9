import { createHash } from "node:crypto";
import type { ClusterSpec, PlatformSpec } from "../spec";
import {
  principalsUsed,
  roleAssignmentParameters,
  WORKLOAD_IDENTITIES,
  type GrantTemplate,
  type PrincipalKey,
} from "./identities";
import { PHASES, type DeploymentUnit, type OutputReference, type PhaseName } from "./types";

/**
 * Spec → ARM deployment units (one template of templates/arm each), grouped in phases. Names are deterministic so a
 * re-run addresses the same deployments; values only Azure knows (principal ids, the OIDC issuer, the vault URI) flow
 * through `outputParameters`, everything else is a plain parameter or a resourceId() inside the template.
 *
 * Splitting rules (ARM rejects concurrent writes to one cluster, identity, VNet, and two deployments of one name):
 * no two units of the same phase write the same resource, and per cluster the operations AKS runs one at a time (the
 * extensions, the trusted-access binding, the ingress pool) are chained, the one nothing waits for last.
 */

/**
 * Istio add-on revision used when the spec pins none. The orchestration replaces the `istioRevision` parameter of
 * every unit that has one with the region's supported revision (meshRevisionProfiles) at deploy time.
 */
export const DEFAULT_ISTIO_REVISION = "asm-1-26";
export const ISTIO_REVISION_PARAMETER = "istioRevision";

/** The GitOps contract: variables every cluster's Flux configuration substitutes (owned by the GitOps tree). */
export { FLUX_SUBSTITUTE_VARIABLES as FLUX_SUBSTITUTION_VARIABLES } from "../gitops/contract";

/** Tables whose archive extends to the total retention (SH-3): Container Insights, AKS resource logs, App Insights. */
export const RETAINED_LOG_TABLES = [
  "ContainerLogV2",
  "KubeEvents",
  "KubePodInventory",
  "KubeNodeInventory",
  "KubePVInventory",
  "KubeServices",
  "KubeMonAgentEvents",
  "InsightsMetrics",
  "ContainerInventory",
  "ContainerNodeInventory",
  "Perf",
  "AKSAudit",
  "AKSAuditAdmin",
  "AKSControlPlane",
  "AzureDiagnostics",
  "AppRequests",
  "AppDependencies",
  "AppExceptions",
  "AppTraces",
] as const;

export const APP_INSIGHTS_TABLES: ReadonlySet<string> = new Set([
  "AppRequests",
  "AppDependencies",
  "AppExceptions",
  "AppTraces",
]);

const CONTAINER_INSIGHTS_STREAMS = [
  "Microsoft-ContainerLogV2",
  "Microsoft-KubeEvents",
  "Microsoft-KubePodInventory",
  "Microsoft-KubeNodeInventory",
  "Microsoft-KubePVInventory",
  "Microsoft-KubeServices",
  "Microsoft-KubeMonAgentEvents",
  "Microsoft-InsightsMetrics",
  "Microsoft-ContainerInventory",
  "Microsoft-ContainerNodeInventory",
  "Microsoft-Perf",
];

/** AKS resource logs kept in Log Analytics (kube-audit without reads: kube-audit-admin). */
const AKS_LOG_CATEGORIES = [
  "kube-apiserver",
  "kube-audit-admin",
  "kube-controller-manager",
  "kube-scheduler",
  "cluster-autoscaler",
  "guard",
  "cloud-controller-manager",
  "csi-azuredisk-controller",
  "csi-snapshot-controller",
];

/**
 * Recording rules Managed Prometheus onboarding installs with each cluster (node-exporter and cAdvisor series the
 * Azure Monitor dashboards read); the same expressions as the kubernetes-mixin / node-mixin rules.
 */
const NODE_RECORDING_RULES = [
  ["instance:node_num_cpu:sum", 'count without (cpu, mode) (node_cpu_seconds_total{job="node",mode="idle"})'],
  [
    "instance:node_cpu_utilisation:rate5m",
    '1 - avg without (cpu) (sum without (mode) (rate(node_cpu_seconds_total{job="node", mode=~"idle|iowait|steal"}[5m])))',
  ],
  ["instance:node_load1_per_cpu:ratio", '(node_load1{job="node"} / instance:node_num_cpu:sum{job="node"})'],
  [
    "instance:node_memory_utilisation:ratio",
    '1 - ((node_memory_MemAvailable_bytes{job="node"} or (node_memory_Buffers_bytes{job="node"} + node_memory_Cached_bytes{job="node"} + node_memory_MemFree_bytes{job="node"} + node_memory_Slab_bytes{job="node"})) / node_memory_MemTotal_bytes{job="node"})',
  ],
  ["instance:node_vmstat_pgmajfault:rate5m", 'rate(node_vmstat_pgmajfault{job="node"}[5m])'],
  [
    "instance_device:node_disk_io_time_seconds:rate5m",
    'rate(node_disk_io_time_seconds_total{job="node", device!=""}[5m])',
  ],
  [
    "instance_device:node_disk_io_time_weighted_seconds:rate5m",
    'rate(node_disk_io_time_weighted_seconds_total{job="node", device!=""}[5m])',
  ],
] as const;

const KUBERNETES_RECORDING_RULES = [
  [
    "node_namespace_pod_container:container_cpu_usage_seconds_total:sum_irate",
    'sum by (cluster, namespace, pod, container) (irate(container_cpu_usage_seconds_total{job="cadvisor", image!=""}[5m])) * on (cluster, namespace, pod) group_left(node) topk by (cluster, namespace, pod) (1, max by(cluster, namespace, pod, node) (kube_pod_info{node!=""}))',
  ],
  [
    "node_namespace_pod_container:container_memory_working_set_bytes",
    'container_memory_working_set_bytes{job="cadvisor", image!=""} * on (namespace, pod) group_left(node) topk by(namespace, pod) (1, max by(namespace, pod, node) (kube_pod_info{node!=""}))',
  ],
] as const;

function prometheusRuleGroups(cluster: ClusterSpec): unknown[] {
  const group = (prefix: string, description: string, rules: readonly (readonly [string, string])[]): unknown => ({
    name: `${prefix}-${cluster.aksName}`.slice(0, 260),
    description,
    rules: rules.map(([record, expression]) => ({ record, expression, enabled: true })),
  });
  return [
    group("NodeRecordingRulesRuleGroup", "Node recording rules (Managed Prometheus, AKS-10)", NODE_RECORDING_RULES),
    group(
      "KubernetesRecordingRulesRuleGroup",
      "Kubernetes recording rules (Managed Prometheus, AKS-10)",
      KUBERNETES_RECORDING_RULES,
    ),
  ];
}

export const NODE_SUBNET_NAME = "snet-aks-nodes";
export const BASTION_SUBNET_NAME = "AzureBastionSubnet";
export const JUMPBOX_SUBNET_NAME = "snet-jumpbox";
export const BACKUP_POLICY_NAME = "policy-aks-daily";
export const INGRESS_POOL_NAME = "ingress";
export const SYSTEM_POOL_NAME = "system";

/** ARM deployment names: `<env>-<kind>[-<cluster>]`, at most 64 characters. */
export function unitName(spec: PlatformSpec, kind: string, cluster?: ClusterSpec): string {
  const name = cluster ? `${spec.name}-${kind}-${cluster.name}` : `${spec.name}-${kind}`;
  if (name.length > 64)
    throw new Error(`deployment name '${name}' is longer than 64 characters (environment '${spec.name}')`);
  return name;
}

/** The Virtual Network Manager of the environment, its network group of cluster VNets and its mesh configuration. */
export function networkManagerNames(spec: PlatformSpec): {
  name: string;
  groupName: string;
  configurationName: string;
} {
  return { name: `avnm-${spec.name}`, groupName: "clusters", configurationName: "clusters-mesh" };
}

/** The private DNS zone shared by every private API server of the environment (AKS-2, NET). */
export function privateDnsZoneName(spec: PlatformSpec): string {
  return `privatelink.${spec.location}.azmk8s.io`;
}

export function networkSecurityGroupName(spec: PlatformSpec, cluster: ClusterSpec): string {
  return `nsg-${spec.name}-${cluster.name}`;
}

export function bastionNetworkSecurityGroupName(spec: PlatformSpec): string {
  return `nsg-${spec.name}-bastion`;
}

/**
 * Storage account for the backup extensions' blob containers (ADD-10). It lives in the common group, not in a
 * cluster's group, so the backed-up Kubernetes resources survive the loss of that group (cluster rebuild + restore).
 * Storage account names are global: a short hash of subscription and environment keeps them apart.
 */
export function backupStorageAccountName(spec: PlatformSpec): string {
  const hash = createHash("sha256").update(`${spec.subscriptionId}/${spec.name}`).digest("hex").slice(0, 6);
  return `st${spec.name.replace(/[^a-z0-9]/g, "").slice(0, 13)}bk${hash}`;
}

export function backupContainerName(cluster: ClusterSpec): string {
  return `aks-backup-${cluster.name}`;
}

export function backupInstanceName(cluster: ClusterSpec): string {
  return `bi-${cluster.aksName}`;
}

export function controlPlaneIdentityName(cluster: ClusterSpec): string {
  return `id-${cluster.aksName}-control-plane`;
}

export function kubeletIdentityName(cluster: ClusterSpec): string {
  return `id-${cluster.aksName}-kubelet`;
}

export function workloadIdentityName(cluster: ClusterSpec, suffix: string): string {
  return `id-${cluster.aksName}-${suffix}`;
}

/** Collection resource names of one cluster (DCE ≤ 44 characters, DCR ≤ 64). */
export function monitoringNames(
  spec: PlatformSpec,
  cluster: ClusterSpec,
): { endpoint: string; prometheusRule: string; containerInsightsRule: string } {
  return {
    endpoint: `MSProm-${spec.location}-${cluster.aksName}`.slice(0, 44),
    prometheusRule: `MSProm-${spec.location}-${cluster.aksName}`.slice(0, 64),
    containerInsightsRule: `MSCI-${spec.location}-${cluster.aksName}`.slice(0, 64),
  };
}

/** The Flux kustomization path of a cluster: `<gitops.path>/clusters/<name>` (ADD-8). */
export function fluxKustomizationPath(spec: PlatformSpec, cluster: ClusterSpec): string {
  const base = spec.gitops.path.replace(/^\.?\/+/, "").replace(/\/+$/, "");
  return base === "" ? `clusters/${cluster.name}` : `${base}/clusters/${cluster.name}`;
}

type SecurityRule = { name: string; properties: Record<string, unknown> };

function rule(
  name: string,
  priority: number,
  direction: "Inbound" | "Outbound",
  source: string,
  destination: string,
  ports: string[],
  protocol: "Tcp" | "*" = "Tcp",
): SecurityRule {
  return {
    name,
    properties: {
      priority,
      direction,
      access: "Allow",
      protocol,
      sourceAddressPrefix: source,
      sourcePortRange: "*",
      destinationAddressPrefix: destination,
      ...(ports.length === 1 ? { destinationPortRange: ports[0] } : { destinationPortRanges: ports }),
    },
  };
}

/** The NSG rules Azure Bastion requires on AzureBastionSubnet (Bastion refuses a subnet NSG without them). */
export const BASTION_SECURITY_RULES: readonly SecurityRule[] = [
  rule("AllowHttpsInbound", 120, "Inbound", "Internet", "*", ["443"]),
  rule("AllowGatewayManagerInbound", 130, "Inbound", "GatewayManager", "*", ["443"]),
  rule("AllowAzureLoadBalancerInbound", 140, "Inbound", "AzureLoadBalancer", "*", ["443"]),
  rule("AllowBastionHostCommunication", 150, "Inbound", "VirtualNetwork", "VirtualNetwork", ["8080", "5701"], "*"),
  rule("AllowSshRdpOutbound", 100, "Outbound", "*", "VirtualNetwork", ["22", "3389"], "*"),
  rule("AllowAzureCloudOutbound", 110, "Outbound", "*", "AzureCloud", ["443"]),
  rule("AllowBastionCommunication", 120, "Outbound", "VirtualNetwork", "VirtualNetwork", ["8080", "5701"], "*"),
  rule("AllowHttpOutbound", 130, "Outbound", "*", "Internet", ["80"], "*"),
];

/** Cluster NSG: the default rules allow VNet and peered traffic; an ingress cluster also takes HTTP(S) from the Internet. */
function clusterSecurityRules(cluster: ClusterSpec): SecurityRule[] {
  return cluster.addons.istioIngressGateway
    ? // AKS load-balancer rules use floating IP: packets still carry the public frontend address, so the destination
      // cannot be the node subnet. Nodes have no public IPs; only the load balancer's frontends are reachable.
      [rule("AllowIngressHttpInbound", 200, "Inbound", "Internet", "*", ["80", "443"])]
    : [];
}

function hostCluster(spec: PlatformSpec): ClusterSpec {
  const host = spec.clusters.find((c) => c.name === spec.access.hostCluster);
  if (!host) throw new Error(`access.hostCluster '${spec.access.hostCluster}' names no cluster of the spec`);
  return host;
}

/** The NSGs of a cluster's network unit: its own, and Bastion's on the access host. */
function clusterNetworkSecurityGroups(
  spec: PlatformSpec,
  c: ClusterSpec,
  host: ClusterSpec,
): { name: string; securityRules: readonly SecurityRule[] }[] {
  return [
    { name: networkSecurityGroupName(spec, c), securityRules: clusterSecurityRules(c) },
    ...(c.name === host.name
      ? [{ name: bastionNetworkSecurityGroupName(spec), securityRules: BASTION_SECURITY_RULES }]
      : []),
  ];
}

function clusterVirtualNetwork(spec: PlatformSpec, c: ClusterSpec, host: ClusterSpec): unknown {
  return {
    name: c.network.vnetName,
    addressPrefix: c.network.vnetCidr,
    subnets: [
      {
        name: NODE_SUBNET_NAME,
        addressPrefix: c.network.nodeSubnetCidr,
        networkSecurityGroup: networkSecurityGroupName(spec, c),
      },
      ...(c.name === host.name
        ? [
            {
              name: BASTION_SUBNET_NAME,
              addressPrefix: spec.access.bastion.subnetCidr,
              networkSecurityGroup: bastionNetworkSecurityGroupName(spec),
            },
            {
              name: JUMPBOX_SUBNET_NAME,
              addressPrefix: spec.access.jumpbox.subnetCidr,
              networkSecurityGroup: networkSecurityGroupName(spec, c),
            },
          ]
        : []),
    ],
  };
}

export interface Peering {
  name: string;
  virtualNetwork: string;
  remoteVirtualNetwork: string;
}

/**
 * The peerings written on `c`'s VNet under the spec's topology: full mesh, every other VNet (N−1 per VNet);
 * hub and spoke, the hub (the access host's VNet) peers with every spoke and each spoke only with the hub; Virtual
 * Network Manager, none (its connected group replaces them).
 */
export function vnetPeerings(spec: PlatformSpec, c: ClusterSpec, host: ClusterSpec = hostCluster(spec)): Peering[] {
  if (spec.network.topology === "virtualNetworkManager") return [];
  const remotes =
    spec.network.topology === "fullMesh" || c.name === host.name
      ? spec.clusters.filter((b) => b.name !== c.name)
      : [host];
  return remotes.map((b) => ({
    name: `peer-to-${b.network.vnetName}`,
    virtualNetwork: c.network.vnetName,
    remoteVirtualNetwork: b.network.vnetName,
  }));
}

function backupPolicyRules(spec: PlatformSpec): unknown[] {
  const { dailyBackupTimeUtc, retentionDays } = spec.shared.backupVault;
  const operationalStore = { dataStoreType: "OperationalStore", objectType: "DataStoreInfoBase" };
  return [
    {
      name: "BackupDaily",
      objectType: "AzureBackupRule",
      backupParameters: { objectType: "AzureBackupParams", backupType: "Incremental" },
      dataStore: operationalStore,
      trigger: {
        objectType: "ScheduleBasedTriggerContext",
        // ISO 8601 repeating interval: the date is only an anchor, the time of day is what repeats (UTC).
        schedule: { repeatingTimeIntervals: [`R/2024-01-01T${dailyBackupTimeUtc}:00+00:00/P1D`], timeZone: "UTC" },
        taggingCriteria: [{ isDefault: true, taggingPriority: 99, tagInfo: { tagName: "Default" } }],
      },
    },
    {
      name: "Default",
      objectType: "AzureRetentionRule",
      isDefault: true,
      lifecycles: [
        {
          deleteAfter: { objectType: "AbsoluteDeleteOption", duration: `P${retentionDays}D` },
          sourceDataStore: operationalStore,
          targetDataStoreCopySettings: [],
        },
      ],
    },
  ];
}

function out(deployment: string, output: string): OutputReference {
  return { deployment, output };
}

/** outputParameters for the principal ids a grant template needs, from the deployments that create them. */
function principalOutputs(
  cluster: ClusterSpec,
  template: GrantTemplate,
  sources: Partial<Record<PrincipalKey, string>>,
): Record<string, OutputReference> {
  const result: Record<string, OutputReference> = {};
  for (const principal of principalsUsed(cluster, template)) {
    const deployment = sources[principal];
    if (!deployment)
      throw new Error(
        `no deployment provides the principal id of '${principal}' for ${template} (cluster '${cluster.name}')`,
      );
    result[`${principal}PrincipalId`] = out(deployment, `${principal}PrincipalId`);
  }
  return result;
}

export function buildDeploymentUnits(spec: PlatformSpec): DeploymentUnit[] {
  const units: DeploymentUnit[] = [];
  const common = spec.commonResourceGroup;
  const tags = spec.tags;
  const host = hostCluster(spec);
  const istioRevision = spec.istio.revision ?? DEFAULT_ISTIO_REVISION;
  const add = (
    unit: Omit<DeploymentUnit, "outputParameters" | "dependsOn"> &
      Partial<Pick<DeploymentUnit, "outputParameters" | "dependsOn">>,
  ): string => {
    units.push({ outputParameters: {}, dependsOn: [], ...unit });
    return unit.name;
  };
  const rgUnit = (phase: PhaseName, kind: string, group: string, cluster?: ClusterSpec): string =>
    add({
      name: unitName(spec, kind, cluster),
      phase,
      scope: "subscription",
      ...(cluster ? { cluster: cluster.name } : {}),
      template: "resource-group.json",
      parameters: { name: group, location: spec.location, tags },
    });

  // Phase resourceGroups (RG-1, AKS-11).
  const commonRg = rgUnit("resourceGroups", "rg", common);
  const clusterRgs = new Map(spec.clusters.map((c) => [c.name, rgUnit("resourceGroups", "rg", c.resourceGroup, c)]));
  const defender = spec.defenderForContainers
    ? add({
        name: unitName(spec, "defender"),
        phase: "resourceGroups",
        scope: "subscription",
        template: "defender.json",
        parameters: {},
      })
    : undefined;

  // Phase network (NET-1..NET-4): each cluster's VNet, subnets and NSGs are its own unit (all a cluster reads of the
  // network at creation), the private DNS zone another; peerings and zone links run beside the clusters.
  const networks = new Map(
    spec.clusters.map((c) => [
      c.name,
      add({
        name: unitName(spec, "network", c),
        phase: "network",
        scope: "resourceGroup",
        resourceGroup: common,
        cluster: c.name,
        template: "network.json",
        parameters: {
          location: spec.location,
          tags,
          networkSecurityGroups: clusterNetworkSecurityGroups(spec, c, host),
          virtualNetworks: [clusterVirtualNetwork(spec, c, host)],
        },
        dependsOn: [commonRg],
      }),
    ]),
  );
  const dns = add({
    name: unitName(spec, "dns"),
    phase: "network",
    scope: "resourceGroup",
    resourceGroup: common,
    template: "network.json",
    parameters: { location: spec.location, tags, privateDnsZoneName: privateDnsZoneName(spec) },
    dependsOn: [commonRg],
  });
  // One unit per local VNet: its peerings are written one at a time (ARM rejects concurrent peering writes on one
  // VNet), different VNets' peerings side by side. A peering needs its remote VNet, so it waits for that unit too;
  // spanning clusters, the unit is the platform's, not one cluster's.
  for (const c of spec.clusters) {
    const peerings = vnetPeerings(spec, c, host);
    add({
      name: unitName(spec, "peerings", c),
      phase: "network",
      scope: "resourceGroup",
      resourceGroup: common,
      template: "network.json",
      parameters: {
        location: spec.location,
        tags,
        peerings,
        privateDnsZoneLinks: [{ zone: privateDnsZoneName(spec), virtualNetwork: c.network.vnetName }],
      },
      dependsOn: [
        ...new Set([networks.get(c.name)!, ...peerings.map((p) => networkUnitOfVnet(p.remoteVirtualNetwork)), dns]),
      ],
    });
  }
  // Virtual Network Manager (AVNM): the manager, one group of every cluster VNet and a Mesh connectivity configuration
  // in one unit beside the clusters; the build commits the configuration once the unit has deployed.
  if (spec.network.topology === "virtualNetworkManager") {
    const manager = networkManagerNames(spec);
    add({
      name: unitName(spec, "avnm"),
      phase: "network",
      scope: "resourceGroup",
      resourceGroup: common,
      template: "network-manager.json",
      parameters: {
        location: spec.location,
        tags,
        networkManager: {
          ...manager,
          subscriptionId: spec.subscriptionId,
          virtualNetworks: spec.clusters.map((c) => c.network.vnetName),
        },
      },
      dependsOn: [...networks.values()],
      commit: {
        networkManager: manager.name,
        commitType: "Connectivity",
        configurationOutput: "connectivityConfigurationId",
        targetLocations: [spec.location],
      },
    });
  }
  function networkUnitOfVnet(vnet: string): string {
    return networks.get(spec.clusters.find((c) => c.network.vnetName === vnet)!.name)!;
  }

  // Phase sharedServices (SH-1..SH-7, ACC-1).
  const s = spec.shared;
  const crossRegionRestore = s.backupVault.crossRegionRestore && s.backupVault.storageRedundancy === "GeoRedundant";
  const backupClusters = spec.clusters.filter((c) => c.addons.backup);
  const monitoring = add({
    name: unitName(spec, "monitoring"),
    phase: "sharedServices",
    scope: "resourceGroup",
    resourceGroup: common,
    template: "monitoring.json",
    parameters: {
      location: spec.location,
      tags,
      monitorWorkspaceName: s.monitorWorkspace.name,
      logAnalyticsName: s.logAnalytics.name,
      logAnalyticsSku: s.logAnalytics.sku,
      logAnalyticsRetentionInDays: s.logAnalytics.interactiveRetentionDays,
    },
    dependsOn: [commonRg],
  });
  const shared = add({
    name: unitName(spec, "shared"),
    phase: "sharedServices",
    scope: "resourceGroup",
    resourceGroup: common,
    template: "shared.json",
    parameters: {
      location: spec.location,
      tags,
      keyVaultName: s.keyVault.name,
      keyVaultSoftDeleteRetentionInDays: s.keyVault.softDeleteRetentionDays,
      logAnalyticsName: s.logAnalytics.name,
      logAnalyticsTables: RETAINED_LOG_TABLES.map((name) => ({
        name,
        // Workspace-based Application Insights keeps its data in the App* tables: their retention is SH-4's.
        retentionInDays: APP_INSIGHTS_TABLES.has(name)
          ? s.appInsights.retentionDays
          : s.logAnalytics.interactiveRetentionDays,
        totalRetentionInDays: s.logAnalytics.totalRetentionDays,
      })),
      appInsightsName: s.appInsights.name,
      appInsightsRetentionInDays: s.appInsights.retentionDays,
      backupVaultName: s.backupVault.name,
      backupVaultStorageSettings: [{ datastoreType: "VaultStore", type: s.backupVault.storageRedundancy }],
      backupVaultCrossRegionRestore: crossRegionRestore ? "Enabled" : "Disabled",
      backupPolicyName: BACKUP_POLICY_NAME,
      backupPolicyRules: backupPolicyRules(spec),
      dnsZoneName: s.dnsZone.name,
      containerRegistryName: s.containerRegistry.name,
      containerRegistrySku: s.containerRegistry.sku,
      backupStorageAccountName: backupStorageAccountName(spec),
      backupStorageSkuName: crossRegionRestore ? "Standard_GZRS" : "Standard_ZRS",
      backupContainers: backupClusters.map(backupContainerName),
      networkSecurityGroupNames: [
        ...spec.clusters.map((c) => networkSecurityGroupName(spec, c)),
        bastionNetworkSecurityGroupName(spec),
      ],
      virtualNetworkNames: spec.clusters.map((c) => c.network.vnetName),
    },
    dependsOn: [commonRg, monitoring, ...networks.values()],
  });
  const hostRg = clusterRgs.get(host.name);
  add({
    name: unitName(spec, "access"),
    phase: "sharedServices",
    scope: "resourceGroup",
    resourceGroup: host.resourceGroup,
    template: "access.json",
    parameters: {
      location: spec.location,
      tags,
      networkResourceGroup: common,
      virtualNetworkName: host.network.vnetName,
      bastionName: spec.access.bastion.name,
      bastionSku: spec.access.bastion.sku,
      jumpboxName: spec.access.jumpbox.vmName,
      jumpboxVmSize: spec.access.jumpbox.vmSize,
      jumpboxSubnetName: JUMPBOX_SUBNET_NAME,
      adminUsername: spec.access.jumpbox.adminUsername,
      logAnalyticsResourceGroup: common,
      logAnalyticsName: s.logAnalytics.name,
    },
    dependsOn: [...(hostRg ? [hostRg] : []), networks.get(host.name)!, monitoring],
  });

  // Phases clusters and addons, per cluster; clusters run side by side.
  for (const c of spec.clusters) {
    const rg = clusterRgs.get(c.name);
    const names = monitoringNames(spec, c);
    // Where the cluster's collection rules and their workspaces are (cluster.json creates the rules,
    // cluster-monitoring.json associates them).
    const collection = {
      commonResourceGroup: common,
      logAnalyticsName: s.logAnalytics.name,
      monitorWorkspaceName: s.monitorWorkspace.name,
      dataCollectionEndpointName: names.endpoint,
      prometheusDataCollectionRuleName: names.prometheusRule,
      containerInsightsDataCollectionRuleName: names.containerInsightsRule,
    };
    const identity = add({
      name: unitName(spec, "identity", c),
      phase: "clusters",
      scope: "resourceGroup",
      resourceGroup: c.resourceGroup,
      cluster: c.name,
      template: "cluster-identity.json",
      parameters: {
        location: spec.location,
        tags,
        clusterName: c.aksName,
        controlPlaneIdentityName: controlPlaneIdentityName(c),
        kubeletIdentityName: kubeletIdentityName(c),
        roleAssignments: roleAssignmentParameters(c, "cluster-identity.json").roleAssignments,
      },
      dependsOn: rg ? [rg] : [],
    });
    // What AKS checks at creation (the subnet join, the private zone) is one unit; AcrPull is needed only once
    // workloads pull from the registry, so it runs beside the cluster with the same template.
    const grantsAt = (kind: string, scopes: (scope: string) => boolean, dependsOn: string[]): string =>
      add({
        name: unitName(spec, kind, c),
        phase: "clusters",
        scope: "resourceGroup",
        resourceGroup: common,
        cluster: c.name,
        template: "cluster-grants.json",
        parameters: {
          clusterName: c.aksName,
          clusterResourceGroup: c.resourceGroup,
          virtualNetworkName: c.network.vnetName,
          privateDnsZoneName: privateDnsZoneName(spec),
          containerRegistryName: s.containerRegistry.name,
          roleAssignments: roleAssignmentParameters(c, "cluster-grants.json").roleAssignments.filter((r) =>
            scopes(r.scope),
          ),
        },
        outputParameters: principalOutputs(c, "cluster-grants.json", { controlPlane: identity, kubelet: identity }),
        dependsOn,
      });
    const grants = grantsAt("grants", (scope) => scope !== "containerRegistry", [identity, networks.get(c.name)!, dns]);
    grantsAt("acr-grants", (scope) => scope === "containerRegistry", [identity, shared]);
    const aks = add({
      name: unitName(spec, "aks", c),
      phase: "clusters",
      scope: "resourceGroup",
      resourceGroup: c.resourceGroup,
      cluster: c.name,
      template: "cluster.json",
      parameters: {
        location: spec.location,
        tags,
        clusterName: c.aksName,
        kubernetesVersion: c.kubernetesVersion ?? "",
        tier: c.tier,
        nodeResourceGroup: c.nodeResourceGroup,
        controlPlaneIdentityName: controlPlaneIdentityName(c),
        kubeletIdentityName: kubeletIdentityName(c),
        networkResourceGroup: common,
        virtualNetworkName: c.network.vnetName,
        nodeSubnetName: NODE_SUBNET_NAME,
        privateDnsZoneName: privateDnsZoneName(spec),
        podCidr: c.network.podCidr,
        serviceCidr: c.network.serviceCidr,
        dnsServiceIP: c.network.dnsServiceIp,
        systemAgentPool: {
          name: SYSTEM_POOL_NAME,
          vmSize: c.pools.system.vmSize,
          count: c.pools.system.count,
          availabilityZones: c.pools.system.zones,
        },
        [ISTIO_REVISION_PARAMETER]: c.addons.istioIngressGateway ? istioRevision : "",
        istioIngressGateway: c.addons.istioIngressGateway,
        ...collection,
        containerInsightsStreams: CONTAINER_INSIGHTS_STREAMS,
      },
      // Exactly what the cluster reads at creation (test/plan/cluster-dependencies.test.ts derives it from the template).
      dependsOn: [networks.get(c.name)!, dns, identity, grants, monitoring, ...(defender ? [defender] : [])],
    });
    // What only needs the cluster to exist and is no operation on it runs beside its add-ons, so the cluster's
    // deployment ends with the cluster and the extensions start at once.
    add({
      name: unitName(spec, "aks-monitoring", c),
      phase: "clusters",
      scope: "resourceGroup",
      resourceGroup: c.resourceGroup,
      cluster: c.name,
      template: "cluster-monitoring.json",
      parameters: {
        location: spec.location,
        tags,
        clusterName: c.aksName,
        ...collection,
        diagnosticLogCategories: AKS_LOG_CATEGORIES,
        prometheusRuleGroups: prometheusRuleGroups(c),
      },
      dependsOn: [aks],
    });
    const workloadIdentities = WORKLOAD_IDENTITIES.filter((w) => w.appliesTo(c)).map((w) => ({
      principal: w.principal,
      name: workloadIdentityName(c, w.suffix),
      namespace: w.namespace,
      serviceAccount: w.serviceAccount,
    }));
    const addonGrants = roleAssignmentParameters(c, "cluster-addons.json");
    const addons = add({
      name: unitName(spec, "addons", c),
      phase: "addons",
      scope: "resourceGroup",
      resourceGroup: c.resourceGroup,
      cluster: c.name,
      template: "cluster-addons.json",
      parameters: {
        location: spec.location,
        tags,
        clusterName: c.aksName,
        workloadIdentities,
        fluxGitRepository: {
          url: spec.gitops.repositoryUrl,
          repositoryRef: { branch: spec.gitops.branch },
          syncIntervalInSeconds: 60,
          timeoutInSeconds: 600,
        },
        fluxKustomizationPath: fluxKustomizationPath(spec, c),
        fluxSyncIntervalInSeconds: 60,
        fluxSettings: {
          CLUSTER_NAME: c.name,
          ENVIRONMENT: spec.name,
          LOCATION: spec.location,
          KEY_VAULT_NAME: s.keyVault.name,
          DNS_ZONE_NAME: s.dnsZone.name,
          DNS_ZONE_RESOURCE_GROUP: common,
          INGRESS_HOST: spec.gitops.ingressHost,
          ACME_EMAIL: spec.gitops.acmeEmail,
          ACME_SERVER: spec.gitops.acmeServer,
          SPOT_CPU_LIMIT: String(c.pools.spot.cpuLimit),
          NODE_RESOURCE_GROUP: c.nodeResourceGroup,
        },
        // AKS-12: a cluster without the Istio add-on (app2) has no revision, in ARM or in its GitOps tree.
        [ISTIO_REVISION_PARAMETER]: c.addons.istioIngressGateway ? istioRevision : "",
        backup: c.addons.backup,
        commonResourceGroup: common,
        backupVaultName: s.backupVault.name,
        backupStorageAccountName: backupStorageAccountName(spec),
        backupContainerName: backupContainerName(c),
        prometheusDataCollectionRuleName: names.prometheusRule,
        containerInsightsDataCollectionRuleName: names.containerInsightsRule,
        roleAssignments: addonGrants.roleAssignments,
        resourceGroupRoleAssignments: addonGrants.resourceGroupRoleAssignments,
      },
      outputParameters: {
        oidcIssuerUrl: out(aks, "oidcIssuerUrl"),
        keyVaultUri: out(shared, "keyVaultUri"),
        containerRegistryLoginServer: out(shared, "containerRegistryLoginServer"),
        ...principalOutputs(c, "cluster-addons.json", {
          backupVault: shared,
          controlPlane: identity,
          monitoringAgent: aks,
        }),
      },
      dependsOn: [aks, identity, shared],
    });
    add({
      name: unitName(spec, "addons-common", c),
      phase: "addons",
      scope: "resourceGroup",
      resourceGroup: common,
      cluster: c.name,
      template: "cluster-addons-common.json",
      parameters: {
        clusterName: c.aksName,
        clusterResourceGroup: c.resourceGroup,
        keyVaultName: s.keyVault.name,
        dnsZoneName: s.dnsZone.name,
        backup: c.addons.backup,
        backupVaultName: s.backupVault.name,
        backupPolicyName: BACKUP_POLICY_NAME,
        backupInstanceName: backupInstanceName(c),
        backupStorageAccountName: backupStorageAccountName(spec),
        backupDatasourceParameters: {
          objectType: "KubernetesClusterBackupDatasourceParameters",
          includeClusterScopeResources: true,
          snapshotVolumes: true,
          includedVolumeTypes: ["AzureDisk"],
          excludedNamespaces: ["kube-system", "kube-node-lease", "kube-public"],
        },
        roleAssignments: roleAssignmentParameters(c, "cluster-addons-common.json").roleAssignments,
      },
      outputParameters: principalOutputs(c, "cluster-addons-common.json", {
        certManager: addons,
        externalSecrets: addons,
        ingressKeyVault: addons,
        backupExtension: addons,
      }),
      dependsOn: [addons, shared],
    });
    // An agent pool operation holds the cluster as an extension operation does (AKS runs one operation at a time per
    // cluster), so the pool and the extensions cannot overlap. Nothing waits for the pool, while the Flux
    // configuration and the backup instance wait for the extensions: the pool goes last.
    if (c.pools.ingress)
      add({
        name: unitName(spec, "ingress-pool", c),
        phase: "addons",
        scope: "resourceGroup",
        resourceGroup: c.resourceGroup,
        cluster: c.name,
        template: "cluster-pool.json",
        parameters: {
          clusterName: c.aksName,
          networkResourceGroup: common,
          virtualNetworkName: c.network.vnetName,
          nodeSubnetName: NODE_SUBNET_NAME,
          ingressAgentPool: {
            vmSize: c.pools.ingress.vmSize,
            count: c.pools.ingress.count,
            availabilityZones: c.pools.ingress.zones,
          },
          ingressAgentPoolName: INGRESS_POOL_NAME,
        },
        dependsOn: [addons],
      });
  }
  // Phase order, clusters in spec order within a phase.
  return PHASES.flatMap((phase) => units.filter((u) => u.phase === phase));
}
