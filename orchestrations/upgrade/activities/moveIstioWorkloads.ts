import { Activities } from "../../../lib/function-names";
import { ISTIO_NAMESPACES_COMMAND, istioMoveCommand, namespacesOnRevision } from "../../../lib/upgrade";
import { aksFor, retryable } from "./aks";
import { registerActivity } from "../../shared/boundary";
import { moveIstioWorkloadsInputSchema, type MoveIstioWorkloadsInput } from "../contracts";

/**
 * The Istio canary's data-plane step (learn.microsoft.com/azure/aks/istio-upgrade): every namespace labelled with
 * the `from` revision is relabelled `istio.io/rev=<to>` and its deployments restarted so their sidecars come
 * from the other control plane. Used forwards (canary) and backwards (rollback). Returns the namespaces moved.
 */
export async function moveIstioWorkloads(input: MoveIstioWorkloadsInput, signal: AbortSignal): Promise<string[]> {
  const { cluster } = input;
  const aks = aksFor(cluster);
  const run = async (command: string) => {
    const r = await aks.runCommand(cluster.resourceGroup, cluster.aksName, command, { abortSignal: signal });
    if (!r.ok) throw retryable(r.error);
    if (r.value.exitCode !== 0)
      throw new Error(
        `cluster ${cluster.name}: '${command.slice(0, 80)}…' exited ${r.value.exitCode}: ${r.value.logs.slice(0, 300)}`,
      );
    return r.value.logs;
  };
  const namespaces = namespacesOnRevision(await run(ISTIO_NAMESPACES_COMMAND), input.from);
  if (namespaces.length > 0) await run(istioMoveCommand(namespaces, input.to));
  return namespaces;
}

registerActivity(Activities.moveIstioWorkloads, moveIstioWorkloadsInputSchema, moveIstioWorkloads);
