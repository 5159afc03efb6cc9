import { z } from "zod";
import { azureContext, type AzureContext } from "../../../lib/azure";
import { expiryState, leafCertificate, type CertificateFacts, type ExpiryState } from "../../../lib/ops/reactions";

/**
 * Key Vault TLS secrets read over REST with the process's Azure context (its credential, the cloud's vault audience).
 * ESO pushes the certificate chain as a plain secret, often without an `exp` attribute, so the expiry is read from
 * the certificate itself.
 */

export const KEYVAULT_URL_SETTING = "AKS_PLATFORM_KEYVAULT_URL";
const KEYVAULT_API_VERSION = "7.5";

const secretBundleSchema = z.object({
  value: z.string(),
  id: z.string(),
  attributes: z.object({ exp: z.number().optional(), updated: z.number().optional() }).optional(),
});

export interface TlsSecretState {
  name: string;
  /** Version id (last segment of the secret id). */
  version: string;
  certificate: CertificateFacts;
  state: ExpiryState;
  /** The secret's own exp attribute (ISO) when set; often absent for pushed secrets. */
  attributeExpiresAt?: string;
}

/** The vault URL: the setting when given, else the spec's vault in the configured cloud. */
export function vaultUrl(vaultName: string, env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[KEYVAULT_URL_SETTING]?.trim();
  const inCloud = () => `https://${vaultName}.${azureContext(env).cloud.keyVaultSuffix}`;
  return (configured !== undefined && configured !== "" ? configured : inCloud()).replace(/\/+$/, "");
}

/** Reads the current version of one TLS secret and parses its certificate; errors name the vault and secret. */
export async function readTlsSecret(
  url: string,
  name: string,
  keyVault: Pick<AzureContext, "keyVaultGet">,
  now: Date,
  signal: AbortSignal,
): Promise<TlsSecretState> {
  const where = `Key Vault secret ${name} at ${new URL(url).host}`;
  const path = `/secrets/${encodeURIComponent(name)}?api-version=${KEYVAULT_API_VERSION}`;
  const response = await keyVault.keyVaultGet(url, path, KEYVAULT_URL_SETTING, signal);
  if (!response.ok) throw new Error(`${where}: HTTP ${response.status}`);
  const bundle = secretBundleSchema.safeParse(await response.json());
  if (!bundle.success)
    throw new Error(`${where}: unexpected response (${bundle.error.issues[0]?.message ?? "invalid"})`);
  const certificate = leafCertificate(bundle.data.value, where);
  const exp = bundle.data.attributes?.exp;
  return {
    name,
    version: bundle.data.id.split("/").pop() ?? "",
    certificate,
    state: expiryState(certificate.notAfter, now),
    ...(exp !== undefined ? { attributeExpiresAt: new Date(exp * 1000).toISOString() } : {}),
  };
}
