import { getClient, type Client, type ClientOptions } from "@azure-rest/core-client";
import { AzureKeyCredential, type AccessToken, type TokenCredential } from "@azure/core-auth";
import type { PipelinePolicy, PipelineRequest } from "@azure/core-rest-pipeline";
import { TableClient } from "@azure/data-tables";
import { EventGridPublisherClient, type InputSchema } from "@azure/eventgrid";
import { AzureAuthorityHosts, DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";
import { BlobServiceClient } from "@azure/storage-blob";
import { z } from "zod";
import type { ArmClientOptions, ArmConnection, ArmConnectionOptions } from "./connection";

/**
 * The one Azure context of a process: the cloud, one TokenCredential, and a factory for every client the app uses.
 * Nothing else in lib/, functions/ or orchestrations/ constructs a credential or an Azure client (eslint.config.mjs
 * says so). Every client it makes sends a bearer token only to the hosts of the configured cloud for that token's
 * audience (the ARM host for ARM), or to loopback (the local stand-ins); an http:// endpoint is refused.
 */

/** One cloud: where ARM is, the token audiences and authority, and the data-plane DNS suffixes. */
export interface CloudSettings {
  name: string;
  /** ARM endpoint (no trailing slash); its host is the only non-loopback host an ARM token goes to. */
  arm: string;
  /** ARM token audience (the `/.default` scope's resource). */
  armAudience: string;
  authorityHost: string;
  /** `core.windows.net`: accounts are `<account>.blob.<suffix>`, `.table.`, `.queue.`. */
  storageSuffix: string;
  /** `vault.azure.net`: vaults are `<vault>.<suffix>`. */
  keyVaultSuffix: string;
  keyVaultAudience: string;
  /** Event Grid topic endpoints end with this host suffix. */
  eventGridSuffix: string;
}

/**
 * The clouds the Azure CLI knows (`az cloud show -n <cloud>`) and the ARM metadata document answers
 * (`GET https://management.azure.com/metadata/endpoints?api-version=2022-09-01`: `resourceManager`,
 * `authentication.loginEndpoint`/`audiences`, `suffixes.storage`/`keyVaultDns`; shape quoted in
 * github.com/Azure/azure-cli/issues/29283). Storage takes the `https://storage.azure.com` audience in every cloud
 * (learn.microsoft.com "Authorize access to blobs using Microsoft Entra ID"), Event Grid `https://eventgrid.azure.net`
 * (the scope @azure/eventgrid requests).
 */
export const AZURE_CLOUDS = {
  AzureCloud: {
    name: "AzureCloud",
    arm: "https://management.azure.com",
    armAudience: "https://management.azure.com",
    authorityHost: AzureAuthorityHosts.AzurePublicCloud,
    storageSuffix: "core.windows.net",
    keyVaultSuffix: "vault.azure.net",
    keyVaultAudience: "https://vault.azure.net",
    eventGridSuffix: "eventgrid.azure.net",
  },
  AzureChinaCloud: {
    name: "AzureChinaCloud",
    arm: "https://management.chinacloudapi.cn",
    armAudience: "https://management.chinacloudapi.cn",
    authorityHost: AzureAuthorityHosts.AzureChina,
    storageSuffix: "core.chinacloudapi.cn",
    keyVaultSuffix: "vault.azure.cn",
    keyVaultAudience: "https://vault.azure.cn",
    eventGridSuffix: "eventgrid.azure.cn",
  },
  AzureUSGovernment: {
    name: "AzureUSGovernment",
    arm: "https://management.usgovcloudapi.net",
    armAudience: "https://management.usgovcloudapi.net",
    authorityHost: AzureAuthorityHosts.AzureGovernment,
    storageSuffix: "core.usgovcloudapi.net",
    keyVaultSuffix: "vault.usgovcloudapi.net",
    keyVaultAudience: "https://vault.usgovcloudapi.net",
    eventGridSuffix: "eventgrid.azure.us",
  },
} as const satisfies Record<string, CloudSettings>;

export type AzureCloudName = keyof typeof AZURE_CLOUDS;

export const STORAGE_AUDIENCE = "https://storage.azure.com";

/** Environment variable holding the static bearer token for a loopback ARM endpoint (never used for Azure). */
export const ARM_TOKEN_ENV = "AKS_PLATFORM_ARM_TOKEN";

export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const trimSlash = (url: string) => url.replace(/\/+$/, "");

/** The known cloud whose ARM host `endpoint` is, if any. */
export function knownCloudOf(endpoint: string): CloudSettings | undefined {
  const host = new URL(endpoint).host.toLowerCase();
  return Object.values(AZURE_CLOUDS).find((c) => new URL(c.arm).host === host);
}

const metadataSchema = z.object({
  name: z.string().optional(),
  resourceManager: z.string().optional(),
  authentication: z.object({ loginEndpoint: z.url(), audiences: z.array(z.string()).min(1) }),
  suffixes: z.object({ storage: z.string().optional(), keyVaultDns: z.string().optional() }).loose().optional(),
});

/**
 * An ARM-compatible endpoint's cloud, from its metadata (`GET {endpoint}/metadata/endpoints?api-version=2022-09-01`,
 * the document `az cloud register --endpoint-resource-manager` reads): the audience is the one that names the
 * endpoint's host, else the last listed; the authority is `loginEndpoint`.
 */
export async function discoverCloud(
  endpoint: string,
  options: { signal?: AbortSignal; fetch?: typeof fetch } = {},
): Promise<CloudSettings> {
  refuseHttp(endpoint, "armEndpoint");
  const base = trimSlash(endpoint);
  const url = `${base}/metadata/endpoints?api-version=2022-09-01`;
  const response = await (options.fetch ?? fetch)(url, options.signal ? { signal: options.signal } : {});
  if (!response.ok) throw new Error(`cloud metadata ${url}: HTTP ${response.status}`);
  const parsed = metadataSchema.safeParse(await response.json());
  if (!parsed.success)
    throw new Error(`cloud metadata ${url}: unexpected document (${parsed.error.issues[0]?.message ?? "invalid"})`);
  const { authentication, suffixes, name } = parsed.data;
  const host = new URL(base).host;
  const audience = authentication.audiences.find((a) => URL.canParse(a) && new URL(a).host === host);
  const keyVaultSuffix = suffixes?.keyVaultDns?.replace(/^\./, "") ?? AZURE_CLOUDS.AzureCloud.keyVaultSuffix;
  return {
    name: name ?? host,
    arm: base,
    armAudience: trimSlash(audience ?? authentication.audiences.at(-1)!),
    authorityHost: trimSlash(authentication.loginEndpoint),
    storageSuffix: suffixes?.storage?.replace(/^\./, "") ?? AZURE_CLOUDS.AzureCloud.storageSuffix,
    keyVaultSuffix,
    keyVaultAudience: `https://${keyVaultSuffix}`,
    eventGridSuffix: AZURE_CLOUDS.AzureCloud.eventGridSuffix,
  };
}

/** A bearer token over http would travel in clear text: refused, naming the setting that holds the URL. */
function refuseHttp(url: string, setting: string): void {
  if (!URL.canParse(url)) throw new Error(`${setting} is not a URL`);
  if (new URL(url).protocol !== "https:")
    throw new Error(`${setting} must be an https URL: bearer tokens are never sent over http (${new URL(url).origin})`);
}

/** A fixed token for a local stand-in; it never expires so the SDK does not try to refresh it. */
export class StaticTokenCredential implements TokenCredential {
  constructor(private readonly token: string) {}
  getToken(): Promise<AccessToken> {
    return Promise.resolve({ token: this.token, expiresOnTimestamp: Date.now() + 24 * 3600_000 });
  }
}

/**
 * The local token issuer: the sandbox's static token for the ARM audience, and for any other audience an
 * (unsigned) Entra-shaped JWT — `aud` the audience, `iss` https://sts.windows.net/<tenant>/ — which Azurite's
 * `--oauth basic` and the local Key Vault stand-in check the way Azure checks the claims (azure-notes.md,
 * "Facts added 2026-12-07").
 */
export class LocalTokenIssuer implements TokenCredential {
  constructor(
    private readonly armToken: string,
    private readonly armAudience: string,
    private readonly tenantId = LOCAL_TENANT_ID,
    private readonly clientId = LOCAL_CLIENT_ID,
  ) {}
  getToken(scopes: string | string[]): Promise<AccessToken> {
    const audience = trimSlash((Array.isArray(scopes) ? scopes[0]! : scopes).replace(/\/\.default$/, ""));
    const expiresOnTimestamp = Date.now() + 3600_000;
    if (audience === this.armAudience) return Promise.resolve({ token: this.armToken, expiresOnTimestamp });
    const now = Math.floor(Date.now() / 1000);
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const claims = {
      aud: audience,
      iss: `https://sts.windows.net/${this.tenantId}/`,
      iat: now,
      nbf: now - 60,
      exp: now + 3600,
      appid: this.clientId,
      oid: this.clientId,
      tid: this.tenantId,
    };
    return Promise.resolve({ token: `${part({ typ: "JWT", alg: "none" })}.${part(claims)}.`, expiresOnTimestamp });
  }
}

/** The identity the local run stands in for the app's user-assigned identity (no real principal). */
export const LOCAL_CLIENT_ID = "00000000-0000-4000-8000-00000000c11d";
export const LOCAL_TENANT_ID = "00000000-0000-4000-8000-0000000074e7";

/** Which audience a client's tokens are for: decides the hosts they may go to. */
type Audience = "arm" | "storage" | "keyVault" | "eventGrid";

/** The hosts a token of `audience` may be sent to in `cloud` (loopback always: the local stand-ins). */
export function tokenMayGoTo(cloud: CloudSettings, audience: Audience, url: string): boolean {
  if (isLoopbackUrl(url)) return true;
  const parsed = new URL(url);
  if (parsed.protocol !== "https:") return false;
  const host = parsed.host.toLowerCase();
  switch (audience) {
    case "arm":
      return host === new URL(cloud.arm).host.toLowerCase();
    case "storage":
      return /^[a-z0-9]+\.(blob|table|queue)\./.test(host) && host.endsWith(`.${cloud.storageSuffix}`);
    case "keyVault":
      return host.endsWith(`.${cloud.keyVaultSuffix}`);
    case "eventGrid":
      return host.endsWith(`.${cloud.eventGridSuffix}`);
  }
}

/** Thrown before a token is requested or sent to a host outside the cloud. */
export class TokenHostError extends Error {
  override readonly name = "TokenHostError";
  readonly code = "TokenHostRefused";
}

function refuseHost(cloud: CloudSettings, audience: Audience, url: string): void {
  if (!tokenMayGoTo(cloud, audience, url)) {
    throw new TokenHostError(
      `refusing to send a ${audience} bearer token to ${new URL(url).origin}: not a ${cloud.name} ${audience} host or loopback`,
    );
  }
}

/**
 * Checks every request (including the LRO polls and redirects ARM answers with) before the bearer-token policy
 * asks the credential for a token, and again right before it goes out with the Authorization header.
 */
function tokenHostPolicies(cloud: CloudSettings, audience: Audience): ClientOptions["additionalPolicies"] {
  const check = (phase: string): PipelinePolicy => ({
    name: `tokenHostGuard-${phase}`,
    sendRequest: (request: PipelineRequest, next) => {
      refuseHost(cloud, audience, request.url);
      return next(request);
    },
  });
  return [
    { policy: check("call"), position: "perCall" },
    { policy: check("retry"), position: "perRetry" },
  ];
}

export interface AzureContextOptions extends ArmConnectionOptions {
  /** A cloud discovered from an ARM endpoint's metadata (`discoverCloud`); overrides `cloud`. */
  cloudSettings?: CloudSettings;
  /** The app's user-assigned identity (`AZURE_CLIENT_ID`): selects the managed identity in Azure. */
  clientId?: string;
  /** True in Azure (App Service / Functions set IDENTITY_ENDPOINT): the managed identity, nothing else. */
  managedIdentity?: boolean;
  /** A given credential (tests observing token requests); otherwise chosen as described on createAzureContext. */
  credential?: TokenCredential;
}

/** The storage the Functions host itself uses (`AzureWebJobsStorage`), through the context's clients. */
export interface HostStorage {
  /** `connectionString` (a key, e.g. Azurite's development account) or `identity` (the context's credential). */
  kind: "connectionString" | "identity";
  blobService(): BlobServiceClient;
  table(name: string): TableClient;
}

export interface AzureContext {
  cloud: CloudSettings;
  credential: TokenCredential;
  /** ARM: endpoint, credential and client options carrying the token-host guard. */
  arm: ArmConnection;
  /** The Functions host storage named by `AzureWebJobsStorage` or its identity-based `AzureWebJobsStorage__*` form. */
  hostStorage(env: Readonly<Record<string, string | undefined>>): HostStorage;
  /** A Blob service client with the context's credential. */
  blobService(url: string, setting: string): BlobServiceClient;
  /** A Table client with the context's credential. */
  table(url: string, name: string, setting: string): TableClient;
  /** GET on the Key Vault REST API (e.g. `/secrets/<name>`) with a token for the cloud's vault audience. */
  keyVaultGet(vaultUrl: string, path: string, setting: string, signal?: AbortSignal): Promise<Response>;
  /** An Event Grid topic publisher: the topic key when given (loopback stand-ins only over http), else the credential. */
  eventGridPublisher<T extends InputSchema>(
    endpoint: string,
    schema: T,
    setting: string,
    key?: string,
  ): EventGridPublisherClient<T>;
}

type ArmSdkClient<T> = new (credential: TokenCredential, subscriptionId: string, options: ArmClientOptions) => T;

/**
 * Builds a process's context. The credential: the given one; else for a loopback ARM endpoint the local token
 * issuer (the sandbox's static token for ARM, JWTs for storage and Key Vault); in Azure the managed identity with
 * the app's client id; elsewhere the developer's credentials (DefaultAzureCredential for the cloud's authority).
 */
export function createAzureContext(options: AzureContextOptions = {}): AzureContext {
  const cloud = options.cloudSettings ?? AZURE_CLOUDS[options.cloud ?? "AzureCloud"];
  const endpoint = trimSlash(options.armEndpoint ?? cloud.arm);
  refuseHttp(endpoint, "armEndpoint");
  const isLocal = isLoopbackUrl(endpoint);
  if (!isLocal && options.cloudSettings === undefined && new URL(endpoint).host !== new URL(cloud.arm).host) {
    const known = knownCloudOf(endpoint);
    if (!known)
      throw new Error(
        `armEndpoint ${endpoint} is not the ARM host of ${cloud.name}: read its cloud with discoverCloud() first`,
      );
    return createAzureContext({ ...options, cloud: known.name as AzureCloudName });
  }
  // A loopback stand-in's calls are ARM calls all the same: the token audience stays the cloud's.
  const credentialScopes = [`${cloud.armAudience}/.default`];
  const credential = options.credential ?? chooseCredential(options, cloud, isLocal, endpoint);
  const guarded = (audience: Audience) => ({
    additionalPolicies: tokenHostPolicies(cloud, audience),
    ...(options.httpClient !== undefined ? { httpClient: options.httpClient } : {}),
  });
  const clientOptions: ArmClientOptions = {
    endpoint,
    credentials: { scopes: credentialScopes },
    credentialScopes,
    ...guarded("arm"),
    ...(options.ca !== undefined ? { tlsOptions: { ca: options.ca } } : {}),
    ...(options.retryOptions !== undefined ? { retryOptions: options.retryOptions } : {}),
    ...(options.httpClient !== undefined ? { httpClient: options.httpClient } : {}),
  };
  const arm: ArmConnection = {
    cloud: cloud.name,
    endpoint,
    credential,
    credentialScopes,
    isLocal,
    clientOptions,
    client: <T>(Client: ArmSdkClient<T>, subscriptionId: string) =>
      new Client(credential, subscriptionId, clientOptions),
    rest: (extra: ClientOptions = {}): Client => getClient(endpoint, credential, { ...clientOptions, ...extra }),
  };

  const blobService = (url: string, setting: string) => {
    refuseHttp(url, setting);
    refuseHost(cloud, "storage", url);
    return new BlobServiceClient(url, credential);
  };
  const table = (url: string, name: string, setting: string) => {
    refuseHttp(url, setting);
    refuseHost(cloud, "storage", url);
    return new TableClient(url, name, credential, guarded("storage"));
  };

  return {
    cloud,
    credential,
    arm,
    blobService,
    table,
    hostStorage(env) {
      const connectionString = env["AzureWebJobsStorage"]?.trim();
      if (connectionString) return storageFromConnectionString(connectionString);
      const account = env["AzureWebJobsStorage__accountName"]?.trim();
      const uri = (service: "blob" | "table") => {
        const setting = `AzureWebJobsStorage__${service}ServiceUri`;
        const configured = env[setting]?.trim();
        if (configured) return { url: trimSlash(configured), setting };
        if (account)
          return {
            url: `https://${account}.${service}.${cloud.storageSuffix}`,
            setting: "AzureWebJobsStorage__accountName",
          };
        throw new Error(
          "host storage: set AzureWebJobsStorage (connection string) or AzureWebJobsStorage__accountName (identity-based)",
        );
      };
      const storageClientId = env["AzureWebJobsStorage__clientId"]?.trim();
      if (storageClientId && options.clientId && storageClientId !== options.clientId)
        throw new Error(
          "AzureWebJobsStorage__clientId names another identity than AZURE_CLIENT_ID: the app has one credential",
        );
      const blob = uri("blob");
      const tables = uri("table");
      return {
        kind: "identity",
        blobService: () => blobService(blob.url, blob.setting),
        table: (name) => table(tables.url, name, tables.setting),
      };
    },
    async keyVaultGet(vaultUrl, path, setting, signal) {
      refuseHttp(vaultUrl, setting);
      const url = `${trimSlash(vaultUrl)}${path}`;
      refuseHost(cloud, "keyVault", url);
      const token = await credential.getToken(
        `${cloud.keyVaultAudience}/.default`,
        signal ? { abortSignal: signal } : {},
      );
      if (!token) throw new Error(`${setting}: no access token for Key Vault`);
      return fetch(url, { headers: { authorization: `Bearer ${token.token}` }, ...(signal ? { signal } : {}) });
    },
    eventGridPublisher(topicEndpoint, schema, setting, key) {
      if (key !== undefined) {
        if (!isLoopbackUrl(topicEndpoint)) refuseHttp(topicEndpoint, setting);
        return new EventGridPublisherClient(topicEndpoint, schema, new AzureKeyCredential(key), {
          allowInsecureConnection: isLoopbackUrl(topicEndpoint),
        });
      }
      refuseHttp(topicEndpoint, setting);
      refuseHost(cloud, "eventGrid", topicEndpoint);
      return new EventGridPublisherClient(topicEndpoint, schema, credential, guarded("eventGrid"));
    },
  };
}

/** Storage reached with a connection string's key (Azurite's development account locally); no token involved. */
export function storageFromConnectionString(connectionString: string): HostStorage {
  const insecure = /(^|;)\s*(DefaultEndpointsProtocol=http|TableEndpoint=http:)/i.test(connectionString);
  return {
    kind: "connectionString",
    blobService: () => BlobServiceClient.fromConnectionString(connectionString),
    table: (name) => TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: insecure }),
  };
}

