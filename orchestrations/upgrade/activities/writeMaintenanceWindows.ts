import { Activities } from "../../../lib/function-names";
import { aksFor, retryable } from "./aks";
import { registerActivity } from "../../shared/boundary";
import { writeMaintenanceWindowsInputSchema, type WriteMaintenanceWindowsInput } from "../contracts";

/**
 * Writes each cluster's window as AKS's `aksManagedAutoUpgradeSchedule` and `aksManagedNodeOSUpgradeSchedule`
 * maintenance configurations, so that AKS's own auto-upgrades (the `patch` channel, `NodeImage` OS updates) keep
 * to the same window as our runs (learn.microsoft.com/azure/aks/planned-maintenance). Idempotent (PUT).
 */
export const AKS_MANAGED_SCHEDULES = ["aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"] as const;

export async function writeMaintenanceWindows(
  input: WriteMaintenanceWindowsInput,
  signal: AbortSignal,
): Promise<string[]> {
  const written: string[] = [];
  for (const { cluster, window } of input.clusters) {
    const aks = aksFor(cluster);
    for (const name of AKS_MANAGED_SCHEDULES) {
      const r = await aks.putMaintenanceWindow(cluster.resourceGroup, cluster.aksName, name, window, {
        abortSignal: signal,
      });
      if (!r.ok) {
        if (r.error.kind === "failed") throw retryable(r.error);
        throw new Error(`cluster ${cluster.name}: ${r.error.operation}: ${r.error.code}: ${r.error.message}`);
      }
      written.push(`${cluster.name}/${name}`);
    }
  }
  return written;
}

registerActivity(Activities.writeMaintenanceWindows, writeMaintenanceWindowsInputSchema, writeMaintenanceWindows);
