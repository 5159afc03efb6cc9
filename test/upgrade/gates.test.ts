import { describe, expect, it } from "vitest";
import { evaluateGates, parseKubectlList, type GateExpectations, type GateName } from "../../lib/upgrade";

// The health gates are pure functions over what kubectl returned: each row is a cluster state and the verdict.

const node = (name: string, ready = "True", kubelet = "v1.34.1") => ({
  kind: "Node",
  metadata: { name },
  status: {
    conditions: [{ type: "Ready", status: ready, ...(ready !== "True" ? { reason: "NodeStatusUnknown" } : {}) }],
    nodeInfo: { kubeletVersion: kubelet },
  },
});
const pod = (name: string, phase: string) => ({
  kind: "Pod",
  metadata: { namespace: "apps", name },
  status: {
    phase,
    conditions: phase === "Pending" ? [{ type: "PodScheduled", status: "False", reason: "Unschedulable" }] : [],
  },
});
const pdb = (name: string, allowed: number) => ({
  kind: "PodDisruptionBudget",
  metadata: { namespace: "apps", name },
  status: { expectedPods: 1, currentHealthy: 1, desiredHealthy: 1, disruptionsAllowed: allowed },
});
const flux = (kind: string, name: string, ready: string, message?: string) => ({
  kind,
  metadata: { namespace: "flux-system", name },
  status: { conditions: [{ type: "Ready", status: ready, ...(message ? { message } : {}) }] },
});
const deployment = (ns: string, name: string, ready: number) => ({
  kind: "Deployment",
  metadata: { namespace: ns, name },
  spec: { replicas: 2 },
  status: { readyReplicas: ready },
});

const healthy = [
  node("n1"),
  node("n2"),
  pod("web-0", "Running"),
  pdb("web", 1),
  flux("Kustomization", "apps", "True"),
  flux("HelmRelease", "cert-manager", "True"),
  deployment("aks-istio-system", "istiod-asm-1-27", 2),
  deployment("aks-istio-ingress", "aks-istio-ingressgateway-external-asm-1-27", 2),
];
const expect134: GateExpectations = {
  kubernetesVersion: "1.34",
  maxPendingPods: 0,
  istioGateway: true,
  istioRevisions: ["asm-1-27"],
};

const cases: {
  name: string;
  items: unknown[];
  expect?: Partial<GateExpectations>;
  failed: GateName[];
  evidence?: string;
}[] = [
  { name: "a healthy cluster on the target", items: healthy, failed: [] },
  {
    name: "a node NotReady",
    items: [...healthy, node("n3", "Unknown")],
    failed: ["nodes-ready"],
    evidence: "node n3: Ready=Unknown (NodeStatusUnknown)",
  },
  {
    name: "a node behind the target version",
    items: [...healthy, node("n3", "True", "v1.33.2")],
    failed: ["nodes-on-version"],
    evidence: "node n3: kubelet v1.33.2, expected 1.34",
  },
  {
    name: "a Pending pod over a threshold of 0",
    items: [...healthy, pod("web-1", "Pending")],
    failed: ["pending-pods"],
    evidence: "pod apps/web-1 Pending (Unschedulable)",
  },
  {
    name: "a Pending pod within a threshold of 1",
    items: [...healthy, pod("web-1", "Pending")],
    expect: { maxPendingPods: 1 },
    failed: [],
  },
  {
    name: "a PDB allowing no disruption",
    items: [...healthy, pdb("payments", 0)],
    failed: ["pdb-not-blocking"],
    evidence:
      "PodDisruptionBudget apps/payments allows 0 disruptions (1 healthy of 1 required): it blocks draining its pods' nodes",
  },
  {
    name: "a HelmRelease not Ready",
    items: [...healthy, flux("HelmRelease", "kyverno", "False", "install retries exhausted")],
    failed: ["flux-ready"],
    evidence: "HelmRelease flux-system/kyverno: Ready=False — install retries exhausted",
  },
  {
    name: "istiod of the revision missing",
    items: healthy.filter((i) => i.metadata.name !== "istiod-asm-1-27"),
    failed: ["istio-control-plane"],
    evidence: "deployment aks-istio-system/istiod-asm-1-27 missing",
  },
  {
    name: "the gateway not serving",
    items: [...healthy.slice(0, 7), deployment("aks-istio-ingress", "aks-istio-ingressgateway-external-asm-1-27", 1)],
    failed: ["istio-gateways"],
    evidence: "deployment aks-istio-ingress/aks-istio-ingressgateway-external-asm-1-27: 1/2 ready",
  },
  {
    name: "no gateway expected on a cluster without one",
    items: healthy.slice(0, 7),
    expect: { istioGateway: false },
    failed: [],
  },
  { name: "no nodes at all", items: healthy.slice(2), failed: ["nodes-ready"] },
];

describe("health gates", () => {
  it.each(cases)("$name", ({ items, expect: overrides, failed, evidence }) => {
    const results = evaluateGates(parseKubectlList(JSON.stringify({ kind: "List", items })), {
      ...expect134,
      ...overrides,
    });
    expect(results.filter((r) => !r.ok).map((r) => r.gate)).toEqual(failed);
    if (evidence) expect(results.flatMap((r) => r.evidence)).toContain(evidence);
  });

  it("caps the evidence and says how much more there is", () => {
    const many = Array.from({ length: 12 }, (_, i) => node(`n${i}`, "False"));
    const [nodes] = evaluateGates(parseKubectlList(JSON.stringify({ items: many })), expect134);
    expect(nodes!.evidence).toHaveLength(9);
    expect(nodes!.evidence.at(-1)).toBe("… and 4 more");
  });

  it("names what came back when kubectl did not answer a list", () => {
    expect(() => parseKubectlList("error: You must be logged in")).toThrow(
      /kubectl did not return JSON: error: You must be logged in/,
    );
    expect(() => parseKubectlList('{"kind":"Status"}')).toThrow(/no list of objects/);
  });
});
