import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { loadArmSchemas, resolveSchemasDir, runRules, SCHEMAS_HELP, type ArmSchemas } from "../../lib/check";
import { buildPlan, planDeployments, type PlanResource } from "../../lib/plan";
import { INGRESS_GATEWAY, TLS_CERT_SECRET } from "../../lib/ops/reactions";
import { ROLES } from "../../lib/plan/identities";
import { defaultSpec } from "../../lib/spec";
import {
  allInfraDeployments,
  asPlan,
  expandMain,
  expandPlatformAccess,
  INFRA_DIR,
  ofType,
  readInfraTemplate,
  single,
  SLACK_URL,
  TEAMS_URL,
  type InfraFile,
} from "./infra";
import { checkResource, RESOURCE_CHECKS } from "./resource-checks";

const allowlistSchema = z.strictObject({
  description: z.string(),
  types: z.array(z.strictObject({ type: z.string().min(1), reason: z.string().min(20) })).min(1),
});
const ALLOWLIST = allowlistSchema.parse(
  JSON.parse(readFileSync(path.join(INFRA_DIR, "schema-allowlist.json"), "utf8")),
).types;
const allowed = (type: string) => ALLOWLIST.find((a) => a.type.toLowerCase() === type.toLowerCase());

const FILES: InfraFile[] = ["main.json", "eventgrid-subscriptions.json", "platform-access.json"];
const deployments = allInfraDeployments();
const resources = (): PlanResource[] => deployments.flatMap((d) => d.resources);
/** Every resource any parameter choice deploys: the defaults plus main.json's Durable Task Scheduler variant. */
const everyVariant = (): PlanResource[] => [
  ...resources(),
  ...expandMain({ durableBackend: "DurableTaskScheduler" }).resources.filter((r) => /durabletask/i.test(r.type + r.id)),
];

const schemasDir = resolveSchemasDir();

// Without the schemas folder these tests cannot run; the suite name says how to get it instead of passing silently.
describe.skipIf(schemasDir === undefined)(
  schemasDir === undefined
    ? `infra templates vs official ARM schemas — SKIPPED: ${SCHEMAS_HELP}`
    : "infra templates vs official ARM schemas",
  () => {
    const schemas = (): ArmSchemas => loadArmSchemas(schemasDir!);

    it("validates every expanded resource, or finds its type in infra/schema-allowlist.json", () => {
      const problems: string[] = [];
      for (const r of everyVariant()) {
        const result = schemas().validateResource(r);
        if (result.status === "invalid")
          problems.push(...result.problems.map((p) => `${p.subject} ${p.path}: ${p.message}`));
        else if (result.status === "no-schema" && !allowed(r.type))
          problems.push(`${r.id}: no schema for ${r.type}@${r.apiVersion} and no infra allow-list entry`);
      }
      expect(problems).toEqual([]);
    });

    it("allow-lists only types that really lack a schema and that the templates use", () => {
      const used = new Set(everyVariant().map((r) => r.type.toLowerCase()));
      for (const entry of ALLOWLIST) {
        expect(used.has(entry.type.toLowerCase()), `${entry.type} is not used by infra/`).toBe(true);
        const versions = everyVariant().filter((r) => r.type.toLowerCase() === entry.type.toLowerCase());
        for (const r of versions) expect(schemas().locate(r.type, r.apiVersion), r.type).toBeUndefined();
      }
    });

    it("validates every template envelope", () => {
      for (const file of FILES)
        expect(schemas().validateTemplate(readInfraTemplate(file), `infra/${file}`)).toEqual([]);
    });
  },
);

describe("infra: own checks for types without an official schema", () => {
  it("has a zod check for exactly the allow-listed types", () => {
    expect(Object.keys(RESOURCE_CHECKS).sort()).toEqual(ALLOWLIST.map((a) => a.type.toLowerCase()).sort());
  });

  it("every resource of an allow-listed type passes its zod check", () => {
    const checked = everyVariant().filter((r) => allowed(r.type));
    expect(checked.length).toBeGreaterThanOrEqual(ALLOWLIST.length);
    expect(checked.flatMap((r) => checkResource(r) ?? [`${r.type}: no check`])).toEqual([]);
  });

  it("the zod checks catch a misspelt property and an insecure value", () => {
    const site = structuredClone(single(expandMain().resources, "Microsoft.Web/sites"));
    (site.properties as Record<string, unknown>).httpsOnyl = true;
    expect(checkResource(site)?.join("\n")).toMatch(/httpsOnyl/);
    const topic = structuredClone(single(expandMain().resources, "Microsoft.EventGrid/topics"));
    (topic.properties as Record<string, unknown>).disableLocalAuth = false;
    expect(checkResource(topic)?.join("\n")).toMatch(/disableLocalAuth/);
  });

  it("passes lib/check's best-practice rules (storage TLS and public access, Key Vault, diagnostics, RBAC)", () => {
    const results = runRules(asPlan(deployments));
    expect(results.filter((r) => r.outcome === "fail")).toEqual([]);
    expect(results.filter((r) => r.rule === "Azure.Diagnostics.LogAnalytics").length).toBeGreaterThanOrEqual(3);
  });
});

