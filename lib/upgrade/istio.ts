import { z } from "zod";
import { isIstioRevision } from "./versions";

/**
 * The kubectl side of the Istio add-on's canary (learn.microsoft.com/azure/aks/istio-upgrade): namespaces opt in
 * to a control plane with the `istio.io/rev` label; moving them is relabel + restart, forwards or back.
 */

export const ISTIO_NAMESPACES_COMMAND = "kubectl get namespaces -o json";

const namespaceList = z.looseObject({
  items: z.array(
    z.looseObject({
      metadata: z.looseObject({ name: z.string(), labels: z.record(z.string(), z.string()).optional() }),
    }),
  ),
});

/** Namespaces whose workloads take their sidecar from `revision`. */
export function namespacesOnRevision(kubectlJson: string, revision: string): string[] {
  const parsed = namespaceList.safeParse(JSON.parse(kubectlJson));
  if (!parsed.success) throw new Error(`kubectl returned no namespace list: ${kubectlJson.slice(0, 200)}`);
  return parsed.data.items.filter((n) => n.metadata.labels?.["istio.io/rev"] === revision).map((n) => n.metadata.name);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** One run-command script: relabel each namespace to `revision` and restart its deployments. */
export function istioMoveCommand(namespaces: readonly string[], revision: string): string {
  if (!isIstioRevision(revision)) throw new Error(`not an Istio revision: ${revision}`);
  for (const ns of namespaces) if (!DNS_LABEL.test(ns)) throw new Error(`not a namespace name: ${ns}`);
  return namespaces
    .map(
      (ns) =>
        `kubectl label namespace ${ns} istio.io/rev=${revision} --overwrite && kubectl rollout restart deployment -n ${ns}`,
    )
    .join(" && ");
}
