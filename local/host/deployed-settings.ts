// The app settings infra/main.json deploys to the Function App, derived from the template (expanded with lib/arm
// as ARM would), with the values only Azure knows at deployment time answered by the local stand-ins. The local
// host and the tests run the app with exactly these, so what holds locally holds for the deployed app.
import { readFileSync } from "node:fs";
import path from "node:path";
import { DeferredValue, expandTemplate } from "../../lib/arm";
import { findDeferred } from "../../lib/arm/deferred";
import { LOCAL_CLIENT_ID, type AzureContext } from "../../lib/azure";
import { repoRoot } from "../../lib/config";
import { startAzurite, type AzuriteHandle } from "../azurite";
import { startKeyVaultStandIn, type KeyVaultStandIn } from "../keyvault";

export interface DeployedSettingsInput {
  /** main.json's parameters (environmentName, location, teamsWebhookUrl, …), as `azd provision` passes them. */
  parameters: Record<string, unknown>;
  subscriptionId: string;
  tenantId: string;
  /** What `reference()` answers for the resources the deployment created. */
  references: {
    /** The user-assigned identity's client id (the local token issuer's identity). */
    clientId: string;
    /** The custom Event Grid topic's endpoint. */
    topicEndpoint: string;
    /** Application Insights' connection string. */
    insightsConnectionString: string;
  };
}

export interface DeployedSettings {
  /** Name → value, exactly as the site's `siteConfig.appSettings` holds them (Key Vault references unresolved). */
  settings: Record<string, string>;
  /** The storage account the identity-based `AzureWebJobsStorage__accountName` names. */
  storageAccount: string;
  /** The Key Vault secrets the deployment writes (name → value), which the settings' references read. */
  secrets: Record<string, string>;
}

const IDENTITY = /\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\//i;
const INSIGHTS = /\/providers\/Microsoft\.Insights\/components\//i;
const TOPIC = /\/providers\/Microsoft\.EventGrid\/topics\//i;

/** Expands infra/main.json and returns the Function App's app settings. */
export function deployedAppSettings(input: DeployedSettingsInput): DeployedSettings {
  const file = path.join(repoRoot(), "infra", "main.json");
  const { clientId, topicEndpoint, insightsConnectionString } = input.references;
  const expanded = expandTemplate(JSON.parse(readFileSync(file, "utf8")), {
    parameters: input.parameters,
    templateName: "infra/main.json",
    scope: {
      kind: "subscription",
      subscriptionId: input.subscriptionId,
      tenantId: input.tenantId,
      location: String(input.parameters.location),
      deploymentName: `${String(input.parameters.environmentName)}-main`,
    },
    runtime: {
      reference(resourceId, _apiVersion, full) {
        // Full resource bodies (identities of topics, …) only concern other resources, never the settings.
        if (full) return new DeferredValue(`reference('${resourceId}', 'full')`, "not needed by the app settings");
        if (IDENTITY.test(resourceId)) return { clientId, principalId: clientId, tenantId: input.tenantId };
        if (INSIGHTS.test(resourceId)) return { ConnectionString: insightsConnectionString };
        if (TOPIC.test(resourceId)) return { endpoint: topicEndpoint };
        return new DeferredValue(`reference('${resourceId}')`, "not needed by the app settings");
      },
    },
  });
  const sites = expanded.resources.filter((r) => r.type === "Microsoft.Web/sites");
  if (sites.length !== 1) throw new Error(`infra/main.json: expected one Microsoft.Web/sites, found ${sites.length}`);
  const appSettings = (sites[0]!.properties as { siteConfig?: { appSettings?: { name: string; value: unknown }[] } })
    .siteConfig?.appSettings;
  if (!appSettings) throw new Error("infra/main.json: the Function App has no siteConfig.appSettings");
  const settings: Record<string, string> = {};
  for (const { name, value } of appSettings) {
    const deferred = findDeferred(value);
    if (deferred) throw new Error(`infra/main.json app setting ${name}: ${deferred.expression} is unknown locally`);
    settings[name] = String(value);
  }
  const storageAccount = settings["AzureWebJobsStorage__accountName"];
  if (!storageAccount) throw new Error("infra/main.json: no identity-based AzureWebJobsStorage__accountName setting");
  const secrets: Record<string, string> = {};
  for (const r of expanded.resources.filter((r) => r.type === "Microsoft.KeyVault/vaults/secrets")) {
    const value = (r.properties as { value?: unknown }).value;
    if (typeof value === "string") secrets[r.name.split("/").pop()!] = value;
  }
  return { settings, storageAccount, secrets };
}

const KEY_VAULT_REFERENCE = /^@Microsoft\.KeyVault\(SecretUri=(https:\/\/[^)]+)\)$/;

