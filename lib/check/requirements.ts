import type { Plan, PlanResource } from "../plan";
import { planDeployments } from "../plan";
import { ROLE_GRANTS, ROLES, WORKLOAD_IDENTITIES, type ScopeKey } from "../plan/identities";
import {
  APP_INSIGHTS_TABLES,
  BASTION_SECURITY_RULES,
  BASTION_SUBNET_NAME,
  FLUX_SUBSTITUTION_VARIABLES,
  INGRESS_POOL_NAME,
  JUMPBOX_SUBNET_NAME,
  RETAINED_LOG_TABLES,
  backupContainerName,
  backupInstanceName,
  backupStorageAccountName,
  bastionNetworkSecurityGroupName,
  fluxKustomizationPath,
  kubeletIdentityName,
  monitoringNames,
  networkSecurityGroupName,
  privateDnsZoneName,
  vnetPeerings,
  workloadIdentityName,
} from "../plan/units";
import type { ClusterSpec, PlatformSpec } from "../spec";

/**
 * Requirement traceability (platform.md groups RG, NET, SH, ACC, AKS, ADD): where each requirement is implemented
 * and, for the ARM part, a check over the expanded plan that fails when the implementing resource or property is
 * missing. Parts implemented outside the ARM templates name their place (GitOps tree, orchestration).
 */

export interface PlanResourceAt extends PlanResource {
  deployment: string;
  template: string;
  cluster?: string;
}

export interface Requirement {
  id: string;
  summary: string;
  /** ARM part: templates and resource types that fulfil it, and the check over the expanded plan. */
  arm?: {
    templates: readonly string[];
    resourceTypes: readonly string[];
    verify(plan: Plan, spec: PlatformSpec): string[];
  };
  /** Parts implemented elsewhere: repository paths and what they hold. */
  elsewhere?: readonly { path: string; what: string }[];
}

export function planResources(plan: Plan): PlanResourceAt[] {
  return planDeployments(plan).flatMap((d) =>
    d.resources.map((r) => ({
      ...r,
      deployment: d.name,
      template: d.template,
      ...(d.cluster === undefined ? {} : { cluster: d.cluster }),
    })),
  );
}

