import type { Severity } from "../spec";

/** What a recovery watch observed on one cluster after Spot evictions (OPS-2). */
export interface EvictionObservation {
  /** Distinct evictions of the cluster in the watch window so far. */
  evictions: number;
  /** Every Spot node of the cluster is Ready (no launching or NotReady node left). */
  nodesReady: boolean;
  /** Pods Pending for lack of capacity. */
  pendingPods: number;
  /** Spot zones where Karpenter reports no capacity (insufficient capacity errors), e.g. `["2"]`. */
  zonesWithoutCapacity: readonly string[];
  /** Minutes since the watch window opened. */
  waitedMinutes: number;
}

export interface EvictionPolicy {
  /** Zones the Spot NodePool may use (spec `pools.spot.zones`). */
  spotZones: readonly string[];
  /** Karpenter normally replaces capacity in about this long. */
  expectedRecoveryMinutes: number;
  /** Escalate when not recovered after this long. */
  maxWaitMinutes: number;
  /** Poll interval of the watch. */
  checkEveryMinutes: number;
}

export const DEFAULT_EVICTION_POLICY: EvictionPolicy = {
  spotZones: ["1", "2", "3"],
  expectedRecoveryMinutes: 5,
  maxWaitMinutes: 15,
  checkEveryMinutes: 1,
};

export interface EvictionDecision {
  outcome: "recovered" | "keep-watching" | "escalate";
  severity: Severity;
  reason: string;
  /** True when no Spot zone has capacity: pods wait, by the platform's no-on-demand policy (AKS-6). */
  noSpotCapacity: boolean;
  notes: string[];
  /** For `keep-watching`: when to look again. */
  nextCheckInMinutes?: number;
}

export const NO_SPOT_CAPACITY_NOTE =
  "No zone has Spot capacity. By design (AKS-6) there is no on-demand fallback: pending pods wait until Spot capacity returns.";

/**
 * Decides what a recovery watch does next. Pure: observations can arrive late or out of order (a negative wait is
 * read as zero), and the same observation always yields the same decision.
 */
export function decideEvictionOutcome(
  observation: EvictionObservation,
  policy: EvictionPolicy = DEFAULT_EVICTION_POLICY,
): EvictionDecision {
  const waited = Math.max(0, observation.waitedMinutes);
  const pending = Math.max(0, observation.pendingPods);
  const dry = new Set(observation.zonesWithoutCapacity.map((z) => z.trim()));
  const noSpotCapacity = policy.spotZones.length > 0 && policy.spotZones.every((z) => dry.has(z));
  const dryZones = policy.spotZones.filter((z) => dry.has(z));
  const notes: string[] = [];
  if (noSpotCapacity) notes.push(NO_SPOT_CAPACITY_NOTE);
  else if (dryZones.length > 0) {
    notes.push(`No Spot capacity in zone(s) ${dryZones.join(", ")}; Karpenter rotates to the other zones.`);
  }
  const evictions = `${observation.evictions} eviction(s)`;

  if (pending === 0 && observation.nodesReady) {
    return {
      outcome: "recovered",
      severity: "info",
      reason: `recovered after ${evictions} in ${formatMinutes(waited)}: Spot nodes Ready, no Pending pods`,
      noSpotCapacity: false,
      notes:
        waited > policy.expectedRecoveryMinutes
          ? [`Slower than the expected ${policy.expectedRecoveryMinutes} min.`]
          : [],
    };
  }
  // Waiting cannot help while every zone is dry; say so now rather than after the full wait.
  if (noSpotCapacity && pending > 0) {
    return {
      outcome: "escalate",
      severity: "critical",
      reason: `${pending} pod(s) Pending after ${evictions} and no Spot capacity in any zone (${policy.spotZones.join(", ")})`,
      noSpotCapacity,
      notes,
    };
  }
  if (waited < policy.maxWaitMinutes) {
    return {
      outcome: "keep-watching",
      severity: "info",
      reason: `not recovered yet after ${formatMinutes(waited)} (${pending} Pending pod(s), nodes ${observation.nodesReady ? "Ready" : "not all Ready"})`,
      noSpotCapacity,
      notes,
      nextCheckInMinutes: Math.min(policy.checkEveryMinutes, policy.maxWaitMinutes - waited),
    };
  }
  return {
    outcome: "escalate",
    severity: pending > 0 ? "critical" : "warning",
    reason: `not recovered after ${formatMinutes(waited)} (limit ${policy.maxWaitMinutes} min): ${pending} Pending pod(s), nodes ${observation.nodesReady ? "Ready" : "not all Ready"}, ${evictions}`,
    noSpotCapacity,
    notes,
  };
}

function formatMinutes(minutes: number): string {
  return `${Math.round(minutes * 10) / 10} min`;
}
