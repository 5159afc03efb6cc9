import { ContainerServiceClient } from "@azure/arm-containerservice";
import { AksAdapter } from "../../../lib/azure";
import { Activities } from "../../../lib/function-names";
import { INGRESS_GATEWAY } from "../../../lib/ops/reactions";
import { armConnection } from "../../shared/arm";
import { registerActivity } from "../../shared/boundary";
import { restartIngressGatewayInputSchema, type RestartIngressGatewayInput } from "../contracts";

export type RestartIngressGatewayResult = { cluster: string; restarted: boolean; detail: string };

/** OPS-3 fallback when Reloader did not roll the gateway: a rolling restart (its PDB keeps it serving). */
export async function restartIngressGateway(
  input: RestartIngressGatewayInput,
  signal: AbortSignal,
): Promise<RestartIngressGatewayResult> {
  const connection = armConnection();
  let revision = input.istioRevision;
  if (revision === undefined) {
    const client = connection.client(ContainerServiceClient, input.subscriptionId);
    const cluster = await client.managedClusters.get(input.resourceGroup, input.aksName, { abortSignal: signal });
    revision = cluster.serviceMeshProfile?.istio?.revisions?.at(-1);
  }
  if (revision === undefined) {
    return { cluster: input.cluster, restarted: false, detail: `cluster ${input.aksName} has no Istio revision` };
  }
  const deployment = `${INGRESS_GATEWAY.deploymentPrefix}-${revision}`;
  const run = await new AksAdapter(connection, input.subscriptionId).runCommand(
    input.resourceGroup,
    input.aksName,
    `kubectl rollout restart deployment/${deployment} -n ${INGRESS_GATEWAY.namespace}`,
    { abortSignal: signal },
  );
  if (!run.ok) return { cluster: input.cluster, restarted: false, detail: `${run.error.code}: ${run.error.message}` };
  return { cluster: input.cluster, restarted: run.value.exitCode === 0, detail: run.value.logs.trim().slice(0, 300) };
}

registerActivity(Activities.restartIngressGateway, restartIngressGatewayInputSchema, (input, signal) =>
  restartIngressGateway(input, signal),
);
