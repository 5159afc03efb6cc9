import { readFileSync } from "node:fs";
import { loadAppConfig } from "../config";
import {
  createAzureContext,
  discoverCloud,
  isLoopbackUrl,
  knownCloudOf,
  type AzureContext,
  type CloudSettings,
} from "./context";

let current: { key: string; value: AzureContext } | undefined;
/** Clouds read from ARM-compatible endpoints' metadata, by endpoint. */
const discovered = new Map<string, CloudSettings>();

/**
 * Reads the cloud of an `AKS_PLATFORM_ARM_ENDPOINT` that is neither a known cloud's ARM host nor loopback from its
 * metadata (once per process), then returns the context. Hosts call it at start-up; `azureContext()` then knows it.
 */
export async function prepareAzureContext(env: NodeJS.ProcessEnv = process.env): Promise<AzureContext> {
  const { armEndpoint } = loadAppConfig(env);
  if (!isLoopbackUrl(armEndpoint) && !knownCloudOf(armEndpoint) && !discovered.has(armEndpoint))
    discovered.set(armEndpoint, await discoverCloud(armEndpoint, { signal: AbortSignal.timeout(30_000) }));
  return azureContext(env);
}

/**
 * The process's Azure context, from the app settings: the cloud of `AKS_PLATFORM_ARM_ENDPOINT`, the managed
 * identity `AZURE_CLIENT_ID` names when the platform provides one (`IDENTITY_ENDPOINT`, set by App Service and
 * Functions), developer credentials elsewhere, the local token issuer for a loopback endpoint. Triggers and
 * activities take their clients from it. Rebuilt only when those settings change (tests, `up` after `up`).
 */
export function azureContext(env: NodeJS.ProcessEnv = process.env): AzureContext {
  const config = loadAppConfig(env);
  const clientId = env["AZURE_CLIENT_ID"]?.trim() || undefined;
  const managedIdentity = Boolean(env["IDENTITY_ENDPOINT"]);
  const key = [config.armEndpoint, config.armToken ?? "", config.armCaFile ?? "", clientId ?? "", managedIdentity].join(
    "|",
  );
  if (current?.key !== key) {
    const cloudSettings = discovered.get(config.armEndpoint);
    if (!isLoopbackUrl(config.armEndpoint) && !knownCloudOf(config.armEndpoint) && !cloudSettings)
      throw new Error(
        `AKS_PLATFORM_ARM_ENDPOINT ${config.armEndpoint} is the ARM host of no known cloud: its metadata is read at start-up (prepareAzureContext)`,
      );
    current = {
      key,
      value: createAzureContext({
        ...(cloudSettings ? { cloudSettings } : {}),
        armEndpoint: config.armEndpoint,
        managedIdentity,
        ...(clientId !== undefined ? { clientId } : {}),
        ...(config.armToken !== undefined ? { token: config.armToken } : {}),
        ...(config.armCaFile !== undefined ? { ca: readFileSync(config.armCaFile, "utf8") } : {}),
      }),
    };
  }
  return current.value;
}
