import { AksAdapter } from "../../../lib/azure";
import { Activities } from "../../../lib/function-names";
import { INGRESS_CERTIFICATE, renewCertificateCommand, type ClusterTarget } from "../../../lib/ops/reactions";
import { armConnection } from "../../shared/arm";
import { registerActivity } from "../../shared/boundary";
import { renewCertificateInputSchema } from "../contracts";

export type RenewCertificateResult = { cluster: string; triggered: boolean; detail: string };

/**
 * OPS-3: asks cert-manager to re-issue the ingress certificate now, through AKS run command, with kubectl making the
 * status update `cmctl renew` would (cmctl is not in the run-command image).
 */
export async function renewCertificate(input: ClusterTarget, signal: AbortSignal): Promise<RenewCertificateResult> {
  const aks = new AksAdapter(armConnection(), input.subscriptionId);
  const command = renewCertificateCommand(INGRESS_CERTIFICATE, new Date());
  const run = await aks.runCommand(input.resourceGroup, input.aksName, command, { abortSignal: signal });
  if (!run.ok) return { cluster: input.cluster, triggered: false, detail: `${run.error.code}: ${run.error.message}` };
  return {
    cluster: input.cluster,
    triggered: run.value.exitCode === 0,
    detail: run.value.logs.trim().slice(0, 300),
  };
}

registerActivity(Activities.renewCertificate, renewCertificateInputSchema, (input, signal) =>
  renewCertificate(input, signal),
);