const obj = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const at = (v: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((cur, key) => (typeof key === "number" ? arr(cur)[key] : obj(cur)[key]), v);
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function ofType(plan: Plan, type: string): PlanResourceAt[] {
  return planResources(plan).filter((r) => r.type.toLowerCase() === type.toLowerCase());
}

/** The one resource of a type and name (and group), or a problem saying it is missing. */
function one(
  plan: Plan,
  type: string,
  name: string,
  problems: string[],
  resourceGroup?: string,
): PlanResourceAt | undefined {
  const found = ofType(plan, type).filter(
    (r) => r.name === name && (resourceGroup === undefined || r.resourceGroup === resourceGroup),
  );
  if (found.length !== 1) {
    problems.push(
      `${type} '${name}'${resourceGroup ? ` in ${resourceGroup}` : ""}: expected exactly one, found ${found.length}`,
    );
    return undefined;
  }
  return found[0];
}

function expect(problems: string[], what: string, actual: unknown, expected: unknown): void {
  if (!same(actual, expected))
    problems.push(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

function forClusters(spec: PlatformSpec, check: (c: ClusterSpec, problems: string[]) => void): string[] {
  const problems: string[] = [];
  for (const c of spec.clusters) {
    const mine: string[] = [];
    check(c, mine);
    problems.push(...mine.map((p) => `cluster ${c.name}: ${p}`));
  }
  return problems;
}

function aksOf(plan: Plan, c: ClusterSpec, problems: string[]): Record<string, unknown> | undefined {
  return one(plan, "Microsoft.ContainerService/managedClusters", c.aksName, problems, c.resourceGroup) as
    Record<string, unknown> | undefined;
}

function systemPool(aks: Record<string, unknown>): unknown {
  return arr(at(aks, "properties", "agentPoolProfiles")).find((p) => at(p, "mode") === "System");
}

/** Whether resource `from` waits (directly or through others) for resource `to` inside its deployment. */
function waitsFor(resources: readonly PlanResource[], from: PlanResource, to: PlanResource): boolean {
  const byId = new Map(resources.map((r) => [r.id.toLowerCase(), r]));
  const seen = new Set<string>();
  const todo = [...from.dependsOn];
  for (let id = todo.pop(); id !== undefined; id = todo.pop()) {
    const key = id.toLowerCase();
    if (key === to.id.toLowerCase()) return true;
    if (seen.has(key)) continue;
    seen.add(key);
    todo.push(...(byId.get(key)?.dependsOn ?? []));
  }
  return false;
}

/** Writes that ARM rejects when concurrent must be ordered: every pair, one way or the other. */
function serialized(
  resources: readonly PlanResource[],
  group: readonly PlanResource[],
  what: string,
  problems: string[],
): void {
  for (const [i, a] of group.entries()) {
    for (const b of group.slice(i + 1)) {
      if (!waitsFor(resources, a, b) && !waitsFor(resources, b, a))
        problems.push(`${what}: ${a.name} and ${b.name} may be written concurrently`);
    }
  }
}

function ipv4Range(cidr: string): [number, number] {
  const [ip = "", bits = "32"] = cidr.split("/");
  const base = ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  const start = base - (base % size);
  return [start, start + size - 1];
}

function overlaps(a: string, b: string): boolean {
  const [a0, a1] = ipv4Range(a);
  const [b0, b1] = ipv4Range(b);
  return a0 <= b1 && b0 <= a1;
}

/** Resource id of a grant scope for a cluster, looked up in the plan. */
function scopeResource(plan: Plan, spec: PlatformSpec, c: ClusterSpec, scope: ScopeKey): string | undefined {
  const find = (type: string, name: string, rg?: string): string | undefined =>
    ofType(plan, type).find((r) => r.name === name && (rg === undefined || r.resourceGroup === rg))?.id;
  const names = monitoringNames(spec, c);
  switch (scope) {
    case "containerRegistry":
      return find("Microsoft.ContainerRegistry/registries", spec.shared.containerRegistry.name);
    case "clusterVnet":
      return find("Microsoft.Network/virtualNetworks", c.network.vnetName);
    case "privateDnsZone":
      return find("Microsoft.Network/privateDnsZones", privateDnsZoneName(spec));
    case "kubeletIdentity":
      return find("Microsoft.ManagedIdentity/userAssignedIdentities", kubeletIdentityName(c), c.resourceGroup);
    case "dnsZone":
      return find("Microsoft.Network/dnsZones", spec.shared.dnsZone.name);
    case "keyVault":
      return find("Microsoft.KeyVault/vaults", spec.shared.keyVault.name);
    case "backupStorageAccount":
      return find("Microsoft.Storage/storageAccounts", backupStorageAccountName(spec));
    case "backupVault":
      return find("Microsoft.DataProtection/backupVaults", spec.shared.backupVault.name);
    case "cluster":
      return find("Microsoft.ContainerService/managedClusters", c.aksName, c.resourceGroup);
    case "resourceGroup":
      return find("Microsoft.Resources/resourceGroups", c.resourceGroup);
    case "containerInsightsDcr":
      return find("Microsoft.Insights/dataCollectionRules", names.containerInsightsRule, c.resourceGroup);
    case "prometheusDcr":
      return find("Microsoft.Insights/dataCollectionRules", names.prometheusRule, c.resourceGroup);
  }
}

/** Every grant of the identity map that applies to the cluster exists as a role assignment on the right scope. */
function grantProblems(
  plan: Plan,
  spec: PlatformSpec,
  c: ClusterSpec,
  filter: (g: (typeof ROLE_GRANTS)[number]) => boolean,
  problems: string[],
): void {
  const assignments = ofType(plan, "Microsoft.Authorization/roleAssignments").filter((r) => r.cluster === c.name);
  for (const g of ROLE_GRANTS.filter((g) => filter(g) && g.appliesTo(c))) {
    const scopeId = scopeResource(plan, spec, c, g.scope);
    const wanted = ROLES[g.role];
    const match = assignments.find((a) => {
      const role = String(at(a.properties, "roleDefinitionId"));
      const aScope = a.scope ?? `/subscriptions/${spec.subscriptionId}/resourceGroups/${a.resourceGroup ?? ""}`;
      return (
        role.endsWith(`/${wanted}`) &&
        scopeId !== undefined &&
        aScope.toLowerCase() === scopeId.toLowerCase() &&
        String(at(a.properties, "description")).startsWith(`${g.role}:`)
      );
    });
    if (!match) problems.push(`no ${g.role} assignment for ${g.principal} on ${g.scope} (${g.template})`);
    else if (at(match.properties, "principalType") !== "ServicePrincipal")
      problems.push(`${g.role} for ${g.principal}: principalType is not ServicePrincipal`);
  }
}

function workloadIdentityProblems(plan: Plan, c: ClusterSpec, principals: readonly string[], problems: string[]): void {
  for (const w of WORKLOAD_IDENTITIES.filter((w) => principals.includes(w.principal) && w.appliesTo(c))) {
    const name = workloadIdentityName(c, w.suffix);
    one(plan, "Microsoft.ManagedIdentity/userAssignedIdentities", name, problems, c.resourceGroup);
    const fic = one(
      plan,
      "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
      `${name}/${w.serviceAccount}`,
      problems,
      c.resourceGroup,
    );
    if (fic)
      expect(
        problems,
        `${name} federated subject`,
        at(fic.properties, "subject"),
        `system:serviceaccount:${w.namespace}:${w.serviceAccount}`,
      );
  }
}

const GITOPS = "templates/gitops";

export const REQUIREMENTS: readonly Requirement[] = [
  {
    id: "RG-1",
    summary: "Four resource groups, per-cluster groups independent, shared resources only in common",
    arm: {
      templates: ["resource-group.json"],
      resourceTypes: ["Microsoft.Resources/resourceGroups"],
      verify: (plan, spec) => {
        const problems: string[] = [];
        const groups = [spec.commonResourceGroup, ...spec.clusters.map((c) => c.resourceGroup)];
        const deployments = new Set<string>();
        for (const g of groups) {
          const rg = one(plan, "Microsoft.Resources/resourceGroups", g, problems);
          if (rg) deployments.add(rg.deployment);
        }
        if (deployments.size !== groups.length)
          problems.push("resource groups must each have their own deployment (created and deleted independently)");
        for (const d of planDeployments(plan).filter((d) => d.phase === "network" || d.template === "shared.json")) {
          if (d.resourceGroup !== spec.commonResourceGroup)
            problems.push(
              `shared deployment ${d.name} targets ${String(d.resourceGroup)}, not ${spec.commonResourceGroup}`,
            );
        }
        return problems;
      },
    },
  },
  {
    id: "NET-1",
    summary: "One VNet per cluster in common with the spec's address space",
    arm: {
      templates: ["network.json"],
      resourceTypes: ["Microsoft.Network/virtualNetworks"],
      verify: (plan, spec) =>
        forClusters(spec, (c, p) => {
          const vnet = one(plan, "Microsoft.Network/virtualNetworks", c.network.vnetName, p, spec.commonResourceGroup);
          if (vnet)
            expect(p, "addressPrefixes", at(vnet.properties, "addressSpace", "addressPrefixes"), [c.network.vnetCidr]);
        }),
    },
  },
  {
    id: "NET-2",
    summary: "Full-mesh peering in both directions, writes serialized per VNet",
    arm: {
      templates: ["network.json"],
      resourceTypes: ["Microsoft.Network/virtualNetworks/virtualNetworkPeerings"],
      verify: (plan, spec) => {
        const problems: string[] = [];
        const peerings = ofType(plan, "Microsoft.Network/virtualNetworks/virtualNetworkPeerings");
        for (const a of spec.clusters) {
          const mine = peerings.filter((r) => r.name.startsWith(`${a.network.vnetName}/`));
          // Full mesh (NET-2) by default; a spec choosing hub and spoke is held to the hub's peerings instead.
          for (const remote of vnetPeerings(spec, a).map((p) => p.remoteVirtualNetwork)) {
            const p = mine.find((r) =>
              String(at(r.properties, "remoteVirtualNetwork", "id")).endsWith(`/virtualNetworks/${remote}`),
            );
            if (!p) problems.push(`no peering ${a.network.vnetName} → ${remote}`);
            else if (at(p.properties, "allowVirtualNetworkAccess") !== true)
              problems.push(`peering ${p.name} does not allow VNet access`);
          }
          // One VNet's peerings are one unit's (the next unit may write another VNet's concurrently).
          const units = new Set(mine.map((r) => r.deployment));
          if (units.size > 1)
            problems.push(`peerings of ${a.network.vnetName} are split over ${[...units].join(", ")}`);
          const network = planDeployments(plan).find((d) => units.has(d.name));
          serialized(network?.resources ?? [], mine, `peerings of ${a.network.vnetName}`, problems);
        }
        return problems;
      },
    },
  },
  {
    id: "NET-3",
    summary: "An NSG per cluster VNet, attached at subnet level",
    arm: {
      templates: ["network.json"],
      resourceTypes: ["Microsoft.Network/networkSecurityGroups", "Microsoft.Network/virtualNetworks"],
      verify: (plan, spec) =>
        forClusters(spec, (c, p) => {
          const nsg = one(
            plan,
            "Microsoft.Network/networkSecurityGroups",
            networkSecurityGroupName(spec, c),
            p,
            spec.commonResourceGroup,
          );
          const vnet = ofType(plan, "Microsoft.Network/virtualNetworks").find((v) => v.name === c.network.vnetName);
          for (const subnet of arr(at(vnet?.properties, "subnets"))) {
            const id = at(subnet, "properties", "networkSecurityGroup", "id");
            if (typeof id !== "string") p.push(`subnet ${String(at(subnet, "name"))} has no NSG`);
          }
          const nodeSubnet = arr(at(vnet?.properties, "subnets")).find(
            (s) => at(s, "properties", "addressPrefix") === c.network.nodeSubnetCidr,
          );
          if (
            !nodeSubnet ||
            !nsg ||
            String(at(nodeSubnet, "properties", "networkSecurityGroup", "id")).toLowerCase() !== nsg.id.toLowerCase()
          ) {
            p.push("the node subnet is not attached to the cluster's NSG");
          }
        }),
    },
  },
  {
    id: "NET-4",
    summary: "AzureBastionSubnet and a jump-VM subnet in the host VNet; Bastion's required NSG rules",
    arm: {
      templates: ["network.json"],
      resourceTypes: ["Microsoft.Network/virtualNetworks", "Microsoft.Network/networkSecurityGroups"],
      verify: (plan, spec) => {
        const problems: string[] = [];
        const host = spec.clusters.find((c) => c.name === spec.access.hostCluster);
        const vnet = ofType(plan, "Microsoft.Network/virtualNetworks").find((v) => v.name === host?.network.vnetName);
        const subnets = arr(at(vnet?.properties, "subnets"));
        const prefix = (name: string): unknown =>
          at(
            subnets.find((s) => at(s, "name") === name),
            "properties",
            "addressPrefix",
          );
        expect(problems, BASTION_SUBNET_NAME, prefix(BASTION_SUBNET_NAME), spec.access.bastion.subnetCidr);
        expect(problems, JUMPBOX_SUBNET_NAME, prefix(JUMPBOX_SUBNET_NAME), spec.access.jumpbox.subnetCidr);
        const nsg = one(
          plan,
          "Microsoft.Network/networkSecurityGroups",
          bastionNetworkSecurityGroupName(spec),
          problems,
        );
        const rules = arr(at(nsg?.properties, "securityRules")).map((r) => at(r, "name"));
        for (const r of BASTION_SECURITY_RULES)
          if (!rules.includes(r.name)) problems.push(`Bastion NSG lacks rule ${r.name}`);
        return problems;
      },
    },
  },
  {
    id: "NET-5",
    summary: "Azure CNI Overlay with pod and service CIDRs outside the VNet space",
    arm: {
      templates: ["cluster.json"],
      resourceTypes: ["Microsoft.ContainerService/managedClusters"],
      verify: (plan, spec) =>
        forClusters(spec, (c, p) => {
          const aks = aksOf(plan, c, p);
          expect(p, "networkPluginMode", at(aks, "properties", "networkProfile", "networkPluginMode"), "overlay");
          expect(p, "podCidr", at(aks, "properties", "networkProfile", "podCidr"), c.network.podCidr);
          expect(p, "serviceCidr", at(aks, "properties", "networkProfile", "serviceCidr"), c.network.serviceCidr);
          for (const other of spec.clusters) {
            for (const cidr of [c.network.podCidr, c.network.serviceCidr]) {
              if (overlaps(cidr, other.network.vnetCidr))
                p.push(`${cidr} overlaps the VNet space ${other.network.vnetCidr}`);
            }
          }
        }),
    },
  },
  {
    id: "SH-1",
    summary: "Key Vault with RBAC, soft delete and purge protection",
    arm: {
      templates: ["shared.json"],
      resourceTypes: ["Microsoft.KeyVault/vaults"],
      verify: (plan, spec) => {
        const p: string[] = [];
        const kv = one(plan, "Microsoft.KeyVault/vaults", spec.shared.keyVault.name, p, spec.commonResourceGroup);
        expect(p, "enableRbacAuthorization", at(kv?.properties, "enableRbacAuthorization"), true);
        expect(p, "enableSoftDelete", at(kv?.properties, "enableSoftDelete"), true);
        expect(p, "enablePurgeProtection", at(kv?.properties, "enablePurgeProtection"), true);
        expect(
          p,
          "softDeleteRetentionInDays",
          at(kv?.properties, "softDeleteRetentionInDays"),
          spec.shared.keyVault.softDeleteRetentionDays,
        );
        return p;
      },
    },
  },
  {
    id: "SH-2",
    summary: "Azure Monitor workspace for Managed Prometheus (retention 18 months is fixed by the service)",
    arm: {
      templates: ["shared.json", "cluster.json"],
      resourceTypes: ["Microsoft.Monitor/accounts", "Microsoft.Insights/dataCollectionRules"],
      verify: (plan, spec) => {
        const p: string[] = [];
        const amw = one(
          plan,
          "Microsoft.Monitor/accounts",
          spec.shared.monitorWorkspace.name,
          p,
          spec.commonResourceGroup,
        );
        p.push(
          ...forClusters(spec, (c, cp) => {
            const dcr = one(
              plan,
              "Microsoft.Insights/dataCollectionRules",
              monitoringNames(spec, c).prometheusRule,
              cp,
              c.resourceGroup,
            );
            expect(
              cp,
              "Prometheus destination",
              at(dcr?.properties, "destinations", "monitoringAccounts", 0, "accountResourceId"),
              amw?.id,
            );
          }),
        );
        return p;
      },
    },
  },
  {
    id: "SH-3",
    summary: "Log Analytics: 30 days interactive, 12 years total",
    arm: {
      templates: ["shared.json"],
      resourceTypes: ["Microsoft.OperationalInsights/workspaces", "Microsoft.OperationalInsights/workspaces/tables"],
      verify: (plan, spec) => {
        const p: string[] = [];
        const la = spec.shared.logAnalytics;
        const ws = one(plan, "Microsoft.OperationalInsights/workspaces", la.name, p, spec.commonResourceGroup);
        expect(p, "retentionInDays", at(ws?.properties, "retentionInDays"), la.interactiveRetentionDays);
        const tables = ofType(plan, "Microsoft.OperationalInsights/workspaces/tables");
        for (const t of RETAINED_LOG_TABLES) {
          const table = tables.find((r) => r.name === `${la.name}/${t}`);
          if (!table) p.push(`table ${t} has no retention setting`);
          else
            expect(p, `${t} totalRetentionInDays`, at(table.properties, "totalRetentionInDays"), la.totalRetentionDays);
        }
        return p;
      },
    },
  },
  {
    id: "SH-4",
    summary: "Workspace-based Application Insights, 90 days",
    arm: {
      templates: ["shared.json"],
      resourceTypes: ["Microsoft.Insights/components", "Microsoft.OperationalInsights/workspaces/tables"],
      verify: (plan, spec) => {
        const p: string[] = [];
        const ai = one(
          plan,
          "Microsoft.Insights/components",
          spec.shared.appInsights.name,
          p,
          spec.commonResourceGroup,
        );
        const ws = ofType(plan, "Microsoft.OperationalInsights/workspaces").find(
          (w) => w.name === spec.shared.logAnalytics.name,
        );
        expect(p, "WorkspaceResourceId", at(ai?.properties, "WorkspaceResourceId"), ws?.id);
        expect(p, "RetentionInDays", at(ai?.properties, "RetentionInDays"), spec.shared.appInsights.retentionDays);
        // Workspace-based: the data's retention is the App* tables' interactive retention.
        for (const table of APP_INSIGHTS_TABLES) {
          const t = ofType(plan, "Microsoft.OperationalInsights/workspaces/tables").find(
            (r) => r.name === `${spec.shared.logAnalytics.name}/${table}`,
          );
          expect(
            p,
            `${table} retentionInDays`,
            at(t?.properties, "retentionInDays"),
            spec.shared.appInsights.retentionDays,
          );
        }
        return p;
      },
    },
  },
  {
    id: "SH-5",
    summary:
      "Backup vault (storage redundancy, job-failure alerts) with the AKS policy daily at the spec's time, N days",
    arm: {
      templates: ["shared.json"],
      resourceTypes: ["Microsoft.DataProtection/backupVaults", "Microsoft.DataProtection/backupVaults/backupPolicies"],
      verify: (plan, spec) => {
        const p: string[] = [];
        const bv = spec.shared.backupVault;
        const vault = one(plan, "Microsoft.DataProtection/backupVaults", bv.name, p, spec.commonResourceGroup);
        expect(p, "storageSettings", at(vault?.properties, "storageSettings"), [
          { datastoreType: "VaultStore", type: bv.storageRedundancy },
        ]);
        expect(
          p,
          "alertsForAllJobFailures",
          at(vault?.properties, "monitoringSettings", "azureMonitorAlertSettings", "alertsForAllJobFailures"),
          "Enabled",
        );
        const crr = bv.crossRegionRestore && bv.storageRedundancy === "GeoRedundant" ? "Enabled" : "Disabled";
        expect(
          p,
          "crossRegionRestoreSettings.state",
          at(vault?.properties, "featureSettings", "crossRegionRestoreSettings", "state"),
          crr,
        );
        const policy = ofType(plan, "Microsoft.DataProtection/backupVaults/backupPolicies").find((r) =>
          r.name.startsWith(`${bv.name}/`),
        );
        if (!policy) return [...p, "no backup policy"];
        expect(p, "datasourceTypes", at(policy.properties, "datasourceTypes"), [
          "Microsoft.ContainerService/managedClusters",
        ]);
        const rules = arr(at(policy.properties, "policyRules"));
        const schedule = rules.flatMap((r) => arr(at(r, "trigger", "schedule", "repeatingTimeIntervals")));
        if (!schedule.some((s) => String(s).includes(`T${bv.dailyBackupTimeUtc}:00+00:00/P1D`)))
          p.push(`no daily schedule at ${bv.dailyBackupTimeUtc} UTC: ${JSON.stringify(schedule)}`);
        const durations = rules.flatMap((r) => arr(at(r, "lifecycles")).map((l) => at(l, "deleteAfter", "duration")));
        expect(p, "retention", durations, [`P${bv.retentionDays}D`]);
        return p;
      },
    },
  },
  {
    id: "SH-6",
    summary: "Public Azure DNS zone for ingress names and ACME DNS-01",
    arm: {
      templates: ["shared.json"],
      resourceTypes: ["Microsoft.Network/dnsZones"],
      verify: (plan, spec) => {
        const p: string[] = [];
        const zone = one(plan, "Microsoft.Network/dnsZones", spec.shared.dnsZone.name, p, spec.commonResourceGroup);
        expect(p, "zoneType", at(zone?.properties, "zoneType"), "Public");
        return p;
      },
    },
  },
  {
    id: "SH-7",
    summary: "Container Registry, Basic, admin user disabled",
    arm: {
      templates: ["shared.json"],
      resourceTypes: ["Microsoft.ContainerRegistry/registries"],
      verify: (plan, spec) => {
        const p: string[] = [];
        const acr = one(
          plan,
          "Microsoft.ContainerRegistry/registries",
          spec.shared.containerRegistry.name,
          p,
          spec.commonResourceGroup,
        );
        expect(p, "sku", at(acr?.sku, "name"), spec.shared.containerRegistry.sku);
        expect(p, "adminUserEnabled", at(acr?.properties, "adminUserEnabled"), false);
        return p;
      },
    },
  },
  {
    id: "ACC-1",
    summary: "Bastion with a public IP in the host cluster's group; jump VM with private IP only and Entra login",
    arm: {
      templates: ["access.json"],
      resourceTypes: [
        "Microsoft.Network/bastionHosts",
        "Microsoft.Network/publicIPAddresses",
        "Microsoft.Compute/virtualMachines",
        "Microsoft.Network/networkInterfaces",
        "Microsoft.Compute/virtualMachines/extensions",
      ],
      verify: (plan, spec) => {
        const p: string[] = [];
        const host = spec.clusters.find((c) => c.name === spec.access.hostCluster);
        const rg = host?.resourceGroup;
        const bastion = one(plan, "Microsoft.Network/bastionHosts", spec.access.bastion.name, p, rg);
        expect(p, "Bastion sku", at(bastion?.sku, "name"), spec.access.bastion.sku);
        const pipId = String(at(bastion?.properties, "ipConfigurations", 0, "properties", "publicIPAddress", "id"));
        if (
          !ofType(plan, "Microsoft.Network/publicIPAddresses").some(
            (ip) => ip.id.toLowerCase() === pipId.toLowerCase() && ip.resourceGroup === rg,
          )
        ) {
          p.push("Bastion has no public IP of the plan in the host group");
        }
        const vm = one(plan, "Microsoft.Compute/virtualMachines", spec.access.jumpbox.vmName, p, rg);
        expect(p, "VM size", at(vm?.properties, "hardwareProfile", "vmSize"), spec.access.jumpbox.vmSize);
        if (!String(at(vm?.identity, "type")).includes("SystemAssigned")) p.push("the jump VM has no managed identity");
        for (const nicRef of arr(at(vm?.properties, "networkProfile", "networkInterfaces"))) {
          const nic = ofType(plan, "Microsoft.Network/networkInterfaces").find(
            (n) => n.id.toLowerCase() === String(at(nicRef, "id")).toLowerCase(),
          );
          if (!nic) p.push("the jump VM's NIC is not in the plan");
          else if (
            arr(at(nic.properties, "ipConfigurations")).some(
              (c) => at(c, "properties", "publicIPAddress") !== undefined,
            )
          )
            p.push("the jump VM's NIC has a public IP");
        }
        const ext = ofType(plan, "Microsoft.Compute/virtualMachines/extensions").find((e) =>
          e.name.startsWith(`${spec.access.jumpbox.vmName}/`),
        );
        expect(p, "Entra login extension", at(ext?.properties, "type"), "AADSSHLoginForLinux");
        return p;
      },
    },
  },
  {
    id: "AKS-1",
    summary: "One cluster per spec entry in its group, Standard tier, zones",
    arm: {
      templates: ["cluster.json"],
      resourceTypes: ["Microsoft.ContainerService/managedClusters"],
      verify: (plan, spec) =>
        forClusters(spec, (c, p) => {
          const aks = aksOf(plan, c, p);
          expect(p, "tier", at(aks, "sku", "tier"), c.tier);
          const zones = arr(at(systemPool(aks ?? {}), "availabilityZones"));
          if (zones.length < 2 || zones.some((z) => !c.zones.includes(String(z) as (typeof c.zones)[number]))) {
            p.push(
              `system pool zones ${JSON.stringify(zones)} are not at least two of the cluster's zones ${JSON.stringify(c.zones)}`,
            );
          }
          expect(p, "nodeResourceGroup", at(aks, "properties", "nodeResourceGroup"), c.nodeResourceGroup);
        }),
    },
  },
  {
    id: "AKS-2",
    summary: "Private API server; resolvable from every peered VNet through the shared private zone",
    arm: {
      templates: ["cluster.json", "network.json"],
      resourceTypes: [
        "Microsoft.ContainerService/managedClusters",
        "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
      ],
      verify: (plan, spec) => {
        const links = ofType(plan, "Microsoft.Network/privateDnsZones/virtualNetworkLinks").filter((l) =>
          l.name.startsWith(`${privateDnsZoneName(spec)}/`),
        );
        return forClusters(spec, (c, p) => {
          const aks = aksOf(plan, c, p);
          expect(
            p,
            "enablePrivateCluster",
            at(aks, "properties", "apiServerAccessProfile", "enablePrivateCluster"),
            true,
          );
          if (
            !String(at(aks, "properties", "apiServerAccessProfile", "privateDNSZone")).endsWith(
              `/privateDnsZones/${privateDnsZoneName(spec)}`,
            )
          )
            p.push("privateDNSZone is not the shared zone");
          if (
            !links.some((l) =>
              String(at(l.properties, "virtualNetwork", "id")).endsWith(`/virtualNetworks/${c.network.vnetName}`),
            )
          )
            p.push("the private zone is not linked to the VNet");
        });
      },
    },
  },
  {
    id: "AKS-3",
    summary: "Azure CNI Overlay with the Cilium dataplane and network policy",
    arm: {
      templates: ["cluster.json"],
      resourceTypes: ["Microsoft.ContainerService/managedClusters"],
      verify: (plan, spec) =>
        forClusters(spec, (c, p) => {
          const net = at(aksOf(plan, c, p), "properties", "networkProfile");
          expect(p, "networkPlugin", at(net, "networkPlugin"), "azure");
          expect(p, "networkDataplane", at(net, "networkDataplane"), "cilium");
          expect(p, "networkPolicy", at(net, "networkPolicy"), "cilium");
        }),
    },
  },
  {
    id: "AKS-4",
    summary: "System pool: size, count, Regular, zones, System mode",
    arm: {
      templates: ["cluster.json"],
      resourceTypes: ["Microsoft.ContainerService/managedClusters"],
      verify: (plan, spec) =>
        forClusters(spec, (c, p) => {
          const pool = systemPool(aksOf(plan, c, p) ?? {});
          if (!pool) return void p.push("no System pool");
          expect(p, "vmSize", at(pool, "vmSize"), c.pools.system.vmSize);
          expect(p, "count", at(pool, "count"), c.pools.system.count);
          expect(p, "availabilityZones", at(pool, "availabilityZones"), c.pools.system.zones);
          expect(p, "scaleSetPriority", at(pool, "scaleSetPriority"), "Regular");
        }),
    },
  },
  {
    id: "AKS-5",
    summary: "Ingress pool as an agentPools child, only on clusters with an ingress gateway",
    arm: {
      templates: ["cluster-pool.json"],
      resourceTypes: ["Microsoft.ContainerService/managedClusters/agentPools"],
      verify: (plan, spec) =>
        forClusters(spec, (c, p) => {
          const pools = ofType(plan, "Microsoft.ContainerService/managedClusters/agentPools").filter(
            (r) => r.name === `${c.aksName}/${INGRESS_POOL_NAME}`,
          );
          if (!c.pools.ingress) {
            if (pools.length > 0) p.push("has an ingress pool but the spec gives it none");
            return;
          }
          const pool = pools[0];
          if (pools.length !== 1 || !pool) return void p.push("no ingress agentPools child");
          expect(p, "vmSize", at(pool.properties, "vmSize"), c.pools.ingress.vmSize);
          expect(p, "count", at(pool.properties, "count"), c.pools.ingress.count);
          expect(p, "availabilityZones", at(pool.properties, "availabilityZones"), c.pools.ingress.zones);
          expect(p, "scaleSetPriority", at(pool.properties, "scaleSetPriority"), "Regular");
          expect(
            p,
            "Istio replica label",
            at(pool.properties, "nodeLabels", "azureservicemesh/istio.replica.preferred"),
            "true",
          );
        }),
    },
  },
  {
    id: "AKS-6",
    summary: "Spot-only worker capacity through Node Auto Provisioning",
    arm: {
      templates: ["cluster.json"],
      resourceTypes: ["Microsoft.ContainerService/managedClusters"],
      verify: (plan, spec) =>
        forClusters(spec, (c, p) => {
          const aks = aksOf(plan, c, p);
          expect(p, "nodeProvisioningProfile", at(aks, "properties", "nodeProvisioningProfile"), {
            mode: "Auto",
            defaultNodePools: "None",
          });
          if (arr(at(aks, "properties", "agentPoolProfiles")).some((pool) => at(pool, "enableAutoScaling") === true))
            p.push("a pool autoscales (NAP forbids it)");
        }),
    },
    elsewhere: [
      {
        path: `${GITOPS}/base/spot-capacity`,
        what: "Karpenter NodePool (spot only, D family, zones, CPU limit) and AKSNodeClass",
      },
    ],
  },
  {
    id: "AKS-7",
    summary: "Entra ID with Azure RBAC; local accounts disabled",
    arm: {
      templates: ["cluster.json"],
      resourceTypes: ["Microsoft.ContainerService/managedClusters"],
      verify: (plan, spec) =>
        forClusters(spec, (c, p) => {
          const aks = aksOf(plan, c, p);
          expect(
            p,
            "aadProfile",
            [at(aks, "properties", "aadProfile", "managed"), at(aks, "properties", "aadProfile", "enableAzureRBAC")],
            [true, true],
          );
          expect(p, "disableLocalAccounts", at(aks, "properties", "disableLocalAccounts"), true);
        }),
    },
  },
  {
    id: "AKS-8",
    summary: "OIDC issuer and workload identity; user-assigned identities; kubelet AcrPull",
    arm: {
      templates: ["cluster-identity.json", "cluster.json", "cluster-grants.json"],
      resourceTypes: [
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        "Microsoft.ContainerService/managedClusters",
        "Microsoft.Authorization/roleAssignments",
      ],
      verify: (plan, spec) =>
        forClusters(spec, (c, p) => {
          const aks = aksOf(plan, c, p);
          expect(p, "oidcIssuerProfile.enabled", at(aks, "properties", "oidcIssuerProfile", "enabled"), true);
          expect(
            p,
            "workloadIdentity.enabled",
            at(aks, "properties", "securityProfile", "workloadIdentity", "enabled"),
            true,
          );
          expect(p, "identity.type", at(aks, "identity", "type"), "UserAssigned");
          if (
            !String(at(aks, "properties", "identityProfile", "kubeletidentity", "resourceId")).endsWith(
              `/${kubeletIdentityName(c)}`,
            )
          )
            p.push("kubelet identity is not the user-assigned one");
          grantProblems(
            plan,
            spec,
            c,
            (g) => ["kubelet", "controlPlane"].includes(g.principal) && g.template !== "cluster-addons.json",
            p,
          );
        }),
    },
  },
  {
    id: "AKS-9",
    summary: "Key Vault CSI driver with rotation every 2 minutes",
    arm: {
      templates: ["cluster.json"],
      resourceTypes: ["Microsoft.ContainerService/managedClusters"],
      verify: (plan, spec) =>
        forClusters(spec, (c, p) =>
          expect(
            p,
            "azureKeyvaultSecretsProvider",
            at(aksOf(plan, c, p), "properties", "addonProfiles", "azureKeyvaultSecretsProvider"),
            {
              enabled: true,
              config: { enableSecretRotation: "true", rotationPollInterval: "2m" },
            },
          ),
        ),
    },
  },
  {
    id: "AKS-10",
    summary: "Managed Prometheus (DCE, DCR, associations, recording rules) and Container Insights (DCR, association)",
    arm: {
      templates: ["cluster.json", "cluster-monitoring.json"],
      resourceTypes: [
        "Microsoft.Insights/dataCollectionEndpoints",
        "Microsoft.Insights/dataCollectionRules",
        "Microsoft.Insights/dataCollectionRuleAssociations",
        "Microsoft.AlertsManagement/prometheusRuleGroups",
      ],
      verify: (plan, spec) =>
        forClusters(spec, (c, p) => {
          const aks = aksOf(plan, c, p);
          const ruleGroups = ofType(plan, "Microsoft.AlertsManagement/prometheusRuleGroups").filter(
            (g) => g.cluster === c.name && arr(at(g.properties, "scopes")).includes(at(aks, "id")),
          );
          if (ruleGroups.length < 2) p.push("the node and Kubernetes recording rule groups are missing");
          expect(
            p,
            "azureMonitorProfile.metrics.enabled",
            at(aks, "properties", "azureMonitorProfile", "metrics", "enabled"),
            true,
          );
          expect(p, "omsagent.enabled", at(aks, "properties", "addonProfiles", "omsagent", "enabled"), true);
          const names = monitoringNames(spec, c);
          one(plan, "Microsoft.Insights/dataCollectionEndpoints", names.endpoint, p, c.resourceGroup);
          const associations = ofType(plan, "Microsoft.Insights/dataCollectionRuleAssociations").filter(
            (a) => a.scope?.toLowerCase() === String(at(aks, "id")).toLowerCase(),
          );
          for (const rule of [names.prometheusRule, names.containerInsightsRule]) {
            const dcr = one(plan, "Microsoft.Insights/dataCollectionRules", rule, p, c.resourceGroup);
            if (
              dcr &&
              !associations.some(
                (a) => String(at(a.properties, "dataCollectionRuleId")).toLowerCase() === dcr.id.toLowerCase(),
              )
            )
              p.push(`rule ${rule} is not associated with the cluster`);
          }
          if (!associations.some((a) => at(a.properties, "dataCollectionEndpointId") !== undefined))
            p.push("no configurationAccessEndpoint association");
        }),
    },
  },
  {
    id: "AKS-11",
    summary: "Defender for Containers: plan with sensor, scanning, gating; Defender profile on each cluster",
    arm: {
      templates: ["defender.json", "cluster.json"],
      resourceTypes: ["Microsoft.Security/pricings", "Microsoft.ContainerService/managedClusters"],
      verify: (plan, spec) => {
        const p: string[] = [];
        if (!spec.defenderForContainers) return p;
        const pricing = one(plan, "Microsoft.Security/pricings", "Containers", p);
        expect(p, "pricingTier", at(pricing?.properties, "pricingTier"), "Standard");
        const enabled = arr(at(pricing?.properties, "extensions"))
          .filter((e) => at(e, "isEnabled") === "True")
          .map((e) => at(e, "name"));
        for (const ext of [
          "ContainerSensor",
          "ContainerRegistriesVulnerabilityAssessments",
          "ContainerIntegrityContribution",
        ]) {
          if (!enabled.includes(ext)) p.push(`Defender extension ${ext} is not enabled`);
        }
        p.push(
          ...forClusters(spec, (c, cp) => {
            const defender = at(aksOf(plan, c, cp), "properties", "securityProfile", "defender");
            expect(cp, "securityMonitoring", at(defender, "securityMonitoring", "enabled"), true);
            expect(cp, "securityGating", at(defender, "securityGating", "enabled"), true);
          }),
        );
        return p;
      },
    },
  },
  {
    id: "AKS-12",
    summary:
      "Istio add-on with an external ingress gateway where the spec says (mgmt, app1); no Istio at all elsewhere (app2)",
    arm: {
      templates: ["cluster.json", "cluster-addons.json"],
      resourceTypes: [
        "Microsoft.ContainerService/managedClusters",
        "Microsoft.KubernetesConfiguration/fluxConfigurations",
      ],
      verify: (plan, spec) =>
        forClusters(spec, (c, p) => {
          const mesh = at(aksOf(plan, c, p), "properties", "serviceMeshProfile");
          if (!c.addons.istioIngressGateway) {
            // The seed: "app2: Ingress/Istio 미배포" — not a mesh without a gateway, no mesh.
            expect(p, "mode", at(mesh, "mode"), "Disabled");
            if (at(mesh, "istio") !== undefined) p.push("no Istio settings expected on a cluster without Istio");
            const flux = planResources(plan).find(
              (r) => r.cluster === c.name && r.type === "Microsoft.KubernetesConfiguration/fluxConfigurations",
            );
            const revision = at(
              flux?.properties,
              "kustomizations",
              "cluster",
              "postBuild",
              "substitute",
              "ISTIO_REVISION",
            );
            if (revision !== "") p.push("an empty ISTIO_REVISION expected in its GitOps variables");
            return;
          }
          expect(p, "mode", at(mesh, "mode"), "Istio");
          if (arr(at(mesh, "istio", "revisions")).length !== 1) p.push("exactly one Istio revision expected");
          const gateways = arr(at(mesh, "istio", "components", "ingressGateways"));
          expect(p, "ingress gateways", gateways, [{ mode: "External", enabled: true }]);
        }),
    },
    elsewhere: [
      {
        path: "orchestrations/build/activities/lookupIstioRevision.ts",
        what: "the region's newest Istio add-on revision, looked up at deploy time unless the spec pins one",
      },
    ],
  },
  {
    id: "AKS-13",
    summary: "Pod Security Admission baseline on workload namespaces",
    elsewhere: [{ path: `${GITOPS}/base/workloads`, what: "namespace labels pod-security.kubernetes.io/enforce" }],
  },
  {
    id: "ADD-1",
    summary: "Priority classes before other add-ons",
    elsewhere: [{ path: `${GITOPS}/base/priority-classes`, what: "PriorityClasses, first Flux layer" }],
  },
  {
    id: "ADD-2",
    summary: "Hubble flow observability",
    arm: {
      templates: ["cluster.json"],
      resourceTypes: ["Microsoft.ContainerService/managedClusters"],
      verify: (plan, spec) =>
        forClusters(spec, (c, p) =>
          expect(p, "advancedNetworking", at(aksOf(plan, c, p), "properties", "networkProfile", "advancedNetworking"), {
            enabled: true,
            observability: { enabled: true },
          }),
        ),
    },
  },
  {
    id: "ADD-3",
    summary: "Gateway API CRDs",
    elsewhere: [
      {
        path: `${GITOPS}/base/flux`,
        what: "gateway-api-crds Flux layer (the AKS-managed Gateway API stays off: one owner for the CRDs)",
      },
    ],
  },
  {
    id: "ADD-4",
    summary: "cert-manager with workload identity: DNS TXT write on the zone, Key Vault certificates",
    arm: {
      templates: ["cluster-addons.json", "cluster-addons-common.json"],
      resourceTypes: [
        "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
        "Microsoft.Authorization/roleAssignments",
      ],
      verify: (plan, spec) =>
        forClusters(spec, (c, p) => {
          workloadIdentityProblems(plan, c, ["certManager"], p);
          grantProblems(plan, spec, c, (g) => g.principal === "certManager", p);
        }),
    },
    elsewhere: [
      {
        path: `${GITOPS}/base/cert-manager-issuers`,
        what: "Let's Encrypt ClusterIssuer with DNS-01 on Azure DNS, renewBefore 30 days",
      },
    ],
  },
  {
    id: "ADD-5",
    summary: "ESO writes TLS material to Key Vault; the gateway mounts it with the CSI driver",
    arm: {
      templates: ["cluster-addons.json", "cluster-addons-common.json"],
      resourceTypes: ["Microsoft.ManagedIdentity/userAssignedIdentities", "Microsoft.Authorization/roleAssignments"],
      verify: (plan, spec) =>
        forClusters(spec, (c, p) => {
          workloadIdentityProblems(plan, c, ["externalSecrets", "ingressKeyVault"], p);
          grantProblems(
            plan,
            spec,
            c,
            (g) => g.principal === "externalSecrets" || g.principal === "ingressKeyVault",
            p,
          );
        }),
    },
    elsewhere: [
      { path: `${GITOPS}/base/external-secrets`, what: "External Secrets Operator" },
      { path: `${GITOPS}/base/istio-gateway`, what: "PushSecret of tls.crt/tls.key and the CSI SecretProviderClass" },
    ],
  },
  {
    id: "ADD-6",
    summary: "Reloader restarts the gateway on certificate change",
    elsewhere: [{ path: `${GITOPS}/base/reloader`, what: "Stakater Reloader" }],
  },
  {
    id: "ADD-7",
    summary: "Kiali on mgmt and app1",
    elsewhere: [{ path: `${GITOPS}/base/kiali`, what: "Kiali CR (clusters with kiali: true)" }],
  },
  {
    id: "ADD-8",
    summary: "Flux extension per cluster, 1-minute poll, path <gitops.path>/clusters/<name>, settings substituted",
    arm: {
      templates: ["cluster-addons.json"],
      resourceTypes: [
        "Microsoft.KubernetesConfiguration/extensions",
        "Microsoft.KubernetesConfiguration/fluxConfigurations",
      ],
      verify: (plan, spec) =>
        forClusters(spec, (c, p) => {
          const mine = planResources(plan).filter((r) => r.cluster === c.name);
          const ext = mine.find(
            (r) =>
              r.type === "Microsoft.KubernetesConfiguration/extensions" &&
              at(r.properties, "extensionType") === "microsoft.flux",
          );
          if (!ext) p.push("no Flux extension");
          const cfg = mine.find((r) => r.type === "Microsoft.KubernetesConfiguration/fluxConfigurations");
          if (!cfg) return void p.push("no Flux configuration");
          expect(p, "repository", at(cfg.properties, "gitRepository", "url"), spec.gitops.repositoryUrl);
          expect(p, "poll interval", at(cfg.properties, "gitRepository", "syncIntervalInSeconds"), 60);
          const k = at(cfg.properties, "kustomizations", "cluster");
          expect(p, "path", at(k, "path"), fluxKustomizationPath(spec, c));
          expect(p, "kustomization interval", at(k, "syncIntervalInSeconds"), 60);
          expect(
            p,
            "substitution variables",
            Object.keys(obj(at(k, "postBuild", "substitute"))).sort(),
            [...FLUX_SUBSTITUTION_VARIABLES].sort(),
          );
        }),
    },
    elsewhere: [{ path: `${GITOPS}/clusters`, what: "clusters/<name>/ overlays inheriting base/" }],
  },
  {
    id: "ADD-9",
    summary: "Kyverno Enforce on app1 and app2",
    elsewhere: [
      { path: `${GITOPS}/base/kyverno`, what: "Kyverno and its Enforce policies (clusters with kyverno: true)" },
    ],
  },
  {
    id: "ADD-10",
    summary: "Backup extension, its blob container, trusted access and a backup instance per cluster",
    arm: {
      templates: ["shared.json", "cluster-addons.json", "cluster-addons-common.json", "cluster.json"],
      resourceTypes: [
        "Microsoft.KubernetesConfiguration/extensions",
        "Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings",
        "Microsoft.DataProtection/backupVaults/backupInstances",
        "Microsoft.Storage/storageAccounts/blobServices/containers",
      ],
      verify: (plan, spec) =>
        forClusters(spec, (c, p) => {
          if (!c.addons.backup) return;
          const aks = aksOf(plan, c, p);
          expect(
            p,
            "disk CSI + snapshot controller",
            [
              at(aks, "properties", "storageProfile", "diskCSIDriver", "enabled"),
              at(aks, "properties", "storageProfile", "snapshotController", "enabled"),
            ],
            [true, true],
          );
          const mine = planResources(plan).filter((r) => r.cluster === c.name);
          const ext = mine.find((r) => at(r.properties, "extensionType") === "microsoft.dataprotection.kubernetes");
          if (!ext) p.push("no backup extension");
          const container = backupContainerName(c);
          if (
            !ofType(plan, "Microsoft.Storage/storageAccounts/blobServices/containers").some(
              (r) => r.name === `${backupStorageAccountName(spec)}/default/${container}`,
            )
          )
            p.push(`no blob container ${container}`);
          expect(
            p,
            "extension container",
            at(ext?.properties, "configurationSettings", "configuration.backupStorageLocation.bucket"),
            container,
          );
          const binding = mine.find(
            (r) => r.type === "Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings",
          );
          expect(p, "trusted access roles", at(binding?.properties, "roles"), [
            "Microsoft.DataProtection/backupVaults/backup-operator",
          ]);
          const instance = one(
            plan,
            "Microsoft.DataProtection/backupVaults/backupInstances",
            `${spec.shared.backupVault.name}/${backupInstanceName(c)}`,
            p,
            spec.commonResourceGroup,
          );
          expect(p, "datasource", at(instance?.properties, "dataSourceInfo", "resourceID"), at(aks, "id"));
          expect(
            p,
            "volume types",
            at(
              instance?.properties,
              "policyInfo",
              "policyParameters",
              "backupDatasourceParametersList",
              0,
              "includedVolumeTypes",
            ),
            ["AzureDisk"],
          );
          grantProblems(
            plan,
            spec,
            c,
            (g) => g.principal === "backupVault" || g.principal === "backupExtension" || g.scope === "resourceGroup",
            p,
          );
        }),
    },
  },
  {
    id: "ADD-11",
    summary: "Workload-identity map: every grant of lib/plan/identities.ts, federated credentials",
    arm: {
      templates: ["cluster-grants.json", "cluster.json", "cluster-addons.json", "cluster-addons-common.json"],
      resourceTypes: [
        "Microsoft.Authorization/roleAssignments",
        "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
      ],
      verify: (plan, spec) =>
        forClusters(spec, (c, p) => {
          grantProblems(plan, spec, c, () => true, p);
          workloadIdentityProblems(
            plan,
            c,
            WORKLOAD_IDENTITIES.map((w) => w.principal),
            p,
          );
          const addons = planDeployments(plan).find(
            (d) => d.cluster === c.name && d.template === "cluster-addons.json",
          );
          const resources = addons?.resources ?? [];
          serialized(
            resources,
            resources.filter(
              (r) => r.type === "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
            ),
            "federated credentials",
            p,
          );
          serialized(
            resources,
            // Extension operations serialize per cluster; a Flux configuration may install beside one
            // (local/sandbox/deployments.ts lockKeyFor).
            resources.filter((r) => r.scope !== undefined && r.type === "Microsoft.KubernetesConfiguration/extensions"),
            "cluster extensions",
            p,
          );
        }),
    },
    elsewhere: [
      { path: `${GITOPS}/base/reloader`, what: "Reloader RBAC to patch deployments" },
      {
        path: `${GITOPS}/base/flux`,
        what: "Flux Git access (an SSH deploy key secret in flux-system for a private repository)",
      },
    ],
  },
  {
    id: "ADD-12",
    summary: "PDBs and zone spread for Spot workloads",
    elsewhere: [
      {
        path: `${GITOPS}/base/kyverno-policies`,
        what: "require-pdb-for-spot policy; sample workloads with PDB and topology spread",
      },
    ],
  },
];

/** Problems of every ARM-checked requirement on a plan (empty when all hold). */
export function verifyRequirements(plan: Plan, spec: PlatformSpec): { id: string; problems: string[] }[] {
  return REQUIREMENTS.filter((r) => r.arm).map((r) => ({ id: r.id, problems: r.arm!.verify(plan, spec) }));
}