const props = (r: PlanResource): Record<string, unknown> => r.properties as Record<string, unknown>;

describe("infra: security settings", () => {
  const main = expandMain();
  const site = single(main.resources, "Microsoft.Web/sites");
  const siteConfig = props(site).siteConfig as { appSettings: { name: string; value: unknown }[] } & Record<
    string,
    unknown
  >;
  const settings = new Map(siteConfig.appSettings.map((s) => [s.name, s.value]));

  it("storage: no shared keys, no public blob access, HTTPS and TLS 1.2 only, Entra ID by default", () => {
    expect(props(single(main.resources, "Microsoft.Storage/storageAccounts"))).toMatchObject({
      allowSharedKeyAccess: false,
      allowBlobPublicAccess: false,
      supportsHttpsTrafficOnly: true,
      minimumTlsVersion: "TLS1_2",
      defaultToOAuthAuthentication: true,
    });
    for (const c of ofType(main.resources, "Microsoft.Storage/storageAccounts/blobServices/containers"))
      expect(props(c).publicAccess, c.name).toBe("None");
  });

  it("Function App: Flex Consumption FC1, Node 22, HTTPS only, TLS 1.2, FTP and basic publishing off", () => {
    expect(single(main.resources, "Microsoft.Web/serverfarms").sku).toEqual({ name: "FC1", tier: "FlexConsumption" });
    expect(props(site).httpsOnly).toBe(true);
    expect(siteConfig).toMatchObject({ minTlsVersion: "1.2", scmMinTlsVersion: "1.2", ftpsState: "Disabled" });
    expect(props(site).functionAppConfig).toMatchObject({ runtime: { name: "node", version: "22" } });
    const policies = ofType(main.resources, "Microsoft.Web/sites/basicPublishingCredentialsPolicies");
    expect(policies.map((p) => p.name.split("/")[1]).sort()).toEqual(["ftp", "scm"]);
    for (const p of policies) expect(props(p).allow).toBe(false);
  });

  it("Function App: identity-based storage connection through the user-assigned identity", () => {
    expect(settings.get("AzureWebJobsStorage__credential")).toBe("managedidentity");
    expect(settings.get("AzureWebJobsStorage__accountName")).toBe(
      single(main.resources, "Microsoft.Storage/storageAccounts").name,
    );
    expect(JSON.stringify(settings.get("AzureWebJobsStorage__clientId"))).toMatch(/userAssignedIdentities.*clientId/);
    expect(settings.has("AzureWebJobsStorage")).toBe(false);
    expect(props(site).functionAppConfig).toMatchObject({
      deployment: { storage: { authentication: { type: "UserAssignedIdentity" } } },
    });
    expect(Object.keys((site.identity as { userAssignedIdentities: object }).userAssignedIdentities)).toHaveLength(1);
  });

  it("app settings hold no keys, connection strings or secrets; webhook URLs are Key Vault references", () => {
    const text = JSON.stringify(siteConfig.appSettings);
    expect(text).not.toMatch(/AccountKey=|SharedAccessKey|SharedAccessSignature|sig=|password|listKeys/i);
    for (const name of settings.keys()) {
      // The Application Insights connection string identifies the resource; with local auth disabled it grants nothing.
      // The Durable Task Scheduler's "connection string" is an endpoint and an identity (test/infra/durable-backend).
      if (
        !["APPLICATIONINSIGHTS_CONNECTION_STRING", "DURABLE_TASK_SCHEDULER_CONNECTION_STRING"].includes(name) &&
        !name.startsWith("AzureFunctionsJobHost__")
      )
        expect(name).not.toMatch(/connection|_KEY$|secret/i);
    }
    expect(props(single(main.resources, "Microsoft.Insights/components")).DisableLocalAuth).toBe(true);
    expect(settings.get("APPLICATIONINSIGHTS_AUTHENTICATION_STRING")).toMatchObject({
      $deferred: expect.stringMatching(/Authorization=AAD/) as unknown,
    });
    for (const [setting, secret] of [
      ["AKS_PLATFORM_TEAMS_WEBHOOK_URL", "teams-webhook-url"],
      ["AKS_PLATFORM_SLACK_WEBHOOK_URL", "slack-webhook-url"],
    ] as const) {
      expect(settings.get(setting)).toMatch(
        new RegExp(
          `^@Microsoft\\.KeyVault\\(SecretUri=https://kv-[a-z0-9]+\\.vault\\.azure\\.net/secrets/${secret}/\\)$`,
        ),
      );
    }
    expect(JSON.stringify(props(site).keyVaultReferenceIdentity)).toMatch(/userAssignedIdentities/);
    // Flex Consumption rejects these: the runtime is functionAppConfig.runtime and the package comes from blob storage.
    for (const legacy of ["FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION", "WEBSITE_RUN_FROM_PACKAGE"])
      expect(settings.has(legacy), legacy).toBe(false);
    expect(settings.get("AKS_PLATFORM_TASK_HUB")).toBe("aksplatform");
    expect(settings.get("FUNCTIONS_NODE_BLOCK_ON_ENTRY_POINT_ERROR")).toBe("true");
  });

  it("the webhook URLs end up in Key Vault secrets only, never in other resources or outputs", () => {
    const secrets = ofType(main.resources, "Microsoft.KeyVault/vaults/secrets");
    expect(secrets.map((s) => props(s).value).sort()).toEqual([SLACK_URL, TEAMS_URL].sort());
    const elsewhere = JSON.stringify({
      resources: main.resources.filter((r) => !secrets.includes(r) && r.type !== "Microsoft.Resources/deployments"),
      outputs: main.outputs,
    });
    expect(elsewhere).not.toContain(TEAMS_URL);
    expect(elsewhere).not.toContain(SLACK_URL);
    expect(readInfraTemplate("main.json")).toMatchObject({
      parameters: { teamsWebhookUrl: { type: "securestring" }, slackWebhookUrl: { type: "securestring" } },
    });
  });

  it("without webhook URLs there are no secrets and the settings are empty (channel off), not dangling references", () => {
    const bare = expandMain({ teamsWebhookUrl: "", slackWebhookUrl: "" });
    expect(ofType(bare.resources, "Microsoft.KeyVault/vaults/secrets")).toEqual([]);
    const values = new Map(
      (
        props(single(bare.resources, "Microsoft.Web/sites")).siteConfig as {
          appSettings: { name: string; value: unknown }[];
        }
      ).appSettings.map((s) => [s.name, s.value]),
    );
    expect(values.get("AKS_PLATFORM_TEAMS_WEBHOOK_URL")).toBe("");
    expect(values.get("AKS_PLATFORM_SLACK_WEBHOOK_URL")).toBe("");
  });

  it("enableTeams without a URL (CI): the setting references the stored secret, which is granted but not rewritten", () => {
    const ci = expandMain({ teamsWebhookUrl: "", slackWebhookUrl: "", enableTeams: true });
    expect(ofType(ci.resources, "Microsoft.KeyVault/vaults/secrets")).toEqual([]);
    const values = new Map(
      (
        props(single(ci.resources, "Microsoft.Web/sites")).siteConfig as {
          appSettings: { name: string; value: unknown }[];
        }
      ).appSettings.map((s) => [s.name, s.value]),
    );
    expect(values.get("AKS_PLATFORM_TEAMS_WEBHOOK_URL")).toMatch(
      /^@Microsoft\.KeyVault\(SecretUri=.*teams-webhook-url\/\)$/,
    );
    expect(values.get("AKS_PLATFORM_SLACK_WEBHOOK_URL")).toBe("");
    const grants = ci.resources.filter((r) => /\/secrets\/teams-webhook-url$/.test(r.scope ?? ""));
    expect(grants).toHaveLength(1);
  });

  it("Key Vault and Event Grid: RBAC only, no local (key) auth on the custom topic", () => {
    expect(props(single(main.resources, "Microsoft.KeyVault/vaults"))).toMatchObject({
      enableRbacAuthorization: true,
      enablePurgeProtection: true,
    });
    expect(props(single(main.resources, "Microsoft.EventGrid/topics")).disableLocalAuth).toBe(true);
  });
});

