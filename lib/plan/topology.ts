import type { PlatformSpec } from "../spec";
import { estimatedDeploymentSeconds } from "./critical-path";
import { planDeployments, type Plan } from "./plan";

/**
 * Which VNet topology the plan uses and why (`network.topology` of the spec), and whether full mesh has grown
 * to where its peerings rival the clusters themselves.
 */

const PEERING_TYPE = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings";
/** Full mesh "dominates" once one VNet's serialized peerings take this share of a cluster's own deployment. */
const DOMINANT_SHARE = 0.5;

export interface TopologyReport {
  topology: PlatformSpec["network"]["topology"];
  peerings: number;
  /** The slowest VNet's peerings (written one at a time) under the latency model. */
  longestPeeringSeconds: number;
  /** The slowest cluster deployment under the same model. */
  clusterSeconds: number;
  reason: string;
  /** Set when full mesh is chosen at a size where its peerings dominate the build. */
  warning?: string;
}

export function topologyReport(plan: Plan, spec: PlatformSpec): TopologyReport {
  const deployments = planDeployments(plan);
  const peeringUnits = deployments.filter((d) => d.resources.some((r) => r.type === PEERING_TYPE));
  const peerings = peeringUnits.reduce((n, d) => n + d.resources.filter((r) => r.type === PEERING_TYPE).length, 0);
  const longestPeeringSeconds = Math.max(0, ...peeringUnits.map(estimatedDeploymentSeconds));
  const clusterSeconds = Math.max(
    0,
    ...deployments.filter((d) => d.template === "cluster.json").map(estimatedDeploymentSeconds),
  );
  const n = spec.clusters.length;
  const topology = spec.network.topology;
  const reason = {
    fullMesh: `full mesh (NET-2): every VNet peers with the ${n - 1} others directly, ${peerings} peerings, one unit per VNet beside the clusters`,
    hubAndSpoke: `hub and spoke: the access host's VNet (${spec.access.hostCluster}) is the hub, ${peerings} peerings instead of full mesh's ${n * (n - 1)}; spokes reach each other only through the hub`,
    virtualNetworkManager: `Azure Virtual Network Manager mesh: the ${n} VNets are static members of one network group with a Mesh connectivity configuration (a connected group, no peerings instead of full mesh's ${n * (n - 1)}); one unit beside the clusters, in effect once the build has committed it`,
  }[topology];
  const dominates =
    topology === "fullMesh" && clusterSeconds > 0 && longestPeeringSeconds >= DOMINANT_SHARE * clusterSeconds;
  return {
    topology,
    peerings,
    longestPeeringSeconds,
    clusterSeconds,
    reason,
    ...(dominates
      ? {
          warning:
            `network.topology fullMesh with ${n} clusters: each VNet writes ${n - 1} peerings one at a time ` +
            `(${(longestPeeringSeconds / 60).toFixed(1)} min against ${(clusterSeconds / 60).toFixed(1)} min for a cluster), ` +
            `${peerings} in all; virtualNetworkManager (a connected group, no peerings) keeps every VNet directly ` +
            `reachable, hubAndSpoke needs ${2 * (n - 1)}`,
        }
      : {}),
  };
}
