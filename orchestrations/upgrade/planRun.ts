import { planUpgrade, type ClusterUpgradeState, type UpgradePlan } from "../../lib/upgrade";
import { aksFor, retryable } from "./activities/aks";
import type { PlanUpgradeRunInput } from "./contracts";

// Kept apart from the activity's registration so that the CLI can plan without registering a function before the
// local host installs its Functions core (a registration made earlier is dropped in @azure/functions' test mode).

/**
 * Reads every cluster's versions and upgrade profiles and the region's Istio revisions, then plans the run
 * (lib/upgrade). A cluster that cannot be read is a refusal naming AKS's error, not a crash.
 */
export async function planUpgradeRun(input: PlanUpgradeRunInput, signal: AbortSignal): Promise<UpgradePlan> {
  const aks = aksFor(input.spec);
  const [revisions, ...states] = await Promise.all([
    aks.istioRevisions(input.spec.location, { abortSignal: signal }),
    ...input.spec.clusters.map((c) => aks.upgradeState(c.resourceGroup, c.aksName, { abortSignal: signal })),
  ]);
  const read: ClusterUpgradeState[] = [];
  const unreadable: Record<string, string> = {};
  input.spec.clusters.forEach((c, i) => {
    const s = states[i]!;
    if (s.ok) read.push({ cluster: c.name, ...s.value });
    else unreadable[c.name] = `${s.error.code}: ${s.error.message}`;
  });
  if (!revisions.ok) throw retryable(revisions.error);
  return planUpgrade({
    spec: input.spec,
    target: input.target,
    states: read,
    meshRevisions: revisions.value,
    unreadable,
  });
}
