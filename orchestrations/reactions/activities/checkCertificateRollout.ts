import { AksAdapter, azureContext } from "../../../lib/azure";
import { Activities } from "../../../lib/function-names";
import { INGRESS_GATEWAY, leafCertificate, TLS_CERT_SECRET, type CertificateFacts } from "../../../lib/ops/reactions";
import { armConnection } from "../../shared/arm";
import { registerActivity } from "../../shared/boundary";
import { checkCertificateRolloutInputSchema, type CheckCertificateRolloutInput } from "../contracts";
import { KEYVAULT_URL_SETTING, readTlsSecret, vaultUrl } from "./scanTlsSecrets";

export interface ServedCertificate {
  cluster: string;
  certificate?: CertificateFacts;
  /** Why the served certificate could not be read. */
  error?: string;
}

export interface CheckCertificateRolloutResult {
  /** What Key Vault holds now; absent (with `latestError`) when the vault cannot be read. */
  latest?: { version: string; certificate: CertificateFacts };
  latestError?: string;
  served: ServedCertificate[];
}

/**
 * OPS-3: what Key Vault holds now and what each ingress gateway serves (the Secret the gateway mounts, read through
 * run command). Each part that cannot be read is reported, not thrown: the reaction then falls back to a restart.
 */
export async function checkCertificateRollout(
  input: CheckCertificateRolloutInput,
  signal: AbortSignal,
): Promise<CheckCertificateRolloutResult> {
  const connection = armConnection();
  const result: CheckCertificateRolloutResult = { served: [] };
  if (connection.isLocal && !process.env[KEYVAULT_URL_SETTING]) {
    result.latestError = `no Key Vault next to a local ARM stand-in (set ${KEYVAULT_URL_SETTING})`;
  } else {
    try {
      const secret = await readTlsSecret(
        vaultUrl(input.vaultName),
        TLS_CERT_SECRET,
        azureContext(),
        new Date(input.now),
        signal,
      );
      result.latest = { version: secret.version, certificate: secret.certificate };
    } catch (err) {
      result.latestError = err instanceof Error ? err.message : String(err);
    }
  }
  for (const cluster of input.clusters) {
    const aks = new AksAdapter(connection, cluster.subscriptionId);
    const run = await aks.runCommand(
      cluster.resourceGroup,
      cluster.aksName,
      `kubectl get secret ${INGRESS_GATEWAY.secret} -n ${INGRESS_GATEWAY.namespace} -o json`,
      { abortSignal: signal },
    );
    if (!run.ok) {
      result.served.push({ cluster: cluster.cluster, error: `${run.error.code}: ${run.error.message}` });
      continue;
    }
    if (run.value.exitCode !== 0) {
      result.served.push({ cluster: cluster.cluster, error: run.value.logs.trim().slice(0, 300) });
      continue;
    }
    try {
      const secret = JSON.parse(run.value.logs) as { data?: Record<string, string> };
      const crt = secret.data?.["tls.crt"];
      if (crt === undefined) throw new Error(`secret ${INGRESS_GATEWAY.secret} has no tls.crt`);
      const facts = leafCertificate(Buffer.from(crt, "base64").toString("utf8"), `cluster ${cluster.cluster}`);
      result.served.push({ cluster: cluster.cluster, certificate: facts });
    } catch (err) {
      result.served.push({ cluster: cluster.cluster, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return result;
}

registerActivity(Activities.checkCertificateRollout, checkCertificateRolloutInputSchema, (input, signal) =>
  checkCertificateRollout(input, signal),
);
