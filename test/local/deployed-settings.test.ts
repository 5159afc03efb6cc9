import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAzureContext, LOCAL_CLIENT_ID } from "../../lib/azure";
import { deployedAppSettings, resolveKeyVaultReferences } from "../../local/host/deployed-settings";
import { startKeyVaultStandIn, type KeyVaultStandIn } from "../../local/keyvault";
import { ensureSandboxTls } from "../../local/sandbox/tls";
import { trustLocalCa } from "../../local/trust";
import { expandMain, LOCATION, SUBSCRIPTION_ID, TENANT_ID } from "../infra/infra";

// The settings are derived from infra/main.json, never copied: the same names as the template's site, and Key
// Vault references resolved as the platform resolves them (or left as the reference text when they cannot be).

const references = {
  clientId: LOCAL_CLIENT_ID,
  topicEndpoint: "https://127.0.0.1:9/api/events",
  insightsConnectionString: "InstrumentationKey=x",
};

describe("the app settings infra/main.json deploys", () => {
  it("are the Function App's siteConfig.appSettings, every deploy-time value answered", () => {
    const parameters = {
      environmentName: "aksops",
      location: LOCATION,
      teamsWebhookUrl: "https://a.logic.azure.com/t",
    };
    const derived = deployedAppSettings({
      parameters,
      subscriptionId: SUBSCRIPTION_ID,
      tenantId: TENANT_ID,
      references,
    });
    const site = expandMain(parameters).resources.find((r) => r.type === "Microsoft.Web/sites")!;
    const names = (site.properties as { siteConfig: { appSettings: { name: string }[] } }).siteConfig.appSettings.map(
      (s) => s.name,
    );
    expect(Object.keys(derived.settings)).toEqual(names);
    expect(derived.settings.AzureWebJobsStorage__clientId).toBe(LOCAL_CLIENT_ID);
    expect(derived.secrets).toEqual({ "teams-webhook-url": "https://a.logic.azure.com/t" });
    expect(Object.values(derived.settings).join(" ")).not.toContain("$deferred");
  });
});

describe("Key Vault references, resolved the platform's way", () => {
  let dir: string;
  let vault: KeyVaultStandIn;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "kvref-"));
    vault = await startKeyVaultStandIn({
      tlsDir: dir,
      secrets: { "teams-webhook-url": "https://a.logic.azure.com/t" },
    });
    trustLocalCa(ensureSandboxTls(dir).caPem);
  });
  afterAll(async () => {
    await vault?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("reads the latest version with a vault-audience token; an unresolvable reference keeps its text", async () => {
    const context = createAzureContext({ armEndpoint: "https://127.0.0.1:1", token: "arm" });
    const warnings: string[] = [];
    const ref = (name: string, host = "kv1.vault.azure.net") =>
      `@Microsoft.KeyVault(SecretUri=https://${host}/secrets/${name}/)`;
    const resolved = await resolveKeyVaultReferences(
      {
        A: ref("teams-webhook-url"),
        B: ref("missing"),
        C: ref("teams-webhook-url", "kv2.vault.azure.net"),
        D: "plain",
      },
      context,
      { "kv1.vault.azure.net": vault.url },
      (m) => warnings.push(m),
    );
    expect(resolved).toEqual({
      A: "https://a.logic.azure.com/t",
      B: ref("missing"),
      C: ref("teams-webhook-url", "kv2.vault.azure.net"),
      D: "plain",
    });
    expect(warnings).toEqual([
      "app setting B: Key Vault answered HTTP 404; the reference stays unresolved",
      "app setting C: no local stand-in serves kv2.vault.azure.net; the reference stays unresolved",
    ]);
    expect(vault.requests[0]).toBe("GET /secrets/teams-webhook-url/ https://vault.azure.net");
  });

  it("the stand-in refuses a token for another audience, as Key Vault does", async () => {
    const context = createAzureContext({ armEndpoint: "https://127.0.0.1:1", token: "arm" });
    const token = (await context.credential.getToken("https://storage.azure.com/.default"))!.token;
    const response = await fetch(`${vault.url}/secrets/teams-webhook-url?api-version=7.5`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain('resource="https://vault.azure.net"');
  });
});
