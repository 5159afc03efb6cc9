import type { Plan, PlanResource } from "../plan";
import { planDeployments } from "../plan";

/**
 * Best-practice rules over the expanded plan, in the spirit of PSRule for Azure (rule names follow theirs where one
 * exists). A rule looks at one resource (with the whole plan as context) and returns what is wrong, if anything.
 * Deliberate deviations of the design are suppressions with a written reason, never silent skips.
 */

export interface PlanContext {
  resources: readonly PlanResource[];
  /** Resource ids (lower case) that have a diagnostic setting sending to a Log Analytics workspace. */
  diagnosed: ReadonlySet<string>;
}

export interface Rule {
  id: string;
  description: string;
  /** Resource types (case-insensitive) the rule looks at. */
  types: readonly string[];
  /** A description of the violation, or undefined when the resource complies. */
  check(resource: PlanResource, context: PlanContext): string | undefined;
}

export interface Suppression {
  rule: string;
  /** Which resources of the rule's types are exempt. */
  applies(resource: PlanResource): boolean;
  reason: string;
}

export type RuleOutcome = "pass" | "fail" | "suppressed";

export interface RuleResult {
  rule: string;
  resourceId: string;
  type: string;
  outcome: RuleOutcome;
  /** The violation (fail and suppressed) or the suppression reason. */
  message?: string;
  reason?: string;
}

const obj = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const at = (v: unknown, ...path: string[]): unknown => path.reduce<unknown>((cur, key) => obj(cur)[key], v);
const props = (r: PlanResource): Record<string, unknown> => obj(r.properties);
const text = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

const AKS = "Microsoft.ContainerService/managedClusters";
const AGENT_POOL = "Microsoft.ContainerService/managedClusters/agentPools";

/** Pools of a cluster resource (inline profiles) or an agentPools child (its properties). */
function poolsOf(r: PlanResource): Record<string, unknown>[] {
  return r.type.toLowerCase() === AKS.toLowerCase() ? arr(props(r).agentPoolProfiles).map(obj) : [props(r)];
}

/** Types that support diagnostic settings (logs or metrics) and must send them to Log Analytics. */
export const DIAGNOSED_TYPES = [
  "Microsoft.KeyVault/vaults",
  "Microsoft.ContainerRegistry/registries",
  AKS,
  "Microsoft.Network/bastionHosts",
  "Microsoft.Network/networkSecurityGroups",
  "Microsoft.DataProtection/backupVaults",
  "Microsoft.Storage/storageAccounts/blobServices",
  "Microsoft.Network/virtualNetworks",
  "Microsoft.Network/publicIPAddresses",
  "Microsoft.OperationalInsights/workspaces",
  "Microsoft.Network/dnsZones",
] as const;

