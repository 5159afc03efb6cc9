import { execFileSync } from "node:child_process";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { createHttpHeaders, type HttpClient, type PipelineRequest } from "@azure/core-rest-pipeline";
import { ResourceManagementClient } from "@azure/arm-resources";
import { describe, expect, it } from "vitest";
import {
  AZURE_CLOUDS,
  createAzureContext,
  discoverCloud,
  LocalTokenIssuer,
  TokenHostError,
  type CloudSettings,
} from "../../lib/azure";
import { AppConfigError, loadAppConfig, repoRoot } from "../../lib/config";

/** Records every token request (its scopes) and answers with a fixed token. */
function recordingCredential(token: string): TokenCredential & { scopes: string[][] } {
  const scopes: string[][] = [];
  return {
    scopes,
    getToken(requested: string | string[]): Promise<AccessToken> {
      scopes.push([requested].flat());
      return Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3600_000 });
    },
  };
}

/**
 * The wire, recorded: which URL each request went to and with which Authorization header. ARM answers a paged
 * list whose nextLink points at `nextHost` (as a malicious or misconfigured endpoint could).
 */
function recordingTransport(nextHost: string): HttpClient & { sent: { url: string; authorization?: string }[] } {
  const sent: { url: string; authorization?: string }[] = [];
  return {
    sent,
    sendRequest(request: PipelineRequest) {
      sent.push({
        url: request.url,
        ...(request.headers.get("authorization") ? { authorization: request.headers.get("authorization")! } : {}),
      });
      const first = !request.url.includes("/page2");
      const body = first
        ? { value: [{ name: "rg-a", location: "chinanorth3" }], nextLink: `${nextHost}/page2` }
        : { value: [] };
      return Promise.resolve({
        request,
        status: 200,
        headers: createHttpHeaders({ "content-type": "application/json" }),
        bodyAsText: JSON.stringify(body),
      });
    },
  };
}

const SUBSCRIPTION = "3f2b8c1e-7d4a-4e55-9c1b-2a6f0e9d4b17";

async function listGroups(client: ResourceManagementClient): Promise<string[]> {
  const names: string[] = [];
  for await (const group of client.resourceGroups.list()) names.push(group.name!);
  return names;
}

describe("the Azure context in a sovereign cloud (Azure China)", () => {
  it("asks for tokens for China's ARM audience and sends them only to China's ARM host", async () => {
    const credential = recordingCredential("china-token");
    const transport = recordingTransport("https://management.chinacloudapi.cn");
    const context = createAzureContext({ cloud: "AzureChinaCloud", credential, httpClient: transport });
    expect(context.arm.endpoint).toBe("https://management.chinacloudapi.cn");
    expect(await listGroups(context.arm.client(ResourceManagementClient, SUBSCRIPTION))).toEqual(["rg-a"]);
    expect(credential.scopes.flat()).toEqual(
      credential.scopes.map(() => "https://management.chinacloudapi.cn/.default"),
    );
    expect(transport.sent.length).toBe(2);
    for (const request of transport.sent) {
      expect(new URL(request.url).host).toBe("management.chinacloudapi.cn");
      expect(request.authorization).toBe("Bearer china-token");
    }
  });

  it("gives no token to an unknown https host, even when ARM's own nextLink points there", async () => {
    for (const foreign of ["https://evil.example.com", "https://management.azure.com"]) {
      const credential = recordingCredential("china-token");
      const transport = recordingTransport(foreign);
      const context = createAzureContext({ cloud: "AzureChinaCloud", credential, httpClient: transport });
      await expect(listGroups(context.arm.client(ResourceManagementClient, SUBSCRIPTION))).rejects.toThrow(
        TokenHostError,
      );
      // The first page went to China's ARM host; the second page was refused before a token was asked for.
      expect(transport.sent.map((r) => new URL(r.url).host)).toEqual(["management.chinacloudapi.cn"]);
      expect(credential.scopes).toHaveLength(1);
    }
  });

  it("keeps data-plane tokens inside the cloud: China's storage and vault suffixes, never the public cloud's", async () => {
    const credential = recordingCredential("t");
    const context = createAzureContext({ cloud: "AzureChinaCloud", credential });
    expect(() => context.blobService("https://st1.blob.core.chinacloudapi.cn", "S")).not.toThrow();
    expect(() => context.blobService("https://st1.blob.core.windows.net", "S")).toThrow(TokenHostError);
    expect(() => context.table("https://st1.table.core.windows.net", "t", "S")).toThrow(TokenHostError);
    await expect(context.keyVaultGet("https://kv1.vault.azure.net", "/secrets/a", "S")).rejects.toThrow(TokenHostError);
    expect(() =>
      context.eventGridPublisher("https://t.koreacentral-1.eventgrid.azure.net/api/events", "EventGrid", "S"),
    ).toThrow(TokenHostError);
    expect(credential.scopes).toEqual([]);
  });
});

