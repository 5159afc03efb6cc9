import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { TableClient } from "@azure/data-tables";
import { BlobServiceClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { azureContext, LOCAL_CLIENT_ID, type HostStorage } from "../../lib/azure";
import { Orchestrations } from "../../lib/function-names";
import { createNotifierFromEnv } from "../../lib/notify";
import { PLAN_TENANT_ID } from "../../lib/plan";
import { defaultSpec } from "../../lib/spec";
import type { AzuriteHandle } from "../../local/azurite";
import { startLocalHost, type LocalHost } from "../../local/host";
import {
  startDeployedLocalRun,
  type DeployedLocalRun,
  type DeployedSettings,
} from "../../local/host/deployed-settings";
import type { KeyVaultStandIn } from "../../local/keyvault";
import { startSandboxArm, type SandboxArm } from "../../local/sandbox";
import { startSink, type Sink } from "../helpers/sink";
import { evictionEvent, SUBSCRIPTION } from "../reactions/helpers";
import { E2E_SPEED } from "../helpers/platform";

// Issue 18: the app run with the app settings infra/main.json deploys (expanded from the template with lib/arm):
// identity-based storage on Azurite in OAuth mode over HTTPS, webhook URLs as Key Vault references resolved from a
// local Key Vault, tokens from the local token issuer. Build, eviction and backup messages must reach the sink;
// a client made without the context's credential is refused, as Azure refuses it.

const ENV = defaultSpec.name;
const KEY = "deployed-settings-key";

let dir: string;
let sandbox: SandboxArm;
let sink: Sink;
let azurite: AzuriteHandle;
let keyVault: KeyVaultStandIn;
let run: DeployedLocalRun;
let deployed: DeployedSettings;
let host: LocalHost;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "deployed-settings-"));
  const stateDir = path.join(dir, "sandbox");
  sandbox = await startSandboxArm({
    stateDir,
    timeScale: E2E_SPEED,
    subscriptionId: defaultSpec.subscriptionId,
    tenantId: PLAN_TENANT_ID,
    throttle: false,
  });
  sink = await startSink({ defaultResponse: { status: 200, body: "ok" } });
  run = await startDeployedLocalRun({
    sandbox,
    parameters: {
      environmentName: "aksops",
      location: defaultSpec.location,
      teamsWebhookUrl: `${sink.url}/teams`,
      slackWebhookUrl: `${sink.url}/slack`,
    },
    extraSettings: { AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS: sink.host },
  });
  ({ deployed, azurite, keyVault } = run);
  const settingsFile = path.join(dir, "local.settings.json");
  writeFileSync(settingsFile, JSON.stringify({ IsEncrypted: false, Values: {}, FunctionKeys: { default: KEY } }));
  host = await startLocalHost({
    port: 0,
    settingsFile,
    timeScale: E2E_SPEED,
    timers: false,
    log: () => undefined,
    appSettings: run.appSettings,
    keyVaults: run.keyVaults,
  });
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await run?.stop();
  await sink?.close();
  await sandbox?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const api = (route: string, init: RequestInit = {}) =>
  fetch(`${host.url}/api/${route}`, { ...init, headers: { "x-functions-key": KEY, ...init.headers } });

