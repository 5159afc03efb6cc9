import { buildPlan, type Plan } from "../../lib/plan";
import { defaultSpec, validateSpec, type ClusterSpec, type PlatformSpec } from "../../lib/spec";

/** A validated copy of the default spec after `change`; fails the test with the spec's problems when invalid. */
export function specWith(change: (spec: PlatformSpec) => void = () => undefined): PlatformSpec {
  const spec = structuredClone(defaultSpec);
  change(spec);
  const result = validateSpec(spec);
  if (!result.ok)
    throw new Error(`test spec is invalid: ${result.problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`);
  return result.spec;
}

/** app3: a fourth cluster with its own group, VNet 10.4.0.0/16 and overlay ranges, no ingress. */
export function withFourthCluster(spec: PlatformSpec): void {
  const app2 = spec.clusters.find((c) => c.name === "app2")!;
  const app3: ClusterSpec = structuredClone(app2);
  app3.name = "app3";
  app3.aksName = "aks-k8s-demo-app3";
  app3.resourceGroup = "rg-k8s-demo-app3";
  app3.nodeResourceGroup = "rg-k8s-demo-app3-nodes";
  app3.network = {
    vnetName: "vnet-k8s-demo-app3",
    vnetCidr: "10.4.0.0/16",
    nodeSubnetCidr: "10.4.0.0/22",
    podCidr: "100.68.0.0/16",
    serviceCidr: "172.19.0.0/16",
    dnsServiceIp: "172.19.0.10",
  };
  spec.clusters.push(app3);
}

let cached: Plan | undefined;

/** The expanded plan of the default spec (built once per test file). */
export function defaultPlan(): Plan {
  return (cached ??= buildPlan(specWith()));
}

/** A deep copy of the default plan for tests that break it. */
export function planCopy(): Plan {
  return structuredClone(defaultPlan());
}