export const RULES: readonly Rule[] = [
  {
    id: "Azure.AKS.PrivateCluster",
    description: "The AKS API server has no public endpoint (AKS-2).",
    types: [AKS],
    check: (r) =>
      at(r.properties, "apiServerAccessProfile", "enablePrivateCluster") === true
        ? undefined
        : "apiServerAccessProfile.enablePrivateCluster is not true",
  },
  {
    id: "Azure.AKS.LocalAccounts",
    description: "Local Kubernetes accounts are disabled: every sign-in goes through Entra ID (AKS-7).",
    types: [AKS],
    check: (r) => (props(r).disableLocalAccounts === true ? undefined : "disableLocalAccounts is not true"),
  },
  {
    id: "Azure.AKS.AzureRBAC",
    description: "Entra ID integration with Azure RBAC for Kubernetes authorization (AKS-7).",
    types: [AKS],
    check: (r) =>
      at(r.properties, "aadProfile", "managed") === true &&
      at(r.properties, "aadProfile", "enableAzureRBAC") === true &&
      props(r).enableRBAC === true
        ? undefined
        : "aadProfile.managed, aadProfile.enableAzureRBAC and enableRBAC must all be true",
  },
  {
    id: "Azure.AKS.UptimeSLA",
    description: "Production clusters use the Standard (or Premium) tier with the financially backed SLA (AKS-1).",
    types: [AKS],
    check: (r) =>
      ["Standard", "Premium"].includes(String(at(r.sku, "tier")))
        ? undefined
        : `sku.tier is ${JSON.stringify(at(r.sku, "tier"))}`,
  },
  {
    id: "Azure.AKS.AvailabilityZone",
    description: "Node pools span at least two availability zones (AKS-1, AKS-4, AKS-5).",
    types: [AKS, AGENT_POOL],
    check: (r) => {
      const bad = poolsOf(r).filter((p) => arr(p.availabilityZones).length < 2);
      return bad.length === 0
        ? undefined
        : `pool(s) ${bad.map((p) => text(p.name ?? r.name)).join(", ")} use fewer than two zones`;
    },
  },
  {
    id: "Azure.AKS.AutoScaling",
    description: "Node pools scale with demand.",
    types: [AKS, AGENT_POOL],
    check: (r) => {
      const fixed = poolsOf(r).filter((p) => p.enableAutoScaling !== true);
      return fixed.length === 0
        ? undefined
        : `pool(s) ${fixed.map((p) => text(p.name ?? r.name)).join(", ")} have a fixed size`;
    },
  },
  {
    id: "Azure.AKS.NetworkPolicy",
    description: "A network policy engine is enabled (AKS-3: Cilium).",
    types: [AKS],
    check: (r) => {
      const policy = at(r.properties, "networkProfile", "networkPolicy");
      return typeof policy === "string" && policy !== "none" ? undefined : "networkProfile.networkPolicy is not set";
    },
  },
  {
    id: "Azure.AKS.StandardLB",
    description: "The cluster uses a Standard load balancer (required by NAP and zones).",
    types: [AKS],
    check: (r) =>
      at(r.properties, "networkProfile", "loadBalancerSku") === "standard"
        ? undefined
        : "networkProfile.loadBalancerSku is not standard",
  },
  {
    id: "Azure.AKS.ContainerInsights",
    description: "Container Insights collects logs with Entra authentication (AKS-10).",
    types: [AKS],
    check: (r) =>
      at(r.properties, "addonProfiles", "omsagent", "enabled") === true &&
      at(r.properties, "addonProfiles", "omsagent", "config", "useAADAuth") === "true"
        ? undefined
        : "addonProfiles.omsagent is not enabled with useAADAuth",
  },
  {
    id: "Azure.AKS.AuditLogs",
    description: "Kubernetes audit logs are sent to Log Analytics.",
    types: [AKS],
    check: (r, ctx) => {
      const settings = ctx.resources.filter(
        (d) => d.type === "Microsoft.Insights/diagnosticSettings" && d.scope?.toLowerCase() === r.id.toLowerCase(),
      );
      const categories = settings.flatMap((d) =>
        arr(props(d).logs)
          .map((l) => obj(l))
          .filter((l) => l.enabled === true)
          .map((l) => String(l.category ?? l.categoryGroup)),
      );
      return categories.some((c) => c === "kube-audit" || c === "kube-audit-admin" || c === "allLogs" || c === "audit")
        ? undefined
        : "no diagnostic setting sends kube-audit(-admin) logs";
    },
  },
  {
    id: "Azure.AKS.DefenderProfile",
    description: "The Defender sensor runs on the cluster (AKS-11).",
    types: [AKS],
    check: (r) =>
      at(r.properties, "securityProfile", "defender", "securityMonitoring", "enabled") === true
        ? undefined
        : "securityProfile.defender.securityMonitoring is not enabled",
  },
  {
    id: "Azure.AKS.SecretStore",
    description: "The Key Vault secrets provider is enabled with rotation (AKS-9).",
    types: [AKS],
    check: (r) => {
      const kv = at(r.properties, "addonProfiles", "azureKeyvaultSecretsProvider");
      return at(kv, "enabled") === true && at(kv, "config", "enableSecretRotation") === "true"
        ? undefined
        : "azureKeyvaultSecretsProvider is not enabled with secret rotation";
    },
  },
  {
    id: "Azure.AKS.WorkloadIdentity",
    description: "Workloads authenticate with workload identity: OIDC issuer and webhook enabled (AKS-8).",
    types: [AKS],
    check: (r) =>
      at(r.properties, "oidcIssuerProfile", "enabled") === true &&
      at(r.properties, "securityProfile", "workloadIdentity", "enabled") === true
        ? undefined
        : "oidcIssuerProfile and securityProfile.workloadIdentity must be enabled",
  },
  {
    id: "Azure.AKS.AutoUpgrade",
    description: "Cluster and node images are upgraded automatically.",
    types: [AKS],
    check: (r) => {
      const channel = at(r.properties, "autoUpgradeProfile", "upgradeChannel");
      const node = at(r.properties, "autoUpgradeProfile", "nodeOSUpgradeChannel");
      return typeof channel === "string" && channel !== "none" && typeof node === "string" && node !== "None"
        ? undefined
        : "autoUpgradeProfile channels are not set";
    },
  },
  {
    id: "Azure.AKS.NodePublicIP",
    description: "Nodes have no public IP addresses.",
    types: [AKS, AGENT_POOL],
    check: (r) =>
      poolsOf(r).some((p) => p.enableNodePublicIP === true) ? "a pool enables node public IPs" : undefined,
  },
  {
    id: "Azure.KeyVault.PurgeProtect",
    description: "Key Vault has soft delete and purge protection (SH-1).",
    types: ["Microsoft.KeyVault/vaults"],
    check: (r) =>
      props(r).enablePurgeProtection === true && props(r).enableSoftDelete !== false
        ? undefined
        : "enablePurgeProtection is not true or soft delete is off",
  },
  {
    id: "Azure.KeyVault.RBAC",
    description: "Key Vault uses Azure RBAC instead of access policies (SH-1).",
    types: ["Microsoft.KeyVault/vaults"],
    check: (r) => (props(r).enableRbacAuthorization === true ? undefined : "enableRbacAuthorization is not true"),
  },
  {
    id: "Azure.ACR.AdminUser",
    description: "The registry's admin user is disabled (SH-7).",
    types: ["Microsoft.ContainerRegistry/registries"],
    check: (r) => (props(r).adminUserEnabled === false ? undefined : "adminUserEnabled is not false"),
  },
  {
    id: "Azure.ACR.AnonymousAccess",
    description: "Anonymous pull is disabled.",
    types: ["Microsoft.ContainerRegistry/registries"],
    check: (r) => (props(r).anonymousPullEnabled === true ? "anonymousPullEnabled is true" : undefined),
  },
  {
    id: "Azure.ACR.MinSku",
    description: "Production registries use Premium (geo-replication, private link, zone redundancy).",
    types: ["Microsoft.ContainerRegistry/registries"],
    check: (r) => (at(r.sku, "name") === "Premium" ? undefined : `sku.name is ${JSON.stringify(at(r.sku, "name"))}`),
  },
  {
    id: "Azure.NIC.PublicIP",
    description: "Network interfaces of VMs have no public IP (ACC-1: the jump VM is reached through Bastion).",
    types: ["Microsoft.Network/networkInterfaces"],
    check: (r) =>
      arr(props(r).ipConfigurations).some((c) => at(c, "properties", "publicIPAddress") !== undefined)
        ? "an IP configuration has a public IP address"
        : undefined,
  },
  {
    id: "Azure.VM.PublicKey",
    description: "Linux VMs allow SSH keys only, no passwords.",
    types: ["Microsoft.Compute/virtualMachines"],
    check: (r) =>
      at(r.properties, "osProfile", "linuxConfiguration", "disablePasswordAuthentication") === true
        ? undefined
        : "linuxConfiguration.disablePasswordAuthentication is not true",
  },
  {
    id: "Azure.VM.EntraLogin",
    description: "Linux VMs sign users in with Entra ID (AADSSHLoginForLinux) and have a managed identity (ACC-1).",
    types: ["Microsoft.Compute/virtualMachines"],
    check: (r, ctx) => {
      const ext = ctx.resources.some(
        (e) =>
          e.type === "Microsoft.Compute/virtualMachines/extensions" &&
          e.name.startsWith(`${r.name}/`) &&
          at(e.properties, "type") === "AADSSHLoginForLinux",
      );
      const identity = text(at(r.identity, "type") ?? "");
      return ext && identity.includes("Assigned")
        ? undefined
        : "no AADSSHLoginForLinux extension or no managed identity";
    },
  },
  {
    id: "Azure.Storage.MinTLS",
    description: "Storage accepts TLS 1.2 or later only.",
    types: ["Microsoft.Storage/storageAccounts"],
    check: (r) =>
      ["TLS1_2", "TLS1_3"].includes(String(props(r).minimumTlsVersion))
        ? undefined
        : `minimumTlsVersion is ${JSON.stringify(props(r).minimumTlsVersion)}`,
  },
  {
    id: "Azure.Storage.SecureTransfer",
    description: "Storage accepts HTTPS only.",
    types: ["Microsoft.Storage/storageAccounts"],
    check: (r) => (props(r).supportsHttpsTrafficOnly === false ? "supportsHttpsTrafficOnly is false" : undefined),
  },
  {
    id: "Azure.Storage.BlobPublicAccess",
    description: "Anonymous blob access is disallowed.",
    types: ["Microsoft.Storage/storageAccounts"],
    check: (r) => (props(r).allowBlobPublicAccess === false ? undefined : "allowBlobPublicAccess is not false"),
  },
  {
    id: "Azure.Diagnostics.LogAnalytics",
    description: "Resources that support diagnostic settings send them to Log Analytics.",
    types: DIAGNOSED_TYPES,
    check: (r, ctx) =>
      ctx.diagnosed.has(r.id.toLowerCase())
        ? undefined
        : "no diagnostic setting sends this resource's logs to Log Analytics",
  },
  {
    id: "Azure.Log.Retention",
    description: "Log Analytics keeps at least 30 days interactive (SH-3).",
    types: ["Microsoft.OperationalInsights/workspaces"],
    check: (r) =>
      Number(props(r).retentionInDays) >= 30
        ? undefined
        : `retentionInDays is ${JSON.stringify(props(r).retentionInDays)}`,
  },
  {
    id: "Azure.AppInsights.Workspace",
    description: "Application Insights is workspace-based (SH-4).",
    types: ["Microsoft.Insights/components"],
    check: (r) =>
      typeof props(r).WorkspaceResourceId === "string" && props(r).WorkspaceResourceId !== ""
        ? undefined
        : "WorkspaceResourceId is not set",
  },
  {
    id: "Azure.BackupVault.JobFailureAlerts",
    description: "The Backup vault raises Azure Monitor alerts for every failed job (OPS-4 depends on it).",
    types: ["Microsoft.DataProtection/backupVaults"],
    check: (r) =>
      at(r.properties, "monitoringSettings", "azureMonitorAlertSettings", "alertsForAllJobFailures") === "Enabled"
        ? undefined
        : "alertsForAllJobFailures is not Enabled",
  },
  {
    id: "Azure.BackupVault.SoftDelete",
    description: "The Backup vault keeps deleted backups (soft delete on).",
    types: ["Microsoft.DataProtection/backupVaults"],
    check: (r) =>
      ["On", "AlwaysOn"].includes(String(at(r.properties, "securitySettings", "softDeleteSettings", "state")))
        ? undefined
        : "soft delete is not on",
  },
  {
    id: "Azure.RBAC.PrincipalType",
    description:
      "Role assignments state principalType ServicePrincipal (new managed identities otherwise race PrincipalNotFound).",
    types: ["Microsoft.Authorization/roleAssignments"],
    check: (r) =>
      props(r).principalType === "ServicePrincipal"
        ? undefined
        : `principalType is ${JSON.stringify(props(r).principalType)}`,
  },
  {
    id: "Azure.VNET.UseNSGs",
    description: "Every subnet has a network security group (NET-3).",
    types: ["Microsoft.Network/virtualNetworks"],
    check: (r) => {
      const bare = arr(props(r).subnets).filter((s) => at(s, "properties", "networkSecurityGroup", "id") === undefined);
      return bare.length === 0
        ? undefined
        : `subnet(s) ${bare.map((s) => String(at(s, "name"))).join(", ")} have no NSG`;
    },
  },
  {
    id: "Azure.Defender.Containers",
    description: "Defender for Containers is on the Standard plan (AKS-11).",
    types: ["Microsoft.Security/pricings"],
    check: (r) =>
      r.name !== "Containers" || props(r).pricingTier === "Standard"
        ? undefined
        : `pricingTier is ${JSON.stringify(props(r).pricingTier)}`,
  },
];

