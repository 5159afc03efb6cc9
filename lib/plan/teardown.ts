import { z } from "zod";
import type { PlatformSpec } from "../spec";
import type { DeploymentUnit } from "./types";

/**
 * Which deployment units a cluster's teardown takes away (pure, from the spec and its units): the cluster's own
 * units and those of its group, and every network unit that wrote a peering to or from its VNet (the peerings go
 * in both directions). Their records are forgotten so the next build recreates them; the cluster's VNet and its
 * own network unit stay (NET-1). The teardown plans its deletes from this, drift detection skips these units.
 */

const peeringsSchema = z.array(
  z.object({ name: z.string(), virtualNetwork: z.string(), remoteVirtualNetwork: z.string() }),
);
export type Peering = z.infer<typeof peeringsSchema>[number];

export interface TeardownUnits {
  /** The units whose records the teardown forgets. */
  forget: DeploymentUnit[];
  /** Per network unit, the peerings of it that touch the cluster's VNet. */
  peeringUnits: { unit: DeploymentUnit; peerings: Peering[] }[];
}

export function teardownUnits(
  spec: PlatformSpec,
  clusterName: string,
  units: readonly DeploymentUnit[],
): TeardownUnits {
  const cluster = spec.clusters.find((c) => c.name === clusterName);
  if (!cluster) throw new Error(`teardown: environment ${spec.name} has no cluster ${clusterName}`);
  const vnet = cluster.network.vnetName;
  const peeringUnits = units
    .filter((u) => u.template === "network.json")
    .map((u) => {
      const parsed = peeringsSchema.safeParse(u.parameters["peerings"] ?? []);
      if (!parsed.success) throw new Error(`teardown: deployment ${u.name} has malformed peerings`);
      return {
        unit: u,
        peerings: parsed.data.filter((p) => p.virtualNetwork === vnet || p.remoteVirtualNetwork === vnet),
      };
    })
    .filter((p) => p.peerings.length > 0);
  const ownGroup = cluster.resourceGroup.toLowerCase();
  const forget = units.filter(
    // The VNet and NSGs stay (kept), so the cluster's own network unit still holds; the peering units do not.
    (u) =>
      u.template === "network.json"
        ? peeringUnits.some((p) => p.unit === u)
        : u.cluster === clusterName || u.resourceGroup?.toLowerCase() === ownGroup,
  );
  return { forget, peeringUnits };
}