const roleId = (r: PlanResource): string => {
  const value = props(r).roleDefinitionId;
  const text = typeof value === "string" ? value : JSON.stringify(value);
  const match = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})[^0-9a-f]*$/i.exec(text);
  if (!match) throw new Error(`${r.id}: no role definition id in ${text}`);
  return match[1]!.toLowerCase();
};

const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9";
const RBAC_ADMINISTRATOR = "f58310d9-a9f6-439a-9e8d-f62e7b41a168";
const CONTRIBUTOR = ROLES.Contributor;

describe("infra: role assignments", () => {
  const assignments = () => resources().filter((r) => r.type === "Microsoft.Authorization/roleAssignments");

  it("every assignment names the function that needs it, targets a service principal and avoids Owner / UAA", () => {
    expect(assignments().length).toBeGreaterThanOrEqual(14);
    for (const a of assignments()) {
      expect(props(a).principalType, a.id).toBe("ServicePrincipal");
      expect(String(JSON.stringify(props(a).description)).length, a.id).toBeGreaterThan(60);
      expect([OWNER, USER_ACCESS_ADMINISTRATOR]).not.toContain(roleId(a));
    }
  });

  it("only Contributor and the constrained RBAC administrator sit at subscription scope", () => {
    const atSubscription = assignments().filter((a) => a.scope === undefined && a.resourceGroup === undefined);
    expect(atSubscription.map(roleId).sort()).toEqual([CONTRIBUTOR, RBAC_ADMINISTRATOR].sort());
    for (const a of assignments().filter((x) => !atSubscription.includes(x)))
      expect(a.scope ?? "", `${a.id} should target one resource`).toMatch(/\/providers\/Microsoft\./);
  });

  it("the RBAC administrator's ABAC condition allows exactly the roles the platform templates assign, to service principals", () => {
    const admin = assignments().find((a) => roleId(a) === RBAC_ADMINISTRATOR)!;
    expect(props(admin).conditionVersion).toBe("2.0");
    const condition = String(props(admin).condition);
    // Every roleDefinitionId the expanded templates/arm units assign: the condition must list these and no other.
    const platformRoles = new Set(
      planDeployments(buildPlan(defaultSpec))
        .flatMap((d) => d.resources)
        .filter((r) => r.type === "Microsoft.Authorization/roleAssignments")
        .map(roleId),
    );
    expect(platformRoles.size).toBeGreaterThan(5);
    // Documented shape ("Constrain roles and principal types", learn.microsoft.com delegate-role-assignments-examples;
    // attributes per action in conditions-authorization-actions-attributes): the write checks the request's role and
    // principal type, the delete the existing assignment's.
    const write =
      /\(\(!\(ActionMatches\{'Microsoft\.Authorization\/roleAssignments\/write'\}\)\) OR \(@Request\[Microsoft\.Authorization\/roleAssignments:RoleDefinitionId\] ForAnyOfAnyValues:GuidEquals \{([^}]*)\} AND @Request\[Microsoft\.Authorization\/roleAssignments:PrincipalType\] ForAnyOfAnyValues:StringEqualsIgnoreCase \{'ServicePrincipal'\}\)\)/;
    const del =
      /\(\(!\(ActionMatches\{'Microsoft\.Authorization\/roleAssignments\/delete'\}\)\) OR \(@Resource\[Microsoft\.Authorization\/roleAssignments:RoleDefinitionId\] ForAnyOfAnyValues:GuidEquals \{([^}]*)\} AND @Resource\[Microsoft\.Authorization\/roleAssignments:PrincipalType\] ForAnyOfAnyValues:StringEqualsIgnoreCase \{'ServicePrincipal'\}\)\)/;
    const [w, d] = [write.exec(condition), del.exec(condition)];
    expect(w, condition).not.toBeNull();
    expect(d, condition).not.toBeNull();
    expect(condition.replace(w![0], "W").replace(d![0], "D")).toBe("W AND D");
    for (const list of [w![1]!, d![1]!]) {
      const roles = list.split(",").map((x) => x.trim().toLowerCase());
      expect(roles).toHaveLength(new Set(roles).size);
      expect(new Set(roles), "infra/main.json platformRoleIds must be the roles templates/arm assigns").toEqual(
        platformRoles,
      );
    }
    expect(condition).not.toContain(RBAC_ADMINISTRATOR);
    expect(condition).not.toContain(OWNER);
  });

  it("the run-command role reads no secrets; the ingress-gateway role is assigned on one namespace only", () => {
    const roleDefinitions = expandMain().resources.filter((r) => r.type === "Microsoft.Authorization/roleDefinitions");
    const byName = (name: string) =>
      roleDefinitions.find((r) => String(props(r).roleName).startsWith(name))! as unknown as {
        properties: { permissions: { actions: string[]; dataActions: string[] }[] };
      };
    const runCommand = byName("AKS Platform run command").properties.permissions[0]!;
    expect(runCommand.actions.sort()).toEqual([
      "Microsoft.ContainerService/managedClusters/commandResults/read",
      "Microsoft.ContainerService/managedClusters/read",
      "Microsoft.ContainerService/managedClusters/runCommand/action",
    ]);
    expect(runCommand.dataActions.sort()).toEqual([
      "Microsoft.ContainerService/managedClusters/events/read",
      "Microsoft.ContainerService/managedClusters/nodes/read",
      "Microsoft.ContainerService/managedClusters/pods/read",
    ]);
    const ingress = byName("AKS Platform ingress gateway").properties.permissions[0]!;
    expect(ingress.actions).toEqual([]);
    expect(ingress.dataActions.sort()).toEqual([
      "Microsoft.ContainerService/managedClusters/apps/deployments/read",
      "Microsoft.ContainerService/managedClusters/apps/deployments/write",
      "Microsoft.ContainerService/managedClusters/secrets/read",
    ]);
    const secretReaders = roleDefinitions.filter((r) => JSON.stringify(r.properties).includes("secrets/read"));
    expect(secretReaders).toHaveLength(1);
    const ingressGrants = expandPlatformAccess().resources.filter(
      (r) =>
        r.type === "Microsoft.Authorization/roleAssignments" &&
        String(props(r).roleDefinitionId).endsWith("1c2d3e4f-5061-4728-9304-b5c6d7e8f9a0"),
    );
    expect(ingressGrants.length).toBe(defaultSpec.clusters.length);
    for (const g of ingressGrants)
      expect(g.scope).toMatch(
        new RegExp(
          `/providers/Microsoft\\.ContainerService/managedClusters/[^/]+/namespaces/${INGRESS_GATEWAY.namespace}$`,
        ),
      );
  });

  it("grantPlatformBuild=false leaves no subscription-scope grant", () => {
    const dayTwo = expandMain({ grantPlatformBuild: false }).resources.filter(
      (r) => r.type === "Microsoft.Authorization/roleAssignments" && r.scope === undefined && !r.resourceGroup,
    );
    expect(dayTwo).toEqual([]);
  });

  it("platform-access defaults are the seed spec's clusters, vault and TLS secret", () => {
    const parameters = (
      readInfraTemplate("platform-access.json") as { parameters: Record<string, { defaultValue?: unknown }> }
    ).parameters;
    expect(parameters.clusters?.defaultValue).toEqual(
      defaultSpec.clusters.map((c) => ({ resourceGroup: c.resourceGroup, name: c.aksName })),
    );
    expect(parameters.commonResourceGroup?.defaultValue).toBe(defaultSpec.commonResourceGroup);
    expect(parameters.keyVaultName?.defaultValue).toBe(defaultSpec.shared.keyVault.name);
    expect(parameters.backupVaultName?.defaultValue).toBe(defaultSpec.shared.backupVault.name);
    expect(parameters.tlsSecretNames?.defaultValue).toEqual([TLS_CERT_SECRET]);
  });

  it("the custom roles carry no wildcard; the run-command role is assigned once per cluster, on the cluster", () => {
    const roles = expandMain().resources.filter((r) => r.type === "Microsoft.Authorization/roleDefinitions");
    expect(roles).toHaveLength(2);
    for (const role of roles) {
      const permissions = (props(role).permissions as { actions: string[]; dataActions: string[] }[])[0]!;
      expect([...permissions.actions, ...permissions.dataActions].filter((a) => a.includes("*"))).toEqual([]);
    }
    const clusterGrants = assignments().filter((a) => /managedClusters\/[^/]+$/.test(a.scope ?? ""));
    expect(clusterGrants).toHaveLength(defaultSpec.clusters.length);
  });
});
