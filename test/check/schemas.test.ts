import { readdirSync, readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  checkFailed,
  checkPlan,
  ENUM_EXTENSIONS,
  loadArmSchemas,
  parametersFile,
  resolveSchemasDir,
  SCHEMA_ALLOWLIST,
  SCHEMAS_HELP,
  validatePlanSchemas,
  type ArmSchemas,
} from "../../lib/check";
import { repoRoot } from "../../lib/config";
import { buildPlan, planDeployments, type PlanResource } from "../../lib/plan";
import { runCli } from "../helpers/cli";
import { defaultPlan, specWith } from "./fixtures";

const schemasDir = resolveSchemasDir();
const templatesDir = path.join(repoRoot(), "templates");
const resources = (): PlanResource[] => planDeployments(defaultPlan()).flatMap((d) => d.resources);
const find = (type: string): PlanResource => structuredClone(resources().find((r) => r.type === type)!);
const problemsOf = (schemas: ArmSchemas, r: PlanResource): { path: string; message: string }[] => {
  const result = schemas.validateResource(r);
  return result.status === "invalid" ? result.problems.map(({ path: p, message }) => ({ path: p, message })) : [];
};

// Without the schemas folder these tests cannot run; the suite name says how to get it instead of passing silently.
describe.skipIf(schemasDir === undefined)(
  schemasDir === undefined ? `official ARM schemas — SKIPPED: ${SCHEMAS_HELP}` : "official ARM schemas",
  () => {
    const schemas = (): ArmSchemas => loadArmSchemas(schemasDir!);

    it("validates every resource of the expanded default plan, every template envelope and every parameter file", () => {
      const report = validatePlanSchemas(defaultPlan(), schemas(), templatesDir);
      expect(report.problems).toEqual([]);
      expect(report.missing).toEqual([]);
      expect(report.validated).toBe(resources().length);
      expect(
        readdirSync(path.join(templatesDir, "arm")).filter((f) => f.endsWith(".json")).length,
      ).toBeGreaterThanOrEqual(10);
    });

    it("validates the Virtual Network Manager topology's manager, group, static members and Mesh configuration", () => {
      const plan = buildPlan(specWith((spec) => (spec.network.topology = "virtualNetworkManager")));
      const report = validatePlanSchemas(plan, schemas(), templatesDir);
      expect(report.problems).toEqual([]);
      expect(report.missing).toEqual([]);
      const types = planDeployments(plan).flatMap((d) => d.resources.map((r) => r.type));
      expect(types.filter((t) => t.startsWith("Microsoft.Network/networkManagers")).sort()).toEqual([
        "Microsoft.Network/networkManagers",
        "Microsoft.Network/networkManagers/connectivityConfigurations",
        "Microsoft.Network/networkManagers/networkGroups",
        "Microsoft.Network/networkManagers/networkGroups/staticMembers",
        "Microsoft.Network/networkManagers/networkGroups/staticMembers",
        "Microsoft.Network/networkManagers/networkGroups/staticMembers",
      ]);
      expect(types).not.toContain("Microsoft.Network/virtualNetworks/virtualNetworkPeerings");
    });

    it("finds a schema for the exact type and api-version of every deployed resource", () => {
      for (const r of resources())
        expect(schemas().locate(r.type, r.apiVersion), `${r.type}@${r.apiVersion}`).toBeDefined();
    });

    it("reports unknown keys that the schemas themselves would let through", () => {
      const aks = find("Microsoft.ContainerService/managedClusters") as PlanResource & {
        properties: Record<string, Record<string, unknown>>;
      };
      aks.properties.apiServerAccessProfile!.enablePrivateClustr = true;
      expect(problemsOf(schemas(), aks)).toContainEqual({
        path: "/properties/apiServerAccessProfile/enablePrivateClustr",
        message: "unknown property 'enablePrivateClustr' (not declared by the schema)",
      });
    });

    it("reports unknown keys inside definitions-only providers (Flux configuration)", () => {
      const flux = find("Microsoft.KubernetesConfiguration/fluxConfigurations") as PlanResource & {
        properties: { kustomizations: { cluster: Record<string, unknown> } };
      };
      flux.properties.kustomizations.cluster.syncInterval = 60;
      expect(problemsOf(schemas(), flux).map((p) => p.path)).toEqual([
        "/properties/kustomizations/cluster/syncInterval",
      ]);
    });

    it("enforces the exact case of enums and the value types", () => {
      const aks = find("Microsoft.ContainerService/managedClusters") as PlanResource & {
        properties: Record<string, Record<string, unknown>>;
      };
      aks.properties.networkProfile!.networkPolicy = "Cilium";
      aks.properties.disableLocalAccounts = "true" as unknown as Record<string, unknown>;
      const paths = problemsOf(schemas(), aks).map((p) => p.path);
      expect(paths).toContain("/properties/networkProfile/networkPolicy");
      expect(paths).toContain("/properties/disableLocalAccounts");
    });

    it("reports missing required properties", () => {
      const kv = find("Microsoft.KeyVault/vaults") as PlanResource & { properties: Record<string, unknown> };
      delete kv.properties.tenantId;
      expect(
        problemsOf(schemas(), kv)
          .map((p) => p.message)
          .join(" "),
      ).toMatch(/tenantId/);
    });

    it("validates DataProtection's polymorphic policy rules once their bases are relaxed, and still rejects wrong discriminators", () => {
      const policy = find("Microsoft.DataProtection/backupVaults/backupPolicies");
      expect(schemas().validateResource(policy)).toEqual({ status: "valid" });
      const broken = structuredClone(policy) as PlanResource & {
        properties: { policyRules: { objectType: string }[] };
      };
      broken.properties.policyRules[0]!.objectType = "AzureBackupRules";
      expect(schemas().validateResource(broken).status).toBe("invalid");
    });

    it("accepts deferred values wherever a value goes, as the ARM expression they stand for", () => {
      const fic = find("Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials");
      expect(JSON.stringify(fic.properties)).toContain("$deferred");
      expect(schemas().validateResource(fic)).toEqual({ status: "valid" });
      const aks = find("Microsoft.ContainerService/managedClusters") as PlanResource & {
        properties: Record<string, unknown>;
      };
      aks.properties.networkProfile = { $deferred: "[reference('x').networkProfile]" };
      expect(schemas().validateResource(aks)).toEqual({ status: "valid" });
    });

    it("fails a resource type without schema unless the allow-list gives a reason", () => {
      const plan = structuredClone(defaultPlan());
      const first = planDeployments(plan)[0]!;
      first.resources.push({
        ...find("Microsoft.KeyVault/vaults"),
        type: "Microsoft.Example/widgets",
        apiVersion: "2026-01-01",
        id: "/widgets/w",
      });
      const report = checkPlan(plan, specWith(), { schemas: schemas(), templatesDir });
      expect(report.schemas?.missing).toEqual([
        { resourceId: "/widgets/w", type: "Microsoft.Example/widgets", apiVersion: "2026-01-01" },
      ]);
      expect(checkFailed(report)).toBe(true);
      for (const entry of SCHEMA_ALLOWLIST) {
        expect(entry.reason.length, entry.type).toBeGreaterThan(20);
        expect(
          schemas()
            .knownTypes()
            .some((k) => k.startsWith(`${entry.type.toLowerCase()}|`)),
          `${entry.type} has a schema: drop it from the allow-list`,
        ).toBe(false);
      }
    });

    it("extends only enums the official files really close (no stale allow-list entries)", () => {
      for (const x of ENUM_EXTENSIONS) {
        const raw = readFileSync(path.join(schemasDir!, x.file), "utf8");
        const closed = [...raw.matchAll(/"enum":\s*\[([^\]]*)\]/g)]
          .map((m) => m[1]!)
          .filter((e) => e.includes(`"${x.enumContaining}"`));
        expect(closed.length, x.file).toBeGreaterThan(0);
        for (const value of x.added)
          expect(
            closed.every((e) => !e.includes(`"${value}"`)),
            `${value} is already allowed`,
          ).toBe(true);
      }
    });

    it("validates parameter files as `az deployment … --parameters` takes them", () => {
      expect(schemas().validateParametersFile(parametersFile({ name: "rg-x" }), "p")).toEqual([]);
      expect(schemas().validateParametersFile({ parameters: {} }, "p").length).toBeGreaterThan(0);
    });

    it("rejects a template envelope that is not one", () => {
      const template = JSON.parse(readFileSync(path.join(templatesDir, "arm", "network.json"), "utf8")) as Record<
        string,
        unknown
      >;
      delete template.contentVersion;
      expect(
        schemas()
          .validateTemplate(template, "network.json")
          .map((p) => p.message)
          .join(" "),
      ).toMatch(/contentVersion/);
    });

    it("`aks-platform check --schemas DIR` passes the default spec and fails a spec that breaks a rule", async () => {
      const ok = await runCli(["check", "--schemas", schemasDir!, "-o", "table"]);
      expect(ok.stderr).toBe("");
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/schemas \(.*\): \d+ resources validated, 0 problem\(s\), 0 type\(s\) without schema/);
      expect(ok.stdout).toMatch(/suppressed Azure\.ACR\.MinSku .* — SH-7/);

      const dir = mkdtempSync(path.join(tmpdir(), "aks-check-"));
      const file = path.join(dir, "spec.json");
      writeFileSync(file, JSON.stringify(specWith((s) => (s.shared.logAnalytics.interactiveRetentionDays = 7))));
      const bad = await runCli(["check", "--schemas", schemasDir!, "--spec", file, "--format", "json"]);
      expect(bad.code).toBe(1);
      const report = JSON.parse(bad.stdout) as { rules: { rule: string; outcome: string }[] };
      expect(report.rules.filter((r) => r.outcome === "fail").map((r) => r.rule)).toEqual(["Azure.Log.Retention"]);
    });
  },
);