/**
 * Resolves `@Microsoft.KeyVault(SecretUri=…)` settings the way App Service does at start-up: the app's identity
 * reads the secret (latest version when the URI names none); a reference that cannot be resolved keeps the
 * reference text as the value (learn.microsoft.com, "Use Key Vault references as app settings": "If a reference
 * isn't resolved properly, the reference string is used instead"). `vaults` maps a vault's host to the URL that
 * serves it locally (the Key Vault stand-in); the token goes through the context (audience and host checked).
 */
export async function resolveKeyVaultReferences(
  settings: Record<string, string>,
  context: Pick<AzureContext, "keyVaultGet">,
  vaults: Record<string, string>,
  warn: (message: string) => void,
): Promise<Record<string, string>> {
  const resolved: Record<string, string> = { ...settings };
  for (const [name, value] of Object.entries(settings)) {
    const uri = KEY_VAULT_REFERENCE.exec(value.trim())?.[1];
    if (uri === undefined) continue;
    const secret = new URL(uri);
    const served = vaults[secret.host];
    if (served === undefined) {
      warn(`app setting ${name}: no local stand-in serves ${secret.host}; the reference stays unresolved`);
      continue;
    }
    const response = await context.keyVaultGet(served, `${secret.pathname}?api-version=7.5`, name);
    if (!response.ok) {
      warn(`app setting ${name}: Key Vault answered HTTP ${response.status}; the reference stays unresolved`);
      continue;
    }
    resolved[name] = ((await response.json()) as { value: string }).value;
  }
  return resolved;
}

/** The local stand-ins the deployed settings run against, and the settings and vault map for startLocalHost. */
export interface DeployedLocalRun {
  deployed: DeployedSettings;
  /** The deployed settings plus how the local run mirrors Azure (service URIs, the sandbox as ARM). */
  appSettings: Record<string, string>;
  /** Vault host → the Key Vault stand-in's URL (startLocalHost's `keyVaults`). */
  keyVaults: Record<string, string>;
  azurite: AzuriteHandle;
  keyVault: KeyVaultStandIn;
  stop(): Promise<void>;
}

/**
 * Starts what the deployed settings need locally: Azurite in OAuth mode over HTTPS serving the account infra/ names,
 * and the Key Vault stand-in holding the secrets the template writes, both with certificates from the sandbox's CA.
 * The settings are those infra/main.json deploys; the only additions say where the account and ARM are locally
 * (in Azure the service URIs derive from `__accountName`, and ARM is the cloud's).
 */
export async function startDeployedLocalRun(options: {
  sandbox: { url: string; token: string; caPath: string; tenantId: string; subscriptionId: string };
  /** main.json's parameters (environmentName, location, webhook URLs). */
  parameters: Record<string, unknown>;
  /** Settings the deployment leaves to the operator (e.g. AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS). */
  extraSettings?: Record<string, string>;
}): Promise<DeployedLocalRun> {
  const tlsDir = path.dirname(options.sandbox.caPath);
  const deployed = deployedAppSettings({
    parameters: options.parameters,
    subscriptionId: options.sandbox.subscriptionId,
    tenantId: options.sandbox.tenantId,
    references: {
      clientId: LOCAL_CLIENT_ID,
      // The custom topic has no local stand-in: a loopback https endpoint answers nothing.
      topicEndpoint: "https://127.0.0.1:9/api/events",
      insightsConnectionString: "InstrumentationKey=00000000-0000-4000-8000-000000000000",
    },
  });
  const azurite = await startAzurite({ oauth: { tlsDir }, account: deployed.storageAccount });
  let keyVault: KeyVaultStandIn;
  try {
    keyVault = await startKeyVaultStandIn({ tlsDir, secrets: deployed.secrets });
  } catch (err) {
    await azurite.stop();
    throw err;
  }
  const keyVaults: Record<string, string> = {};
  for (const value of Object.values(deployed.settings)) {
    const uri = KEY_VAULT_REFERENCE.exec(value.trim())?.[1];
    if (uri !== undefined) keyVaults[new URL(uri).host] = keyVault.url;
  }
  return {
    deployed,
    appSettings: {
      ...deployed.settings,
      AzureWebJobsStorage__blobServiceUri: azurite.blobEndpoint,
      AzureWebJobsStorage__queueServiceUri: azurite.queueEndpoint,
      AzureWebJobsStorage__tableServiceUri: azurite.tableEndpoint,
      AKS_PLATFORM_ARM_ENDPOINT: options.sandbox.url,
      AKS_PLATFORM_ARM_TOKEN: options.sandbox.token,
      AKS_PLATFORM_ARM_CA_FILE: options.sandbox.caPath,
      ...options.extraSettings,
    },
    keyVaults,
    azurite,
    keyVault,
    async stop() {
      await keyVault.close();
      await azurite.stop();
    },
  };
}
