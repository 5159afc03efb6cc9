import { readFileSync } from "node:fs";
import { loadAppConfig } from "../config";
import { createAzureContext, type AzureContext } from "./context";

let current: { key: string; value: AzureContext } | undefined;

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
    current = {
      key,
      value: createAzureContext({
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