describe("schemas folder", () => {
  it("exits 2 without schemas, saying where to get the official ones and which setting points at a copy", async () => {
    const missing = path.join(tmpdir(), "no-such-schemas-folder");
    const result = await runCli(["check"], { env: { AKS_PLATFORM_ARM_SCHEMAS_DIR: missing } });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`no ARM schemas at ${missing}, so nothing was checked`);
    expect(result.stderr).toContain("https://github.com/Azure/azure-resource-manager-schemas");
    expect(result.stderr).toContain("AKS_PLATFORM_ARM_SCHEMAS_DIR");

    // The rest of the checks on request, said plainly.
    const skipped = await runCli(["check", "--skip-schemas", "-o", "table"], {
      env: { AKS_PLATFORM_ARM_SCHEMAS_DIR: missing },
    });
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toMatch(/^schemas: skipped \(--skip-schemas\)$/m);
    expect(skipped.stdout).toMatch(/requirements: \d+\/\d+ hold/);
  });

  it("names how to get the schemas when the folder is missing", async () => {
    const result = await runCli(["check", "--schemas", path.join(tmpdir(), "no-such-schemas-folder")]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/azure-resource-manager-schemas/);
    expect(
      resolveSchemasDir({ AKS_PLATFORM_ARM_SCHEMAS_DIR: path.join(tmpdir(), "no-such-schemas-folder") }),
    ).toBeUndefined();
  });
});
