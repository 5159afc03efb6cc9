import { z } from "zod";

/**
 * The platform spec: everything that varies between environments. The seed platform (`platform.md`) is
 * `defaultSpec` in ./default.ts. Type rules live here; rules that relate fields to each other (CIDR overlap,
 * naming rules, references between sections) live in ./validate.ts so that every problem is reported at once.
 */

/** A zone as a string; YAML's `zones: [1, 2, 3]` gives numbers, which mean the same zones. */
const zone = z.union([
  z.enum(["1", "2", "3"]),
  z.union([z.literal(1), z.literal(2), z.literal(3)]).transform((n) => String(n) as "1" | "2" | "3"),
]);
const zones = z.array(zone).min(1).describe("availability zones: 1, 2, 3");

/**
 * Azure VM size names follow `Standard_<family><vCPUs>[-<constrained vCPUs>][<features>][_<accelerator>][_v<version>]`,
 * e.g. Standard_D2s_v5, Standard_E4ads_v5, Standard_NC24ads_A100_v4
 * (https://learn.microsoft.com/azure/virtual-machines/vm-naming-conventions).
 */
export const VM_SIZE_PATTERN = /^Standard_[A-Z]+(\d+)(-\d+)?[a-z]*(_[A-Z]+\d+[a-z]*)?(_v\d+)?$/;

const vmSize = z
  .string()
  .regex(VM_SIZE_PATTERN, "an Azure VM size such as Standard_D2s_v5 (Standard_<family><vCPUs><features>_v<version>)")
  .describe("Azure VM size, Standard_<family><vCPUs><features>_v<version>");

/** vCPUs of a size name (the number after the family letters). */
export function vmSizeCpus(size: string): number | undefined {
  const m = VM_SIZE_PATTERN.exec(size);
  return m ? Number(m[1]) : undefined;
}

/** AKS node pools need at least 2 vCPUs and 4 GB (https://learn.microsoft.com/azure/aks/use-system-pools). */
const aksVmSize = vmSize.refine((size) => (vmSizeCpus(size) ?? 2) >= 2, {
  message: "AKS node pools need a VM size with at least 2 vCPUs (e.g. Standard_D2s_v5)",
});
export const severitySchema = z.enum(["info", "warning", "critical"]);

export const poolSchema = z.strictObject({
  vmSize: aksVmSize,
  count: z.int().min(1).max(1000),
  zones,
});

export const spotCapacitySchema = z.strictObject({
  /** Karpenter `karpenter.azure.com/sku-family` values; the seed uses the D family only. */
  skuFamilies: z.array(z.string().regex(/^[A-Z]+$/, "an upper-case VM family letter such as D")).min(1),
  zones,
  /** NodePool `spec.limits.cpu`: the most vCPUs Spot capacity may add to the cluster. */
  cpuLimit: z.int().min(1),
});

export const clusterNetworkSchema = z.strictObject({
  /** The cluster's own VNet in the common resource group (NET-1). */
  vnetName: z.string().min(1),
  vnetCidr: z.string(),
  /** Subnet for the system and ingress node pools. */
  nodeSubnetCidr: z.string(),
  /** Overlay pod CIDR, separate from VNet space (NET-5). */
  podCidr: z.string(),
  serviceCidr: z.string(),
  dnsServiceIp: z.string(),
});

export const clusterAddonsSchema = z.strictObject({
  /** AKS-12: Istio external ingress gateway (and the ingress pool, AKS-5). */
  istioIngressGateway: z.boolean(),
  /** ADD-7 */
  kiali: z.boolean(),
  /** ADD-9 */
  kyverno: z.boolean(),
  /** ADD-10 */
  backup: z.boolean(),
});

export const clusterSchema = z.strictObject({
  /** Short name used in resource names and in the GitOps path `clusters/<name>`. */
  name: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,11}$/, "lower-case letters, digits and hyphens, 1–12 characters, starting with a letter"),
  role: z.enum(["management", "workload"]),
  /** The AKS resource name. */
  aksName: z.string(),
  resourceGroup: z.string(),
  /** Set explicitly so events can be mapped from a VM to its cluster (azure-notes: Spot eviction). */
  nodeResourceGroup: z.string(),
  /** Empty = the region's default version at deploy time. */
  kubernetesVersion: z
    .string()
    .regex(/^\d+\.\d+(\.\d+)?$/, "a version such as 1.33 or 1.33.2")
    .optional(),
  tier: z.enum(["Free", "Standard", "Premium"]),
  zones,
  network: clusterNetworkSchema,
  pools: z.strictObject({
    system: poolSchema,
    /** AKS-5: only where the cluster hosts an ingress gateway. */
    ingress: poolSchema.optional(),
    spot: spotCapacitySchema,
  }),
  addons: clusterAddonsSchema,
});

