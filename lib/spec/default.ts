import type { ClusterSpec, PlatformSpec } from "./schema";

/** Subscription id used when none is given: the sandbox accepts it, a real build refuses it. */
export const UNSET_SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000";

const env = "k8s-demo";
const systemPool = {
  vmSize: "Standard_D2s_v5",
  count: 3,
  zones: ["1", "2", "3"],
} satisfies ClusterSpec["pools"]["system"];
const spot = { skuFamilies: ["D"], zones: ["1", "2", "3"], cpuLimit: 64 } satisfies ClusterSpec["pools"]["spot"];

/** The seed's cluster `name` of environment `env`, its address space numbered by `index` (10.<index>.0.0/16). */
export function seedCluster(
  name: string,
  index: number,
  role: ClusterSpec["role"],
  ingress: boolean,
  kyverno: boolean,
  environment = env,
): ClusterSpec {
  return {
    name,
    role,
    aksName: `aks-${environment}-${name}`,
    resourceGroup: `rg-${environment}-${name}`,
    nodeResourceGroup: `rg-${environment}-${name}-nodes`,
    tier: "Standard",
    zones: ["1", "2", "3"],
    network: {
      vnetName: `vnet-${environment}-${name}`,
      vnetCidr: `10.${index}.0.0/16`,
      nodeSubnetCidr: `10.${index}.0.0/22`,
      // Overlay pod space per cluster, outside 10.0.0.0/8 (the VNet address budget, NET-1/NET-5); distinct per
      // cluster so a flow's source cluster can be read from its address.
      podCidr: `100.${64 + index}.0.0/16`,
      serviceCidr: `172.${15 + index}.0.0/16`,
      dnsServiceIp: `172.${15 + index}.0.10`,
    },
    pools: { system: systemPool, ...(ingress ? { ingress: systemPool } : {}), spot },
    addons: { istioIngressGateway: ingress, kiali: ingress, kyverno, backup: true },
  };
}

/** The seed platform of `platform.md`: k8s-demo in koreacentral with mgmt, app1 and app2. */
export const defaultSpec: PlatformSpec = {
  name: env,
  subscriptionId: UNSET_SUBSCRIPTION_ID,
  location: "koreacentral",
  commonResourceGroup: `rg-${env}-common`,
  tags: { environment: env, "managed-by": "aks-platform-automation" },
  clusters: [
    seedCluster("mgmt", 1, "management", true, false),
    seedCluster("app1", 2, "workload", true, true),
    seedCluster("app2", 3, "workload", false, true),
  ],
  network: { topology: "fullMesh" },
  access: {
    hostCluster: "mgmt",
    bastion: { name: `bas-${env}`, sku: "Basic", subnetCidr: "10.1.100.0/26" },
    jumpbox: { vmName: "vm-jumpbox", vmSize: "Standard_B2s", subnetCidr: "10.1.101.0/24", adminUsername: "azureuser" },
  },
  shared: {
    // Key Vault and ACR names are global: a real subscription will most likely need its own.
    keyVault: { name: `kv-${env}-01`, softDeleteRetentionDays: 90 },
    monitorWorkspace: { name: `amw-${env}`, metricsRetentionMonths: 18 },
    logAnalytics: { name: `log-${env}`, sku: "PerGB2018", interactiveRetentionDays: 30, totalRetentionDays: 4383 },
    appInsights: { name: `appi-${env}`, retentionDays: 90 },
    backupVault: {
      name: `bvault-${env}`,
      storageRedundancy: "ZoneRedundant",
      crossRegionRestore: false,
      dailyBackupTimeUtc: "02:00",
      retentionDays: 7,
    },
    dnsZone: { name: `${env}.example.com` },
    containerRegistry: { name: "acrk8sdemo01", sku: "Basic" },
  },
  defenderForContainers: true,
  istio: {},
  gitops: {
    repositoryUrl: "https://github.com/example/aks-platform-gitops",
    branch: "main",
    path: "templates/gitops",
    ingressHost: `app.${env}.example.com`,
    acmeEmail: "platform-team@example.com",
    acmeServer: "https://acme-v02.api.letsencrypt.org/directory",
  },
  notifications: {
    channels: [
      { name: "teams", kind: "teams", webhookSetting: "AKS_PLATFORM_TEAMS_WEBHOOK_URL" },
      { name: "slack", kind: "slack", webhookSetting: "AKS_PLATFORM_SLACK_WEBHOOK_URL" },
    ],
    routes: [{ severities: ["info", "warning", "critical"], channels: ["teams", "slack"] }],
    digestWindowMinutes: 5,
  },
  drift: { mode: "report", autoRemediate: [], quietPeriodSeconds: 120, sweepIntervalHours: 6 },
};

/**
 * The seed platform grown to `count` clusters (count ≥ 3): mgmt, app1, app2, then app3… in app1's shape (workload,
 * ingress gateway, Kyverno, backup), each with its own address ranges. Used to measure how a build scales.
 */
export function fleetSpec(count: number): PlatformSpec {
  if (!Number.isInteger(count) || count < 3 || count > 16)
    throw new Error(
      `fleetSpec: cluster count must be an integer from 3 to 16 (the service ranges stay in 172.16.0.0/12), got ${count}`,
    );
  const extra = Array.from({ length: count - 3 }, (_, i) => seedCluster(`app${i + 3}`, i + 4, "workload", true, true));
  return { ...defaultSpec, clusters: [...defaultSpec.clusters, ...extra] };
}
