import { z } from "zod";
import { versionMatches } from "./versions";

/**
 * Health gates over what kubectl returned, pure. One `kubectl get … -A -o json` (the command below, run through AKS
 * run command) lists nodes, pods, PodDisruptionBudgets, Flux Kustomizations and HelmReleases and Deployments; each
 * gate reads its kinds and answers pass/fail with the evidence a person needs.
 */

/** The one read a gate check makes: kubectl only (AKS run command; the sandbox interprets the same command). */
export const GATE_COMMAND =
  "kubectl get nodes,pods,poddisruptionbudgets,kustomizations.kustomize.toolkit.fluxcd.io,helmreleases.helm.toolkit.fluxcd.io,deployments -A -o json";

export type GateName =
  | "nodes-ready"
  | "nodes-on-version"
  | "pending-pods"
  | "pdb-not-blocking"
  | "flux-ready"
  | "istio-control-plane"
  | "istio-gateways";

export interface GateResult {
  gate: GateName;
  ok: boolean;
  summary: string;
  /** At most a few lines naming what is wrong (object, state, reason). */
  evidence: string[];
}

export interface GateExpectations {
  /** Nodes must run this version (`1.34` or `1.34.1`); absent = any. */
  kubernetesVersion?: string;
  maxPendingPods: number;
  /** The cluster hosts an Istio ingress gateway (aks-istio-ingress) that must serve. */
  istioGateway: boolean;
  /** Istio control planes (`istiod-<revision>` in aks-istio-system) that must be ready. */
  istioRevisions: string[];
}

