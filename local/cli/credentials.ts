import { createArmConnection } from "../../lib/azure";
import { AzureAccessError, CliUsageError } from "./errors";

/** How long the up-front token request may take: a working login answers in well under a second. */
export const CREDENTIAL_CHECK_TIMEOUT_MS = 30_000;

const LOGIN_FIX =
  "Sign in first: `az login` (or `azd auth login`) on this machine; on Azure, the app's managed identity; in CI, " +
  "AZURE_TENANT_ID + AZURE_CLIENT_ID with AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE.";

/**
 * Asks for an ARM token before anything else, so a missing or expired login fails in seconds with the fix,
 * instead of surfacing minutes later inside a build as a "transient" network error. DefaultAzureCredential
 * tries, in order, environment variables, workload identity, managed identity, Azure CLI, Azure Developer CLI
 * and Azure PowerShell, and throws when none of them can give a token
 * (https://learn.microsoft.com/javascript/api/@azure/identity/defaultazurecredential).
 * A loopback stand-in with a static token has nothing to check.
 */
export async function checkAzureLogin(
  armEndpoint: string | undefined,
  timeoutMs = CREDENTIAL_CHECK_TIMEOUT_MS,
): Promise<void> {
  let connection: ReturnType<typeof createArmConnection>;
  try {
    connection = createArmConnection(armEndpoint !== undefined ? { armEndpoint } : {});
  } catch (err) {
    throw new CliUsageError(`--arm-endpoint: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (connection.isLocal) return;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const token = await connection.credential.getToken(connection.credentialScopes, { abortSignal: abort.signal });
    if (!token) throw new Error("the credential chain returned no token");
  } catch (err) {
    const reason = abort.signal.aborted
      ? `no answer within ${Math.round(timeoutMs / 1000)} s`
      : firstLine(err instanceof Error ? err.message : String(err));
    throw new AzureAccessError(
      `cannot get an Azure token for ${connection.endpoint} (scope ${connection.credentialScopes.join(" ")}): ${reason}\n${LOGIN_FIX}`,
    );
  } finally {
    clearTimeout(timer);
  }
}

/** DefaultAzureCredential's message lists every credential it tried on its own line; the first names the outcome. */
function firstLine(message: string): string {
  const lines = message
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.length <= 1 ? (lines[0] ?? message) : `${lines[0]} ${lines.slice(1, 4).join("; ")}`;
}
