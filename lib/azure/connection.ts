import type { TokenCredential } from "@azure/core-auth";
import type { Client, ClientOptions } from "@azure-rest/core-client";
import type { HttpClient, PipelineRetryOptions } from "@azure/core-rest-pipeline";
import { z } from "zod";
import { createAzureContext, type AzureCloudName } from "./context";

/**
 * Where ARM calls go and how they authenticate: the ARM part of the process's Azure context (lib/azure/context),
 * for the public cloud, a sovereign cloud, or a loopback stand-in (the sandbox ARM server) with a static token.
 */

export const armConnectionOptionsSchema = z.object({
  cloud: z.enum(["AzureCloud", "AzureChinaCloud", "AzureUSGovernment"]).optional(),
  armEndpoint: z
    .url({
      protocol: /^https$/,
      error: "armEndpoint must be an https URL (bearer tokens are never sent over http)",
    })
    .optional(),
  token: z.string().min(1).optional(),
  ca: z.string().min(1).optional(),
});

export interface ArmConnectionOptions {
  cloud?: AzureCloudName;
  /** Overrides the cloud's ARM endpoint (https only). A loopback host selects the local token issuer. */
  armEndpoint?: string;
  /** Static bearer token for a loopback endpoint; defaults to the AKS_PLATFORM_ARM_TOKEN environment variable. */
  token?: string;
  /** Extra trusted CA certificate (PEM), e.g. the sandbox's local CA. */
  ca?: string;
  /** Retry tuning passed to every client's pipeline (the SDK's throttling policy always honours Retry-After). */
  retryOptions?: PipelineRetryOptions;
  /** The transport (default: Node's https); a proxy or a recording transport. */
  httpClient?: HttpClient;
}

/** Options every generated ARM client and `@azure-rest/core-client` accepts. */
export interface ArmClientOptions {
  endpoint: string;
  credentials: { scopes: string[] };
  /** Older generated clients read the scopes from here. */
  credentialScopes: string[];
  /** The token-host guard (bearer tokens only to the cloud's ARM host or loopback). */
  additionalPolicies?: ClientOptions["additionalPolicies"];
  tlsOptions?: { ca: string };
  retryOptions?: PipelineRetryOptions;
  httpClient?: HttpClient;
}

export interface ArmConnection {
  cloud: string;
  endpoint: string;
  credential: TokenCredential;
  credentialScopes: string[];
  /** True when the endpoint is a loopback stand-in authenticated by the local token issuer. */
  isLocal: boolean;
  clientOptions: ArmClientOptions;
  /** An ARM SDK client (`new Client(credential, subscriptionId, options)`) on this connection. */
  client<T>(
    Client: new (credential: TokenCredential, subscriptionId: string, options: ArmClientOptions) => T,
    subscriptionId: string,
  ): T;
  /** An `@azure-rest/core-client` client on this connection (e.g. with its own `apiVersion`). */
  rest(extra?: ClientOptions): Client;
}

/** The ARM connection of a context built from these options (CLI `--arm-endpoint`, tests). */
export function createArmConnection(options: ArmConnectionOptions = {}): ArmConnection {
  const parsed = armConnectionOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid ARM connection option ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
  }
  return createAzureContext(options).arm;
}