export const SUPPRESSIONS: readonly Suppression[] = [
  {
    rule: "Azure.ACR.MinSku",
    applies: () => true,
    reason:
      "SH-7 asks for the Basic SKU: one region, no private endpoints, and the cost of a demo platform; images are also scanned by Defender.",
  },
  {
    rule: "Azure.AKS.AutoScaling",
    applies: () => true,
    reason:
      "AKS-6: worker capacity comes from Node Auto Provisioning (Karpenter); AKS refuses the cluster autoscaler on pools of a NAP cluster, so the system and ingress pools are fixed size by design.",
  },
];

export function planContext(resources: readonly PlanResource[]): PlanContext {
  const diagnosed = new Set(
    resources
      .filter(
        (d) =>
          d.type === "Microsoft.Insights/diagnosticSettings" &&
          d.scope !== undefined &&
          at(d.properties, "workspaceId") !== undefined,
      )
      .map((d) => d.scope!.toLowerCase()),
  );
  return { resources, diagnosed };
}

/** Runs every rule over every resource of the plan it applies to. */
export function runRules(
  plan: Plan,
  rules: readonly Rule[] = RULES,
  suppressions: readonly Suppression[] = SUPPRESSIONS,
): RuleResult[] {
  const resources = planDeployments(plan).flatMap((d) => d.resources);
  const context = planContext(resources);
  const results: RuleResult[] = [];
  for (const rule of rules) {
    const types = new Set(rule.types.map((t) => t.toLowerCase()));
    for (const resource of resources) {
      if (!types.has(resource.type.toLowerCase())) continue;
      const violation = rule.check(resource, context);
      const base = { rule: rule.id, resourceId: resource.id, type: resource.type };
      if (violation === undefined) {
        results.push({ ...base, outcome: "pass" });
        continue;
      }
      const suppression = suppressions.find((s) => s.rule === rule.id && s.applies(resource));
      results.push(
        suppression
          ? { ...base, outcome: "suppressed", message: violation, reason: suppression.reason }
          : { ...base, outcome: "fail", message: violation },
      );
    }
  }
  return results;
}
