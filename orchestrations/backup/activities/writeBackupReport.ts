import type { ContainerClient } from "@azure/storage-blob";
import { azureContext } from "../../../lib/azure";
import { BackupReportStore, DEFAULT_REPORT_CONTAINER, type StoredReport } from "../../../lib/backup";
import { Activities } from "../../../lib/function-names";
import { registerActivity } from "../../shared/boundary";
import { writeBackupReportInputSchema, type WriteBackupReportInput } from "../contracts";

/**
 * The report container in the app's own storage account: the `AzureWebJobsStorage` connection string (Azurite
 * locally), or identity-based (`AzureWebJobsStorage__accountName` / `__blobServiceUri`) with the app's credential.
 */
export function reportContainer(
  env: NodeJS.ProcessEnv = process.env,
  containerName: string = DEFAULT_REPORT_CONTAINER,
): ContainerClient {
  return azureContext(env).hostStorage(env).blobService().getContainerClient(containerName);
}

/** OPS-5: stores the night's JSON and HTML report (the HTML's 14-day trend comes from the earlier reports). */
export async function writeBackupReport(input: WriteBackupReportInput, signal: AbortSignal): Promise<StoredReport> {
  return new BackupReportStore(reportContainer()).save(input.report, signal);
}

registerActivity(Activities.writeBackupReport, writeBackupReportInputSchema, writeBackupReport);