export const accessSchema = z.strictObject({
  /** The cluster whose VNet hosts Bastion and the jump VM (mgmt in the seed). */
  hostCluster: z.string(),
  bastion: z.strictObject({
    name: z.string(),
    sku: z.enum(["Developer", "Basic", "Standard", "Premium"]),
    subnetCidr: z.string(),
  }),
  jumpbox: z.strictObject({
    vmName: z.string(),
    vmSize,
    subnetCidr: z.string(),
    adminUsername: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, "a Linux user name"),
  }),
});

export const sharedServicesSchema = z.strictObject({
  keyVault: z.strictObject({
    name: z.string(),
    softDeleteRetentionDays: z.int().min(7).max(90),
  }),
  monitorWorkspace: z.strictObject({
    name: z.string(),
    /** SH-2; Azure Monitor workspace retention is fixed by the service (18 months), kept here for the record. */
    metricsRetentionMonths: z.literal(18),
  }),
  logAnalytics: z.strictObject({
    name: z.string(),
    sku: z.enum(["PerGB2018", "CapacityReservation"]),
    interactiveRetentionDays: z.int().min(4).max(730),
    totalRetentionDays: z.int().min(4).max(4383),
  }),
  appInsights: z.strictObject({
    name: z.string(),
    retentionDays: z.union([30, 60, 90, 120, 180, 270, 365, 550, 730].map((d) => z.literal(d))),
  }),
  backupVault: z.strictObject({
    name: z.string(),
    storageRedundancy: z.enum(["ZoneRedundant", "GeoRedundant", "LocallyRedundant"]),
    crossRegionRestore: z.boolean(),
    /** Daily backup time, `HH:MM` in UTC. */
    dailyBackupTimeUtc: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a UTC time HH:MM"),
    retentionDays: z.int().min(1).max(360),
  }),
  dnsZone: z.strictObject({ name: z.string() }),
  containerRegistry: z.strictObject({
    name: z.string(),
    sku: z.enum(["Basic", "Standard", "Premium"]),
  }),
});

export const gitopsSchema = z.strictObject({
  repositoryUrl: z.string().regex(/^(https:\/\/|ssh:\/\/|git@)/, "an https://, ssh:// or git@ Git URL"),
  branch: z.string().min(1),
  /** Folder of the repository holding `base/` and `clusters/`. */
  path: z.string(),
  /** Host name the ingress certificate is issued for, inside the DNS zone. */
  ingressHost: z.string(),
  /** ACME account e-mail for Let's Encrypt. */
  acmeEmail: z.email(),
  acmeServer: z.url(),
});

export const notificationChannelSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, "lower-case letters, digits and hyphens"),
  kind: z.enum(["teams", "slack"]),
  /** App setting holding the webhook URL(s); the URL itself never appears in the spec. */
  webhookSetting: z.string().regex(/^[A-Z][A-Z0-9_]*$/, "an app setting name such as AKS_PLATFORM_TEAMS_WEBHOOK_URL"),
});

export const notificationsSchema = z.strictObject({
  channels: z.array(notificationChannelSchema),
  /** First matching route wins; a message with no matching route goes to every channel. */
  routes: z.array(
    z.strictObject({
      severities: z.array(severitySchema).min(1),
      environments: z.array(z.string()).optional(),
      channels: z.array(z.string()).min(1),
    }),
  ),
  /** Info messages inside quiet hours wait for the end of the window (warnings and criticals never wait). */
  quietHours: z
    .strictObject({
      start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM"),
      end: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM"),
      timeZone: z.string(),
    })
    .optional(),
  /** Events of one kind within this window become one digest message. */
  digestWindowMinutes: z.int().min(0).max(1440),
});

/** Drift detection and correction (issue 21): what the app does when the platform no longer matches this spec. */
export const driftSchema = z.strictObject({
  /** `report` tells people; `remediate` also re-deploys drifted units of `autoRemediate` through the build path. */
  mode: z.enum(["report", "remediate"]).default("report"),
  /** Deployment units that may be re-deployed without a person (full names such as `k8s-demo-network`). */
  autoRemediate: z.array(z.string().min(1)).default([]),
  /** Writes come in bursts: a suspect unit is checked once no other write to it arrived for this long. */
  quietPeriodSeconds: z.int().min(10).max(3600).default(120),
  /** Every unit of the environment gets a what-if this often (the safety net for lost or missing events). */
  sweepIntervalHours: z.int().min(1).max(168).default(6),
});

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM");

/**
 * A weekly maintenance window of one cluster. The same shape AKS takes in `maintenanceConfigurations`
 * (`maintenanceWindow.schedule.weekly`, `startTime`, `durationHours` 4–24, `utcOffset`), which the upgrade run
 * writes to the cluster as `aksManagedAutoUpgradeSchedule` and `aksManagedNodeOSUpgradeSchedule` so that AKS's
 * own auto-upgrades keep to it too (learn.microsoft.com/azure/aks/planned-maintenance).
 */