function chooseCredential(
  options: AzureContextOptions,
  cloud: CloudSettings,
  isLocal: boolean,
  endpoint: string,
): TokenCredential {
  if (isLocal) {
    const token = options.token ?? process.env[ARM_TOKEN_ENV];
    if (!token) {
      throw new Error(
        `ARM endpoint ${endpoint} is a local stand-in: set ${ARM_TOKEN_ENV} (or pass token) to its static token`,
      );
    }
    return new LocalTokenIssuer(token, cloud.armAudience, LOCAL_TENANT_ID, options.clientId ?? LOCAL_CLIENT_ID);
  }
  const key = `${cloud.name}|${options.managedIdentity ? "mi" : "dev"}|${options.clientId ?? ""}`;
  let credential = credentials.get(key);
  if (!credential) {
    // The one place a credential is constructed; cached per cloud and identity (both cache their tokens).
    credential = options.managedIdentity
      ? new ManagedIdentityCredential(options.clientId ? { clientId: options.clientId } : {})
      : new DefaultAzureCredential({
          authorityHost: cloud.authorityHost,
          ...(options.clientId ? { managedIdentityClientId: options.clientId } : {}),
        });
    credentials.set(key, credential);
  }
  return credential;
}

const credentials = new Map<string, TokenCredential>();
