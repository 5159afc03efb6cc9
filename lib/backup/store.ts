import type { ContainerClient } from "@azure/storage-blob";
import { readBlobText } from "../azure/blob-text";
import { z } from "zod";
import { buildTrend, renderHtml, TREND_DAYS, type BackupReport, type TrendPoint } from "./report";

/**
 * Reports in blob storage: `<environment>/<YYYY-MM-DD>.json` and `.html` (a re-run the same day replaces that
 * day's report). The HTML's trend is read back from the earlier days' JSON.
 */

export const DEFAULT_REPORT_CONTAINER = "backup-reports";

const storedSummarySchema = z.object({
  generatedAt: z.string(),
  summary: z.object({ healthy: z.number(), unhealthy: z.number() }),
});

export interface StoredReport {
  jsonBlob: string;
  htmlBlob: string;
  /** The HTML page's URL (no SAS: readers need their own access). */
  htmlUrl: string;
  trend: TrendPoint[];
}

export class BackupReportStore {
  constructor(private readonly container: ContainerClient) {}

  private blobName(environment: string, date: string, ext: "json" | "html"): string {
    return `${environment}/${date}.${ext}`;
  }

  /** Trend points of the days before `report`'s day that have a stored report. */
  async earlierTrend(
    environment: string,
    before: string,
    days = TREND_DAYS,
    signal?: AbortSignal,
  ): Promise<TrendPoint[]> {
    const first = new Date(Date.parse(`${before}T00:00:00Z`) - (days - 1) * 86_400_000).toISOString().slice(0, 10);
    const points: TrendPoint[] = [];
    if (!(await this.container.exists({ abortSignal: signal }))) return points;
    for await (const blob of this.container.listBlobsFlat({ prefix: `${environment}/`, abortSignal: signal })) {
      const date = /\/(\d{4}-\d{2}-\d{2})\.json$/.exec(blob.name)?.[1];
      if (date === undefined || date < first || date >= before) continue;
      const body = await readBlobText(this.container.getBlobClient(blob.name), signal);
      if (body === undefined) continue;
      let parsed;
      try {
        parsed = storedSummarySchema.safeParse(JSON.parse(body));
      } catch {
        continue; // A damaged old report only loses its trend point.
      }
      if (parsed.success)
        points.push({ date, healthy: parsed.data.summary.healthy, unhealthy: parsed.data.summary.unhealthy });
    }
    return points.sort((a, b) => a.date.localeCompare(b.date));
  }

  async save(report: BackupReport, signal?: AbortSignal): Promise<StoredReport> {
    await this.container.createIfNotExists({ abortSignal: signal });
    const date = report.generatedAt.slice(0, 10);
    const trend = buildTrend(report, await this.earlierTrend(report.environment, date, TREND_DAYS, signal));
    const jsonBlob = this.blobName(report.environment, date, "json");
    const htmlBlob = this.blobName(report.environment, date, "html");
    const json = JSON.stringify(report, null, 2);
    const html = renderHtml(report, trend);
    await this.container.getBlockBlobClient(jsonBlob).upload(json, Buffer.byteLength(json), {
      blobHTTPHeaders: { blobContentType: "application/json; charset=utf-8" },
      abortSignal: signal,
    });
    const htmlClient = this.container.getBlockBlobClient(htmlBlob);
    await htmlClient.upload(html, Buffer.byteLength(html), {
      blobHTTPHeaders: { blobContentType: "text/html; charset=utf-8" },
      abortSignal: signal,
    });
    return { jsonBlob, htmlBlob, htmlUrl: htmlClient.url, trend };
  }

  async load(environment: string, date: string, signal?: AbortSignal): Promise<BackupReport | undefined> {
    const body = await readBlobText(this.container.getBlobClient(this.blobName(environment, date, "json")), signal);
    return body === undefined ? undefined : (JSON.parse(body) as BackupReport);
  }
}