const condition = z.looseObject({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
const item = z.looseObject({
  kind: z.string(),
  metadata: z.looseObject({ name: z.string(), namespace: z.string().optional() }),
  spec: z.looseObject({}).optional(),
  status: z.looseObject({}).optional(),
});
const listSchema = z.looseObject({ items: z.array(item) });
type Item = z.infer<typeof item>;

const MAX_EVIDENCE = 8;

function conditions(i: Item): z.infer<typeof condition>[] {
  const parsed = z.array(condition).safeParse(i.status?.conditions);
  return parsed.success ? parsed.data : [];
}

function ready(i: Item): z.infer<typeof condition> | undefined {
  return conditions(i).find((c) => c.type === "Ready");
}

function num(v: unknown): number {
  return typeof v === "number" ? v : 0;
}

function ref(i: Item): string {
  return i.metadata.namespace !== undefined ? `${i.metadata.namespace}/${i.metadata.name}` : i.metadata.name;
}

function result(gate: GateName, okSummary: string, failures: string[], failSummary: string): GateResult {
  return failures.length === 0
    ? { gate, ok: true, summary: okSummary, evidence: [] }
    : {
        gate,
        ok: false,
        summary: failSummary,
        evidence: [
          ...failures.slice(0, MAX_EVIDENCE),
          ...(failures.length > MAX_EVIDENCE ? [`… and ${failures.length - MAX_EVIDENCE} more`] : []),
        ],
      };
}

/** Parses the gate command's output; a reply that is not a kubectl List is an error naming what came back. */
export function parseKubectlList(logs: string): Item[] {
  let json: unknown;
  try {
    json = JSON.parse(logs);
  } catch {
    throw new Error(`kubectl did not return JSON: ${logs.slice(0, 200)}`);
  }
  const parsed = listSchema.safeParse(json);
  if (!parsed.success) throw new Error(`kubectl returned no list of objects: ${logs.slice(0, 200)}`);
  return parsed.data.items;
}

export function evaluateGates(items: readonly Item[], expect: GateExpectations): GateResult[] {
  const of = (kind: string) => items.filter((i) => i.kind === kind);
  const nodes = of("Node");
  const results: GateResult[] = [];

  const notReady = nodes
    .filter((n) => ready(n)?.status !== "True")
    .map(
      (n) =>
        `node ${n.metadata.name}: Ready=${ready(n)?.status ?? "missing"}${ready(n)?.reason ? ` (${ready(n)!.reason})` : ""}`,
    );
  results.push(
    nodes.length === 0
      ? { gate: "nodes-ready", ok: false, summary: "no nodes listed", evidence: ["kubectl listed no Node"] }
      : result(
          "nodes-ready",
          `${nodes.length} nodes Ready`,
          notReady,
          `${notReady.length} of ${nodes.length} nodes not Ready`,
        ),
  );

  if (expect.kubernetesVersion !== undefined) {
    const target = expect.kubernetesVersion;
    const behind = nodes
      .map((n) => ({
        n,
        v: z.string().safeParse((n.status?.nodeInfo as { kubeletVersion?: unknown } | undefined)?.kubeletVersion),
      }))
      .filter(({ v }) => !v.success || !versionMatches(v.data, target))
      .map(({ n, v }) => `node ${n.metadata.name}: kubelet ${v.success ? v.data : "unknown"}, expected ${target}`);
    results.push(
      result("nodes-on-version", `every node on ${target}`, behind, `${behind.length} nodes not on ${target}`),
    );
  }

  const pending = of("Pod").filter((p) => (p.status as { phase?: unknown } | undefined)?.phase === "Pending");
  const pendingLines = pending.map((p) => {
    const c = conditions(p).find((x) => x.type === "PodScheduled" && x.status === "False");
    return `pod ${ref(p)} Pending${c?.reason ? ` (${c.reason})` : ""}`;
  });
  results.push(
    pending.length <= expect.maxPendingPods
      ? {
          gate: "pending-pods",
          ok: true,
          summary: `${pending.length} Pending pods (at most ${expect.maxPendingPods})`,
          evidence: [],
        }
      : result("pending-pods", "", pendingLines, `${pending.length} Pending pods, more than ${expect.maxPendingPods}`),
  );

  const blocking = of("PodDisruptionBudget")
    .filter((p) => num(p.status?.expectedPods) > 0 && num(p.status?.disruptionsAllowed) === 0)
    .map(
      (p) =>
        `PodDisruptionBudget ${ref(p)} allows 0 disruptions (${num(p.status?.currentHealthy)} healthy of ${num(p.status?.desiredHealthy)} required): it blocks draining its pods' nodes`,
    );
  results.push(
    result(
      "pdb-not-blocking",
      "no PodDisruptionBudget blocks a drain",
      blocking,
      `${blocking.length} PodDisruptionBudgets block drains`,
    ),
  );

  const flux = [...of("Kustomization"), ...of("HelmRelease")];
  const fluxFailures = flux
    .filter((f) => ready(f)?.status !== "True")
    .map(
      (f) =>
        `${f.kind} ${ref(f)}: Ready=${ready(f)?.status ?? "unknown"}${ready(f)?.message ? ` — ${ready(f)!.message}` : ""}`,
    );
  results.push(
    result(
      "flux-ready",
      `${flux.length} Flux objects Ready`,
      fluxFailures,
      `${fluxFailures.length} Flux objects not Ready`,
    ),
  );

  const deployments = of("Deployment");
  const unready = (d: Item) => {
    const want = num((d.spec as { replicas?: unknown } | undefined)?.replicas ?? 1);
    const have = num(d.status?.readyReplicas);
    return want === 0 || have < want ? `deployment ${ref(d)}: ${have}/${want} ready` : undefined;
  };
  if (expect.istioRevisions.length > 0) {
    const problems = expect.istioRevisions.flatMap((rev) => {
      const d = deployments.find(
        (x) => x.metadata.namespace === "aks-istio-system" && x.metadata.name === `istiod-${rev}`,
      );
      if (!d) return [`deployment aks-istio-system/istiod-${rev} missing`];
      const u = unready(d);
      return u ? [u] : [];
    });
    results.push(
      result(
        "istio-control-plane",
        `istiod ${expect.istioRevisions.join(", ")} ready`,
        problems,
        "Istio control plane not ready",
      ),
    );
  }
  if (expect.istioGateway) {
    const gateways = deployments.filter((d) => d.metadata.namespace === "aks-istio-ingress");
    const problems =
      gateways.length === 0
        ? ["no deployment in aks-istio-ingress"]
        : gateways.map(unready).filter((u): u is string => u !== undefined);
    results.push(
      result(
        "istio-gateways",
        `${gateways.length} ingress gateway deployments serving`,
        problems,
        "Istio ingress gateway not serving",
      ),
    );
  }
  return results;
}

export function failedGates(results: readonly GateResult[]): GateResult[] {
  return results.filter((r) => !r.ok);
}