async function completed(name: string, match: (instanceId: string) => boolean, timeoutMs: number) {
  for (let i = 0; i < 300; i++) {
    const found = (await host.driver.list({})).find((s) => s.name === name && match(s.instanceId));
    if (found) return host.driver.waitForCompletion(found.instanceId, { timeoutMs });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ${name} instance started`);
}

/** Messages at both channels (Teams and Slack webhooks, both Key Vault references) with `title`. */
const delivered = (title: string) =>
  ["/teams", "/slack"].map((channel) => sink.requestsTo(channel).filter((r) => r.body.includes(title)).length);

describe("the app with the settings infra/main.json deploys (identity-based storage on Azurite OAuth)", () => {
  it("derives the settings from the template: identity-based storage, the app's client id, Key Vault references", () => {
    expect(deployed.settings).toMatchObject({
      AzureWebJobsStorage__accountName: deployed.storageAccount,
      AzureWebJobsStorage__credential: "managedidentity",
      AzureWebJobsStorage__clientId: LOCAL_CLIENT_ID,
      AZURE_CLIENT_ID: LOCAL_CLIENT_ID,
      AKS_PLATFORM_TEAMS_WEBHOOK_URL: expect.stringMatching(/^@Microsoft\.KeyVault\(SecretUri=https:\/\/kv-/),
    });
    expect(deployed.settings).not.toHaveProperty("AzureWebJobsStorage");
    // Resolved the way the platform does, from the (local) vault, with a token for the vault's audience.
    expect(process.env.AKS_PLATFORM_TEAMS_WEBHOOK_URL).toBe(`${sink.url}/teams`);
    expect(keyVault.requests).toContain("GET /secrets/teams-webhook-url/ https://vault.azure.net");
    expect(azureContext().hostStorage(process.env).kind).toBe("identity");
  });

  it("a build's result reaches the sink", async () => {
    const started = await api(`environments/${ENV}/provision`, { method: "POST" });
    expect(started.status).toBe(202);
    const { instanceId } = (await started.json()) as { instanceId: string };
    const done = await completed(Orchestrations.provisionPlatform, (id) => id === instanceId, 240_000);
    expect(done.runtimeStatus, JSON.stringify(done.output)).toBe("Completed");
    expect(delivered(`Platform ${ENV} provisioned`)).toEqual([1, 1]);
  }, 300_000);

  it("an eviction message reaches the sink", async () => {
    const aks = defaultSpec.clusters[0]!.aksName;
    const [node] = sandbox.state.evict(aks, { count: 1 });
    const event = JSON.parse(
      JSON.stringify(evictionEvent("mgmt", node!.name, new Date().toISOString())).replaceAll(
        SUBSCRIPTION,
        defaultSpec.subscriptionId,
      ),
    ) as unknown;
    const posted = await fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=eventgridHealth`, {
      method: "POST",
      headers: { "content-type": "application/json", "aeg-event-type": "Notification", "x-functions-key": KEY },
      body: JSON.stringify([event]),
    });
    expect(posted.status).toBe(200);
    const done = await completed(Orchestrations.evictionWatch, (id) => id.includes("-mgmt-"), 120_000);
    expect(done.runtimeStatus).toBe("Completed");
    expect(delivered("Spot node evicted in mgmt")).toEqual([1, 1]);
  }, 150_000);

  it("the nightly backup summary reaches the sink", async () => {
    const started = await fetch(`${host.url}/admin/functions/backupVerifyTimer`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-functions-key": KEY },
      body: "{}",
    });
    expect(started.status).toBe(202);
    const done = await completed(Orchestrations.backupVerification, (id) => id.startsWith("backup-verify:"), 120_000);
    expect(done.runtimeStatus, JSON.stringify(done.output)).toBe("Completed");
    expect(delivered("Nightly backup check:")).toEqual([1, 1]);
  }, 150_000);

  it("a client built without the context's credential is refused, as Azure refuses it, and its alert is lost", async () => {
    // Clients made on the spot, without the credential: Azurite in OAuth mode answers 403 like Azure Storage.
    await expect(new BlobServiceClient(azurite.blobEndpoint).listContainers().next()).rejects.toMatchObject({
      statusCode: 403,
    });
    await expect(new TableClient(azurite.tableEndpoint, "notify").createTable()).rejects.toMatchObject({
      statusCode: 403,
    });
    expect((await fetch(`${keyVault.url}/secrets/teams-webhook-url?api-version=7.5`)).status).toBe(401);
    expect((await fetch(`${sandbox.url}/subscriptions?api-version=2022-12-01`)).status).toBe(401);
    // The notifier as sendFromActivity built it before the fix: host storage without the credential. No message.
    const withoutCredential: HostStorage = {
      kind: "identity",
      blobService: () => new BlobServiceClient(azurite.blobEndpoint),
      table: (name) => new TableClient(azurite.tableEndpoint, name),
    };
    const before = sink.requests.length;
    await expect(
      createNotifierFromEnv(process.env, defaultSpec.name, defaultSpec.notifications, { storage: withoutCredential }),
    ).rejects.toMatchObject({ statusCode: 403 });
    expect(sink.requests.length).toBe(before);
  });
});
