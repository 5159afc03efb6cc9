import {
  FLUX_SUBSTITUTE_VARIABLES,
  type FluxSubstituteVariable,
  type WorkloadIdentityServiceAccount,
} from "./contract";
import type { FluxLayer } from "./flux";
import { GitopsRenderError, type K8sObject } from "./kustomize";

const CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id";
const PLACEHOLDER = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

function isContractVariable(name: string): name is FluxSubstituteVariable {
  return (FLUX_SUBSTITUTE_VARIABLES as readonly string[]).includes(name);
}

/**
 * Service accounts annotated for workload identity in rendered (not yet substituted) objects, with the contract
 * variable that supplies each client id. A hard-coded id or a variable outside the contract is an error: the
 * ARM template federates exactly these subjects.
 */
export function workloadIdentityServiceAccounts(
  renderedObjects: readonly K8sObject[],
): WorkloadIdentityServiceAccount[] {
  const out: WorkloadIdentityServiceAccount[] = [];
  for (const o of renderedObjects) {
    const clientId = o.metadata.annotations?.[CLIENT_ID_ANNOTATION];
    if (o.apiVersion !== "v1" || o.kind !== "ServiceAccount" || clientId === undefined) continue;
    const where = `ServiceAccount ${o.metadata.namespace ?? "(no namespace)"}/${o.metadata.name}`;
    const name = PLACEHOLDER.exec(clientId)?.[1];
    if (name === undefined)
      throw new GitopsRenderError(
        `${CLIENT_ID_ANNOTATION} must be one \${VAR} placeholder, not ${JSON.stringify(clientId)}`,
        where,
      );
    if (!isContractVariable(name)) throw new GitopsRenderError(`${name} is not a contract variable`, where);
    if (o.metadata.namespace === undefined) throw new GitopsRenderError("service account has no namespace", where);
    out.push({ namespace: o.metadata.namespace, serviceAccount: o.metadata.name, clientIdVar: name });
  }
  return out;
}

/**
 * Orders Flux layers by `dependsOn` (dependencies first, ties by declaration order). Fails on a dependency that
 * no layer declares and on a cycle, naming the layers involved.
 */
export function fluxApplyOrder(layers: readonly Pick<FluxLayer, "name" | "dependsOn">[]): string[] {
  const names = new Set(layers.map((l) => l.name));
  for (const l of layers) {
    for (const d of l.dependsOn)
      if (!names.has(d))
        throw new GitopsRenderError(`dependsOn ${d} is not a layer of this cluster`, `Kustomization ${l.name}`);
  }
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const byName = new Map(layers.map((l) => [l.name, l]));
  const visit = (name: string, trail: string[]): void => {
    const s = state.get(name);
    if (s === "done") return;
    if (s === "visiting")
      throw new GitopsRenderError(`dependency cycle: ${[...trail, name].join(" -> ")}`, `Kustomization ${name}`);
    state.set(name, "visiting");
    for (const d of byName.get(name)?.dependsOn ?? []) visit(d, [...trail, name]);
    state.set(name, "done");
    order.push(name);
  };
  layers.forEach((l) => visit(l.name, []));
  return order;
}

/** Whether `ancestor` is reachable from `layer` through dependsOn (i.e. Flux applies it strictly earlier). */
export function dependsTransitively(
  layers: readonly Pick<FluxLayer, "name" | "dependsOn">[],
  layer: string,
  ancestor: string,
): boolean {
  const byName = new Map(layers.map((l) => [l.name, l.dependsOn]));
  const seen = new Set<string>();
  const stack = [...(byName.get(layer) ?? [])];
  while (stack.length > 0) {
    const n = stack.pop();
    if (n === undefined || seen.has(n)) continue;
    if (n === ancestor) return true;
    seen.add(n);
    stack.push(...(byName.get(n) ?? []));
  }
  return false;
}
