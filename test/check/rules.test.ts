import { describe, expect, it } from "vitest";
import { RULES, runRules, SUPPRESSIONS } from "../../lib/check";
import { planDeployments, type Plan, type PlanResource } from "../../lib/plan";
import { defaultPlan, planCopy } from "./fixtures";

/** The first resource of a type in a plan copy, for a test to break. */
function first(plan: Plan, type: string): PlanResource {
  const found = planDeployments(plan)
    .flatMap((d) => d.resources)
    .find((r) => r.type === type);
  if (!found) throw new Error(`no ${type} in the plan`);
  return found;
}

/** Sets the value at a dotted path of the first resource of a type (`undefined` deletes it); digits index arrays. */
function set(plan: Plan, type: string, dotted: string, value: unknown): void {
  const keys = dotted.split(".");
  const last = keys.pop()!;
  let node = first(plan, type) as unknown as Record<string, unknown>;
  for (const k of keys) node = node[k] as Record<string, unknown>;
  if (value === undefined) delete node[last];
  else node[last] = value;
}

function remove(plan: Plan, keep: (r: PlanResource) => boolean): void {
  for (const d of planDeployments(plan)) d.resources = d.resources.filter(keep);
}

const AKS = "Microsoft.ContainerService/managedClusters";
const KV = "Microsoft.KeyVault/vaults";
const ACR = "Microsoft.ContainerRegistry/registries";
const ST = "Microsoft.Storage/storageAccounts";
const BV = "Microsoft.DataProtection/backupVaults";

/** One way to break each rule; every rule must have one (a rule nobody can break tests nothing). */
const BREAKERS: Record<string, (plan: Plan) => void> = {
  "Azure.AKS.PrivateCluster": (p) => set(p, AKS, "properties.apiServerAccessProfile.enablePrivateCluster", false),
  "Azure.AKS.LocalAccounts": (p) => set(p, AKS, "properties.disableLocalAccounts", false),
  "Azure.AKS.AzureRBAC": (p) => set(p, AKS, "properties.aadProfile.enableAzureRBAC", false),
  "Azure.AKS.UptimeSLA": (p) => set(p, AKS, "sku", { name: "Base", tier: "Free" }),
  "Azure.AKS.AvailabilityZone": (p) => set(p, AKS, "properties.agentPoolProfiles.0.availabilityZones", ["1"]),
  // Violated by design in the default plan (fixed-size pools with NAP); checked without its suppression.
  "Azure.AKS.AutoScaling": () => undefined,
  "Azure.AKS.NetworkPolicy": (p) => set(p, AKS, "properties.networkProfile.networkPolicy", "none"),
  "Azure.AKS.StandardLB": (p) => set(p, AKS, "properties.networkProfile.loadBalancerSku", "basic"),
  "Azure.AKS.ContainerInsights": (p) => set(p, AKS, "properties.addonProfiles.omsagent.enabled", false),
  "Azure.AKS.AuditLogs": (p) => {
    const aks = first(p, AKS);
    remove(p, (r) => !(r.type === "Microsoft.Insights/diagnosticSettings" && r.scope === aks.id));
  },
  "Azure.AKS.DefenderProfile": (p) => set(p, AKS, "properties.securityProfile.defender", undefined),
  "Azure.AKS.SecretStore": (p) =>
    set(p, AKS, "properties.addonProfiles.azureKeyvaultSecretsProvider.config.enableSecretRotation", "false"),
  "Azure.AKS.WorkloadIdentity": (p) => set(p, AKS, "properties.oidcIssuerProfile.enabled", false),
  "Azure.AKS.AutoUpgrade": (p) => set(p, AKS, "properties.autoUpgradeProfile.upgradeChannel", "none"),
  "Azure.AKS.NodePublicIP": (p) => set(p, `${AKS}/agentPools`, "properties.enableNodePublicIP", true),
  "Azure.KeyVault.PurgeProtect": (p) => set(p, KV, "properties.enablePurgeProtection", false),
  "Azure.KeyVault.RBAC": (p) => set(p, KV, "properties.enableRbacAuthorization", false),
  "Azure.ACR.AdminUser": (p) => set(p, ACR, "properties.adminUserEnabled", true),
  "Azure.ACR.AnonymousAccess": (p) => set(p, ACR, "properties.anonymousPullEnabled", true),
  // Violated by design (SH-7: Basic); checked without its suppression.
  "Azure.ACR.MinSku": () => undefined,
  "Azure.NIC.PublicIP": (p) =>
    set(p, "Microsoft.Network/networkInterfaces", "properties.ipConfigurations.0.properties.publicIPAddress", {
      id: "/pip",
    }),
  "Azure.VM.PublicKey": (p) =>
    set(
      p,
      "Microsoft.Compute/virtualMachines",
      "properties.osProfile.linuxConfiguration.disablePasswordAuthentication",
      false,
    ),
  "Azure.VM.EntraLogin": (p) => remove(p, (r) => r.type !== "Microsoft.Compute/virtualMachines/extensions"),
  "Azure.Storage.MinTLS": (p) => set(p, ST, "properties.minimumTlsVersion", "TLS1_0"),
  "Azure.Storage.SecureTransfer": (p) => set(p, ST, "properties.supportsHttpsTrafficOnly", false),
  "Azure.Storage.BlobPublicAccess": (p) => set(p, ST, "properties.allowBlobPublicAccess", true),
  "Azure.Diagnostics.LogAnalytics": (p) => {
    const kv = first(p, KV);
    remove(p, (r) => !(r.type === "Microsoft.Insights/diagnosticSettings" && r.scope === kv.id));
  },
  "Azure.Log.Retention": (p) => set(p, "Microsoft.OperationalInsights/workspaces", "properties.retentionInDays", 7),
  "Azure.AppInsights.Workspace": (p) =>
    set(p, "Microsoft.Insights/components", "properties.WorkspaceResourceId", undefined),
  "Azure.BackupVault.JobFailureAlerts": (p) =>
    set(p, BV, "properties.monitoringSettings.azureMonitorAlertSettings.alertsForAllJobFailures", "Disabled"),
  "Azure.BackupVault.SoftDelete": (p) => set(p, BV, "properties.securitySettings.softDeleteSettings.state", "Off"),
  "Azure.RBAC.PrincipalType": (p) =>
    set(p, "Microsoft.Authorization/roleAssignments", "properties.principalType", undefined),
  "Azure.VNET.UseNSGs": (p) =>
    set(p, "Microsoft.Network/virtualNetworks", "properties.subnets.0.properties.networkSecurityGroup", undefined),
  "Azure.Defender.Containers": (p) => set(p, "Microsoft.Security/pricings", "properties.pricingTier", "Free"),
};

