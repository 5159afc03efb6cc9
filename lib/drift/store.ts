import type { ContainerClient } from "@azure/storage-blob";
import { readBlobText } from "../azure/blob-text";
import { driftReportSchema, type DriftReport } from "./report";

/**
 * Drift reports in the app's storage account, container `drift-reports`: `<environment>/latest.json` (what the ops
 * page and `aks-platform drift` read) and one `<environment>/<checkedAt>.json` per check (the history).
 */

export const DRIFT_REPORT_CONTAINER = "drift-reports";

export class DriftReportStore {
  constructor(private readonly container: ContainerClient) {}

  async save(report: DriftReport, signal?: AbortSignal): Promise<{ blob: string }> {
    await this.container.createIfNotExists({ abortSignal: signal });
    const body = JSON.stringify(report, null, 2);
    const stamp = report.checkedAt.replace(/[:.]/g, "-");
    const blob = `${report.environment}/${stamp}.json`;
    for (const name of [blob, `${report.environment}/latest.json`])
      await this.container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), {
        abortSignal: signal,
        blobHTTPHeaders: { blobContentType: "application/json" },
      });
    return { blob };
  }

  /** The newest report of an environment; undefined when none was stored (or it is unreadable). */
  async latest(environment: string, signal?: AbortSignal): Promise<DriftReport | undefined> {
    if (!(await this.container.exists({ abortSignal: signal }))) return undefined;
    const body = await readBlobText(this.container.getBlobClient(`${environment}/latest.json`), signal);
    if (body === undefined) return undefined;
    const parsed = driftReportSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  }
}
