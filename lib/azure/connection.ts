import type { AccessToken, TokenCredential } from "@azure/core-auth";
import type { PipelineRetryOptions } from "@azure/core-rest-pipeline";
import { AzureAuthorityHosts, DefaultAzureCredential } from "@azure/identity";
import { z } from "zod";

/**
 * The one place that decides where ARM calls go and how they authenticate: the public cloud, a sovereign
 * cloud, or a loopback stand-in (the sandbox ARM server) with a static token. Every client in lib/azure and
 * every CLI `--arm-endpoint` goes through `createArmConnection`.
 */

export const AZURE_CLOUDS = {
  AzureCloud: { arm: "https://management.azure.com", authorityHost: AzureAuthorityHosts.AzurePublicCloud },
  AzureChinaCloud: { arm: "https://management.chinacloudapi.cn", authorityHost: AzureAuthorityHosts.AzureChina },
  AzureUSGovernment: {
    arm: "https://management.usgovcloudapi.net",
    authorityHost: AzureAuthorityHosts.AzureGovernment,
  },
} as const;

export type AzureCloudName = keyof typeof AZURE_CLOUDS;

/** Environment variable holding the static bearer token for a loopback ARM endpoint (never used for Azure). */
export const ARM_TOKEN_ENV = "AKS_PLATFORM_ARM_TOKEN";

export const armConnectionOptionsSchema = z.object({
  cloud: z.enum(["AzureCloud", "AzureChinaCloud", "AzureUSGovernment"]).optional(),
  armEndpoint: z
    .url({
      protocol: /^https$/,
      error: "armEndpoint must be an https URL (the Azure SDK refuses bearer tokens over http)",
    })
    .optional(),
  token: z.string().min(1).optional(),
  ca: z.string().min(1).optional(),
});

export interface ArmConnectionOptions {
  cloud?: AzureCloudName;
  /** Overrides the cloud's ARM endpoint (https only). A loopback host selects the static-token credential. */
  armEndpoint?: string;
  /** Static bearer token for a loopback endpoint; defaults to the AKS_PLATFORM_ARM_TOKEN environment variable. */
  token?: string;
  /** Extra trusted CA certificate (PEM), e.g. the sandbox's local CA. */
  ca?: string;
  /** Retry tuning passed to every client's pipeline (the SDK's throttling policy always honours Retry-After). */
  retryOptions?: PipelineRetryOptions;
}

/** Options every generated ARM client and `@azure-rest/core-client` accepts. */
export interface ArmClientOptions {
  endpoint: string;
  credentials: { scopes: string[] };
  /** Older generated clients read the scopes from here. */
  credentialScopes: string[];
  tlsOptions?: { ca: string };
  retryOptions?: PipelineRetryOptions;
}

export interface ArmConnection {
  cloud: AzureCloudName;
  endpoint: string;
  credential: TokenCredential;
  credentialScopes: string[];
  /** True when the endpoint is a loopback stand-in authenticated with a static token. */
  isLocal: boolean;
  clientOptions: ArmClientOptions;
}

/** A fixed token for a local stand-in; it never expires so the SDK does not try to refresh it. */
export class StaticTokenCredential implements TokenCredential {
  constructor(private readonly token: string) {}
  getToken(): Promise<AccessToken> {
    return Promise.resolve({ token: this.token, expiresOnTimestamp: Date.now() + 24 * 3600_000 });
  }
}

// One credential per process and cloud: DefaultAzureCredential caches tokens internally.
const azureCredentials = new Map<AzureCloudName, TokenCredential>();

export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function createArmConnection(options: ArmConnectionOptions = {}): ArmConnection {
  const parsed = armConnectionOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid ARM connection option ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
  }
  const cloud = options.cloud ?? "AzureCloud";
  const settings = AZURE_CLOUDS[cloud];
  const endpoint = (options.armEndpoint ?? settings.arm).replace(/\/+$/, "");
  // The token audience is the cloud's ARM resource even when a stand-in or proxy serves the calls.
  const credentialScopes = [`${settings.arm}/.default`];
  const isLocal = isLoopbackUrl(endpoint);
  let credential: TokenCredential;
  if (isLocal) {
    const token = options.token ?? process.env[ARM_TOKEN_ENV];
    if (!token) {
      throw new Error(
        `ARM endpoint ${endpoint} is a local stand-in: set ${ARM_TOKEN_ENV} (or pass token) to its static token`,
      );
    }
    credential = new StaticTokenCredential(token);
  } else {
    credential = azureCredentials.get(cloud) ?? new DefaultAzureCredential({ authorityHost: settings.authorityHost });
    azureCredentials.set(cloud, credential);
  }
  const clientOptions: ArmClientOptions = {
    endpoint,
    credentials: { scopes: credentialScopes },
    credentialScopes,
    ...(options.ca !== undefined ? { tlsOptions: { ca: options.ca } } : {}),
    ...(options.retryOptions !== undefined ? { retryOptions: options.retryOptions } : {}),
  };
  return { cloud, endpoint, credential, credentialScopes, isLocal, clientOptions };
}
