import type { InvocationContext } from "@azure/functions";
import { DefaultAzureCredential } from "@azure/identity";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import * as df from "durable-functions";
import { activitySignal } from "../../../lib/activity-signal";
import { BackupReportStore, DEFAULT_REPORT_CONTAINER, type BackupReport, type StoredReport } from "../../../lib/backup";
import { Activities } from "../../../lib/function-names";

export interface WriteBackupReportInput {
  report: BackupReport;
}

/**
 * The report container in the app's own storage account: the `AzureWebJobsStorage` connection string (Azurite
 * locally), or with a managed identity `AzureWebJobsStorage__blobServiceUri` / `__accountName`.
 */
export function reportContainer(
  env: NodeJS.ProcessEnv = process.env,
  containerName: string = DEFAULT_REPORT_CONTAINER,
): ContainerClient {
  const connectionString = env["AzureWebJobsStorage"];
  if (connectionString)
    return BlobServiceClient.fromConnectionString(connectionString).getContainerClient(containerName);
  const account = env["AzureWebJobsStorage__accountName"];
  const uri =
    env["AzureWebJobsStorage__blobServiceUri"] ?? (account ? `https://${account}.blob.core.windows.net` : undefined);
  if (!uri)
    throw new Error(
      "no report storage: set AzureWebJobsStorage, AzureWebJobsStorage__blobServiceUri or AzureWebJobsStorage__accountName",
    );
  return new BlobServiceClient(uri, new DefaultAzureCredential()).getContainerClient(containerName);
}

/** OPS-5: stores the night's JSON and HTML report (the HTML's 14-day trend comes from the earlier reports). */
export async function writeBackupReport(input: WriteBackupReportInput, signal: AbortSignal): Promise<StoredReport> {
  return new BackupReportStore(reportContainer()).save(input.report, signal);
}

df.app.activity(Activities.writeBackupReport, {
  handler: (input: WriteBackupReportInput, context: InvocationContext) =>
    writeBackupReport(input, activitySignal(context)),
});