export const maintenanceWindowSchema = z.strictObject({
  dayOfWeek: z.enum(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]),
  startTime: hhmm,
  durationHours: z.int().min(4).max(24),
  utcOffset: z
    .string()
    .regex(/^[+-]([01]\d|2[0-3]):[0-5]\d$/, "a UTC offset such as +09:00")
    .default("+00:00"),
});

/** How upgrade runs roll through the platform (issue 20); every field has a default (lib/upgrade `upgradeSettings`). */
export const upgradesSchema = z.strictObject({
  /** In order; clusters of one stage are upgraded in parallel. Default: one stage per cluster, in spec order. */
  stages: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[a-z][a-z0-9-]{0,23}$/, "lower-case letters, digits and hyphens"),
        clusters: z.array(z.string()).min(1),
        /** Wait after the stage's gates passed, before the next stage starts. */
        soakMinutes: z.int().min(0).max(10080).default(30),
      }),
    )
    .min(1)
    .optional(),
  /** Which changes wait for a person's approval. Default: minor versions and Istio revisions do, patches and node images do not. */
  approval: z
    .strictObject({
      kubernetesMinor: z.boolean().default(true),
      kubernetesPatch: z.boolean().default(false),
      nodeImage: z.boolean().default(false),
      istioRevision: z.boolean().default(true),
    })
    .optional(),
  /** Per cluster name; a cluster without one is upgraded at any time. */
  maintenanceWindows: z.record(z.string(), maintenanceWindowSchema).optional(),
  /** Agent pool `upgradeSettings.maxSurge` (a node count or a percentage); AKS's default is 10%. */
  maxSurge: z
    .string()
    .regex(/^([1-9]\d*|([1-9]\d?|100)%)$/, "a node count such as 1 or a percentage such as 33%")
    .default("33%"),
  /** Health gate: Pending pods tolerated after a cluster's upgrade. */
  maxPendingPods: z.int().min(0).default(0),
});

export const platformSpecSchema = z.strictObject({
  /** Environment name: resource group names, the build's instance id and GitOps substitutions derive from it. */
  name: z.string().regex(/^[a-z][a-z0-9-]{1,22}[a-z0-9]$/, "3–24 lower-case letters, digits and hyphens"),
  /** All zeros = not set (sandbox runs); a real build needs the target subscription. */
  subscriptionId: z.string().regex(/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i, "a subscription GUID"),
  location: z.string().regex(/^[a-z0-9]+$/, "an Azure region name such as koreacentral"),
  /** RG-1: the shared group; per-cluster groups are on each cluster. */
  commonResourceGroup: z.string(),
  tags: z.record(z.string(), z.string()),
  clusters: z.array(clusterSchema).min(1),
  /**
   * How the cluster VNets reach each other. `fullMesh` (NET-2): N·(N−1) peerings, fine for a few clusters;
   * `hubAndSpoke`: 2·(N−1) peerings between the access host's VNet (the hub: Bastion, jump VM) and every other VNet,
   * so spokes reach each other only through the hub. Each VNet's peerings are their own deployment beside the clusters.
   * `virtualNetworkManager`: no peerings; an Azure Virtual Network Manager mesh connectivity configuration over a
   * network group of every cluster VNet (a connected group), in effect once committed.
   */
  network: z
    .strictObject({
      topology: z.enum(["fullMesh", "hubAndSpoke", "virtualNetworkManager"]).default("fullMesh"),
    })
    .default({ topology: "fullMesh" }),
  access: accessSchema,
  shared: sharedServicesSchema,
  /** Defender for Containers (AKS-11) at subscription scope. */
  defenderForContainers: z.boolean(),
  istio: z.strictObject({
    /** Pinned revision such as `asm-1-26`; absent = looked up at deploy time (meshRevisionProfiles). */
    revision: z
      .string()
      .regex(/^asm-\d+-\d+$/, "an Istio add-on revision such as asm-1-26")
      .optional(),
  }),
  gitops: gitopsSchema,
  notifications: notificationsSchema,
  drift: driftSchema.default({ mode: "report", autoRemediate: [], quietPeriodSeconds: 120, sweepIntervalHours: 6 }),
  /** Staged upgrades (stages, approvals, maintenance windows, surge); absent = the defaults. */
  upgrades: upgradesSchema.optional(),
});

export type PlatformSpec = z.infer<typeof platformSpecSchema>;
export type ClusterSpec = z.infer<typeof clusterSchema>;
export type PoolSpec = z.infer<typeof poolSchema>;
export type NotificationsSpec = z.infer<typeof notificationsSchema>;
export type DriftSpec = z.infer<typeof driftSchema>;
export type Severity = z.infer<typeof severitySchema>;
export type UpgradesSpec = z.infer<typeof upgradesSchema>;
export type MaintenanceWindowSpec = z.infer<typeof maintenanceWindowSchema>;