describe("http:// endpoints are refused at start-up, naming the setting", () => {
  it("the ARM endpoint setting", () => {
    expect(() => loadAppConfig({ AKS_PLATFORM_ARM_ENDPOINT: "http://127.0.0.1:8080" })).toThrow(AppConfigError);
    expect(() => loadAppConfig({ AKS_PLATFORM_ARM_ENDPOINT: "http://127.0.0.1:8080" })).toThrow(
      /AKS_PLATFORM_ARM_ENDPOINT must be an https URL/,
    );
    expect(() => createAzureContext({ armEndpoint: "http://127.0.0.1:8080", token: "t" })).toThrow(/armEndpoint/);
  });

  it("the identity-based storage and Key Vault settings", () => {
    for (const setting of [
      "AzureWebJobsStorage__blobServiceUri",
      "AzureWebJobsStorage__tableServiceUri",
      "AKS_PLATFORM_KEYVAULT_URL",
    ])
      expect(() => loadAppConfig({ [setting]: "http://127.0.0.1:10000/st1" })).toThrow(
        new RegExp(`${setting} must be an https URL`),
      );
  });

  it("identity-based storage, Key Vault and Event Grid endpoints", async () => {
    const context = createAzureContext({ credential: recordingCredential("t") });
    const storage = context.hostStorage({
      AzureWebJobsStorage__accountName: "st1",
      AzureWebJobsStorage__blobServiceUri: "http://127.0.0.1:10000/st1",
    });
    expect(() => storage.blobService()).toThrow(/AzureWebJobsStorage__blobServiceUri must be an https URL/);
    await expect(context.keyVaultGet("http://127.0.0.1:1", "/secrets/a", "AKS_PLATFORM_KEYVAULT_URL")).rejects.toThrow(
      /AKS_PLATFORM_KEYVAULT_URL must be an https URL/,
    );
    expect(() => context.eventGridPublisher("http://127.0.0.1:1/api/events", "EventGrid", "TOPIC")).toThrow(/TOPIC/);
  });
});

