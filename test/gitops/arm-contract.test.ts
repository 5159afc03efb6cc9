import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DeferredValue, expandTemplate, isDeferred } from "../../lib/arm";
import {
  FLUX_GIT_SOURCE,
  FLUX_SUBSTITUTE_VARIABLES,
  clusterPath,
  rawObjects,
  renderCluster,
  sampleSubstitutions,
  workloadIdentityServiceAccounts,
} from "../../lib/gitops";
import { buildDeploymentUnits } from "../../lib/plan/units";
import { defaultSpec } from "../../lib/spec/default";

const root = path.resolve(__dirname, "../..");
const template: unknown = JSON.parse(readFileSync(path.join(root, "templates/arm/cluster-addons.json"), "utf8"));
const addonUnits = buildDeploymentUnits(defaultSpec).filter((u) => u.template === "cluster-addons.json");

interface FluxConfigurationProps {
  namespace: string;
  sourceKind: string;
  kustomizations: Record<string, { path: unknown; postBuild: { substitute: unknown } }>;
}

/** The template expanded by the project's ARM engine with the unit's own parameters, as a deployment would see it. */
function expandedFluxConfiguration(unit: (typeof addonUnits)[number]): {
  name: string;
  properties: FluxConfigurationProps;
} {
  // Values produced by earlier deployments stay deferred; names and keys are what the tree depends on.
  const fromOutputs = Object.fromEntries(
    Object.keys(unit.outputParameters).map((k) => [
      k,
      new DeferredValue(`[output ${k}]`, "produced by an earlier deployment"),
    ]),
  );
  const expanded = expandTemplate(template, {
    parameters: { ...unit.parameters, ...fromOutputs },
    scope: {
      kind: "resourceGroup",
      subscriptionId: "22222222-2222-2222-2222-222222222222",
      tenantId: "11111111-1111-1111-1111-111111111111",
      resourceGroup: unit.resourceGroup!,
      location: defaultSpec.location,
      deploymentName: unit.name,
    },
  });
  const flux = expanded.resources.filter((r) => r.type === "Microsoft.KubernetesConfiguration/fluxConfigurations");
  expect(flux).toHaveLength(1);
  return { name: flux[0]!.name, properties: flux[0]!.properties as FluxConfigurationProps };
}

describe("contract with templates/arm/cluster-addons.json (the Flux configuration)", () => {
  it.each(addonUnits.map((u) => [u.cluster!, u] as const))(
    "%s: one top-level kustomization on clusters/<name>, substituting exactly the contract keys",
    (cluster, unit) => {
      const flux = expandedFluxConfiguration(unit);
      // The extension names the GitRepository after the configuration; every child Kustomization names it.
      expect({ name: flux.name, namespace: flux.properties.namespace, kind: flux.properties.sourceKind }).toEqual({
        name: FLUX_GIT_SOURCE.name,
        namespace: FLUX_GIT_SOURCE.namespace,
        kind: FLUX_GIT_SOURCE.kind,
      });
      const tops = Object.values(flux.properties.kustomizations);
      expect(tops).toHaveLength(1);
      expect(tops[0]!.path).toBe(clusterPath(cluster));
      const substitute = tops[0]!.postBuild.substitute;
      expect(isDeferred(substitute), "postBuild.substitute must have literal keys").toBe(false);
      expect(Object.keys(substitute as Record<string, unknown>).sort()).toEqual([...FLUX_SUBSTITUTE_VARIABLES].sort());
    },
  );

  it.each(addonUnits.map((u) => [u.cluster!, u] as const))(
    "%s: federated service accounts equal the tree's annotated ones",
    (cluster, unit) => {
      const federated = (
        unit.parameters as { workloadIdentities: { namespace: string; serviceAccount: string }[] }
      ).workloadIdentities.map((w) => `${w.namespace}/${w.serviceAccount}`);
      const annotated = workloadIdentityServiceAccounts(
        rawObjects(renderCluster(root, cluster, sampleSubstitutions(cluster))),
      ).map((w) => `${w.namespace}/${w.serviceAccount}`);
      expect(annotated.sort()).toEqual(federated.sort());
    },
  );
});