describe("best-practice rules", () => {
  it("pass on the default plan except the written exceptions", () => {
    const results = runRules(defaultPlan());
    expect(results.filter((r) => r.outcome === "fail")).toEqual([]);
    const suppressed = new Set(results.filter((r) => r.outcome === "suppressed").map((r) => r.rule));
    expect([...suppressed].sort()).toEqual(["Azure.ACR.MinSku", "Azure.AKS.AutoScaling"]);
    for (const s of SUPPRESSIONS) expect(s.reason.length, s.rule).toBeGreaterThan(40);
    // Every rule looked at something: a rule whose types never occur checks nothing.
    for (const rule of RULES)
      expect(
        results.some((r) => r.rule === rule.id),
        rule.id,
      ).toBe(true);
  });

  it("has a breaking test for every rule", () => {
    expect(Object.keys(BREAKERS).sort()).toEqual(RULES.map((r) => r.id).sort());
  });

  for (const rule of RULES) {
    it(`${rule.id} fails when broken`, () => {
      const plan = planCopy();
      BREAKERS[rule.id]!(plan);
      // Suppressed rules are checked without their suppression: the exception must not hide a real check.
      const failed = runRules(plan, RULES, []).filter((r) => r.rule === rule.id && r.outcome === "fail");
      expect(failed.length, rule.id).toBeGreaterThan(0);
      expect(failed[0]!.message).toBeTruthy();
    });
  }

  it("suppressions apply only to their own rule", () => {
    const plan = planCopy();
    set(plan, ACR, "properties.adminUserEnabled", true);
    const acr = runRules(plan).filter((r) => r.type === "Microsoft.ContainerRegistry/registries");
    expect(acr.find((r) => r.rule === "Azure.ACR.AdminUser")?.outcome).toBe("fail");
    expect(acr.find((r) => r.rule === "Azure.ACR.MinSku")?.outcome).toBe("suppressed");
  });
});