describe("one credential", () => {
  it("derives identity-based storage from the account name and the cloud's suffix, with the context's identity", () => {
    const context = createAzureContext({
      cloud: "AzureUSGovernment",
      credential: recordingCredential("t"),
      clientId: "c1",
    });
    const storage = context.hostStorage({
      AzureWebJobsStorage__accountName: "stgov",
      AzureWebJobsStorage__clientId: "c1",
    });
    expect(storage.kind).toBe("identity");
    expect(storage.blobService().url).toBe("https://stgov.blob.core.usgovcloudapi.net/");
    expect(() =>
      context.hostStorage({ AzureWebJobsStorage__accountName: "st", AzureWebJobsStorage__clientId: "other" }),
    ).toThrow(/AzureWebJobsStorage__clientId names another identity than AZURE_CLIENT_ID/);
  });

  it("the local token issuer: the sandbox's token for ARM, Entra-shaped JWTs for storage and Key Vault", async () => {
    const issuer = new LocalTokenIssuer("sandbox-token", "https://management.azure.com");
    expect((await issuer.getToken("https://management.azure.com/.default")).token).toBe("sandbox-token");
    const jwt = (await issuer.getToken("https://storage.azure.com/.default")).token;
    const claims = JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({
      aud: "https://storage.azure.com",
      iss: expect.stringMatching(/^https:\/\/sts\.windows\.net\/[0-9a-f-]+\/$/),
    });
    expect(Number(claims.exp)).toBeGreaterThan(Date.now() / 1000);
  });

  it("is constructed in exactly one place of the app (lib/azure/context.ts)", () => {
    const out = execFileSync(
      "grep",
      ["-rn", "new DefaultAzureCredential\\|new ManagedIdentityCredential", "lib", "functions", "orchestrations"],
      { cwd: repoRoot(), encoding: "utf8" },
    );
    expect(
      new Set(
        out
          .trim()
          .split("\n")
          .map((line) => line.split(":")[0]),
      ),
    ).toEqual(new Set(["lib/azure/context.ts"]));
  });
});

describe("an ARM-compatible endpoint's cloud, from its metadata", () => {
  // The 2022-09-01 metadata document's shape (github.com/Azure/azure-cli/issues/29283), as an Azure Stack Hub answers.
  const stack = "https://management.region1.azurestack.contoso.com";
  const metadata = {
    portal: "https://portal.region1.azurestack.contoso.com",
    authentication: {
      loginEndpoint: "https://login.microsoftonline.com/",
      audiences: ["https://management.azurestack.contoso.onmicrosoft.com/4f5e9a1b-7c2d-4e8f-9a0b-1c2d3e4f5a6b"],
      tenant: "common",
      identityProvider: "AAD",
    },
    name: "AzureStack-region1",
    suffixes: { keyVaultDns: "vault.region1.azurestack.contoso.com", storage: "region1.azurestack.contoso.com" },
    resourceManager: `${stack}/`,
  };

  it("reads the audience, authority and suffixes, and the context asks for tokens for that audience", async () => {
    const asked: string[] = [];
    const fetchMetadata = ((url: string) => {
      asked.push(url);
      return Promise.resolve(
        new Response(JSON.stringify(metadata), { headers: { "content-type": "application/json" } }),
      );
    }) as typeof fetch;
    const cloud: CloudSettings = await discoverCloud(stack, { fetch: fetchMetadata });
    expect(asked).toEqual([`${stack}/metadata/endpoints?api-version=2022-09-01`]);
    expect(cloud).toMatchObject({
      name: "AzureStack-region1",
      arm: stack,
      armAudience: metadata.authentication.audiences[0],
      authorityHost: "https://login.microsoftonline.com",
      storageSuffix: "region1.azurestack.contoso.com",
      keyVaultSuffix: "vault.region1.azurestack.contoso.com",
    });
    const credential = recordingCredential("stack-token");
    const transport = recordingTransport(stack);
    const context = createAzureContext({ cloudSettings: cloud, credential, httpClient: transport });
    await listGroups(context.arm.client(ResourceManagementClient, SUBSCRIPTION));
    expect(credential.scopes[0]).toEqual([`${metadata.authentication.audiences[0]}/.default`]);
    expect(transport.sent.every((r) => r.url.startsWith(stack))).toBe(true);
  });

  it("an unknown ARM host without its metadata is refused, not given the public cloud's token", () => {
    expect(() => createAzureContext({ armEndpoint: stack, credential: recordingCredential("t") })).toThrow(
      /discoverCloud/,
    );
    expect(
      createAzureContext({ armEndpoint: AZURE_CLOUDS.AzureUSGovernment.arm, credential: recordingCredential("t") })
        .cloud.name,
    ).toBe("AzureUSGovernment");
  });

  it("refuses an http metadata endpoint", async () => {
    await expect(discoverCloud("http://127.0.0.1:1")).rejects.toThrow(/https/);
  });
});
