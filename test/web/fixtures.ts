import { BlobServiceClient } from "@azure/storage-blob";
import {
  BackupReportStore,
  buildReport,
  DEFAULT_REPORT_CONTAINER,
  vaultOf,
  verifyPolicyFor,
  type InstanceReport,
} from "../../lib/backup";
import { backupInstanceName } from "../../lib/plan/units";
import type { PlatformSpec } from "../../lib/spec";

/** One cluster's instance report: healthy, or failed with a problem. */
export function instanceReport(spec: PlatformSpec, cluster: string, healthy: boolean, now: Date): InstanceReport {
  const c = spec.clusters.find((x) => x.name === cluster)!;
  return {
    name: backupInstanceName(c),
    cluster,
    datasource: `/subscriptions/${spec.subscriptionId}/resourceGroups/${c.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${c.aksName}`,
    protectionStatus: "ProtectionConfigured",
    protectionState: "ProtectionConfigured",
    latestRecoveryPoint: new Date(now.getTime() - (healthy ? 3 : 50) * 3_600_000).toISOString(),
    ageHours: healthy ? 3 : 50,
    recoveryPoints: 5,
    lastJob: { status: healthy ? "Completed" : "Failed", operation: "Backup" },
    verdict: healthy ? "healthy" : "failed",
    problems: healthy ? [] : ["last backup job failed: UserErrorSnapshotResourceGroupNotFound"],
  };
}

/**
 * Nightly reports of the last days through the real report store (what backupVerification writes): three days
 * all healthy, then app2 failing on the last two.
 */
export async function seedBackupReports(connectionString: string, spec: PlatformSpec, now: Date): Promise<void> {
  const store = new BackupReportStore(
    BlobServiceClient.fromConnectionString(connectionString).getContainerClient(DEFAULT_REPORT_CONTAINER),
  );
  for (const daysAgo of [4, 3, 2, 1, 0]) {
    const at = new Date(now.getTime() - daysAgo * 86_400_000);
    const instances = spec.clusters.map((c) => instanceReport(spec, c.name, !(c.name === "app2" && daysAgo <= 1), at));
    await store.save(buildReport(spec, vaultOf(spec), instances, { policy: verifyPolicyFor(spec), now: at }));
  }
}
