import { z } from "zod";
import type { PlatformSpec } from "../spec";
import {
  instanceReportSchema,
  missingClusters,
  missingInstance,
  VERDICTS,
  verifyPolicySchema,
  type InstanceReport,
  type Verdict,
  type VerifyPolicy,
} from "./verify";

/**
 * The nightly report (OPS-5): JSON for machines and `--format json`, plain text for the terminal, and one
 * self-contained HTML page (no scripts, no external assets) with the instance table and a 14-day trend.
 */

/** A Backup vault (resource group and name) in a subscription. */
export const vaultRefSchema = z.object({ subscriptionId: z.string(), resourceGroup: z.string(), vault: z.string() });
export type VaultRef = z.infer<typeof vaultRefSchema>;

export const restoreValidationSchema = z.object({
  instance: z.string(),
  ok: z.boolean(),
  recoveryPoint: z.string().optional(),
  error: z.string().optional(),
});
export type RestoreValidation = z.infer<typeof restoreValidationSchema>;

export const backupReportSchema = z.object({
  generatedAt: z.string(),
  environment: z.string(),
  vault: z.object({ subscriptionId: z.string(), resourceGroup: z.string(), name: z.string() }),
  policy: verifyPolicySchema,
  instances: z.array(instanceReportSchema),
  restoreValidation: restoreValidationSchema.optional(),
  summary: z.object({
    healthy: z.number(),
    unhealthy: z.number(),
    byVerdict: z.record(z.enum(VERDICTS), z.number()),
  }),
});
export type BackupReport = z.infer<typeof backupReportSchema>;

export interface TrendPoint {
  /** UTC day, YYYY-MM-DD. */
  date: string;
  healthy: number;
  unhealthy: number;
}

export const TREND_DAYS = 14;

/** Instance reports + the clusters without an instance + the restore validation → the report. */
export function buildReport(
  spec: PlatformSpec,
  vault: VaultRef,
  instances: readonly InstanceReport[],
  options: { policy: VerifyPolicy; now: Date; validation?: RestoreValidation },
): BackupReport {
  const all: InstanceReport[] = instances.map((r) => ({ ...r, problems: [...r.problems] }));
  const v = options.validation;
  if (v && !v.ok) {
    const target = all.find((r) => r.name === v.instance);
    if (target) {
      target.problems.push(`restore validation failed: ${v.error ?? "unknown error"}`);
      if (target.verdict === "healthy") target.verdict = "failed";
    }
  }
  const present = all.map((r) => ({ name: r.name, ...(r.datasource !== null ? { dataSourceId: r.datasource } : {}) }));
  for (const cluster of missingClusters(spec, present)) all.push(missingInstance(cluster));
  all.sort((a, b) => (a.cluster ?? a.name).localeCompare(b.cluster ?? b.name));
  const byVerdict = Object.fromEntries(VERDICTS.map((k) => [k, all.filter((r) => r.verdict === k).length])) as Record<
    Verdict,
    number
  >;
  return {
    generatedAt: options.now.toISOString(),
    environment: spec.name,
    vault: { subscriptionId: vault.subscriptionId, resourceGroup: vault.resourceGroup, name: vault.vault },
    policy: options.policy,
    instances: all,
    ...(v ? { restoreValidation: v } : {}),
    summary: { healthy: byVerdict.healthy, unhealthy: all.length - byVerdict.healthy, byVerdict },
  };
}

export function reportHealthy(report: BackupReport): boolean {
  return report.summary.unhealthy === 0;
}

/** Per cluster, what is wrong, where and since when, for the summary notification. */
export function problemsByCluster(report: BackupReport): Array<{ cluster: string; problems: string[] }> {
  return report.instances.map((r) => ({
    cluster: r.cluster ?? r.name,
    problems: r.problems.map((p) => `${r.verdict}: ${p} [instance ${r.name}${r.since ? `, since ${r.since}` : ""}]`),
  }));
}

export function trendPointOf(report: Pick<BackupReport, "generatedAt" | "summary">): TrendPoint {
  return {
    date: report.generatedAt.slice(0, 10),
    healthy: report.summary.healthy,
    unhealthy: report.summary.unhealthy,
  };
}

/** One point per day (the latest report of each day), the last `days` days up to and including `report`'s day. */
export function buildTrend(report: BackupReport, earlier: readonly TrendPoint[], days = TREND_DAYS): TrendPoint[] {
  const byDay = new Map<string, TrendPoint>();
  for (const p of [...earlier, trendPointOf(report)]) byDay.set(p.date, p);
  const end = Date.parse(`${report.generatedAt.slice(0, 10)}T00:00:00Z`);
  const out: TrendPoint[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const date = new Date(end - i * 86_400_000).toISOString().slice(0, 10);
    const p = byDay.get(date);
    if (p) out.push(p);
  }
  return out;
}

export function renderText(report: BackupReport): string {
  const lines = [
    `Backup verification ${report.generatedAt} — vault ${report.vault.name} (${report.vault.resourceGroup})`,
    `${report.summary.healthy} healthy, ${report.summary.unhealthy} not healthy (recovery point limit ${report.policy.maxAgeHours} h, retention ${report.policy.retentionDays} days)`,
  ];
  for (const r of report.instances) {
    const age = r.ageHours === null ? "no recovery point" : `newest recovery point ${r.ageHours} h old`;
    const job = r.lastJob ? `last job ${r.lastJob.status}` : "no finished job";
    lines.push(
      `  ${r.verdict.toUpperCase().padEnd(11)} ${r.name}${r.cluster ? ` (cluster ${r.cluster})` : ""}: ${age}, ${job}`,
    );
    for (const p of r.problems) lines.push(`              - ${p}`);
  }
  const v = report.restoreValidation;
  if (v) lines.push(`restore validation of ${v.instance}: ${v.ok ? "passed" : `FAILED: ${v.error ?? ""}`}`);
  return `${lines.join("\n")}\n`;
}

function esc(value: unknown): string {
  return String(value).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

function trendSvg(trend: readonly TrendPoint[]): string {
  if (trend.length === 0) return "<p>No earlier reports.</p>";
  const max = Math.max(1, ...trend.map((p) => p.healthy + p.unhealthy));
  const bar = 28;
  const height = 120;
  const bars = trend
    .map((p, i) => {
      const x = 10 + i * (bar + 8);
      const h = Math.round((p.healthy / max) * height);
      const u = Math.round((p.unhealthy / max) * height);
      return (
        `<g><title>${esc(p.date)}: ${p.healthy} healthy, ${p.unhealthy} not healthy</title>` +
        `<rect x="${x}" y="${10 + height - h - u}" width="${bar}" height="${u}" fill="#c62828"/>` +
        `<rect x="${x}" y="${10 + height - h}" width="${bar}" height="${h}" fill="#2e7d32"/>` +
        `<text x="${x + bar / 2}" y="${height + 26}" font-size="9" text-anchor="middle">${esc(p.date.slice(5))}</text></g>`
      );
    })
    .join("");
  return `<svg role="img" aria-label="health of the last ${trend.length} reports" width="${20 + trend.length * (bar + 8)}" height="${height + 34}">${bars}</svg>`;
}

/** The report as one HTML page a person can open from blob storage or a mail. */
export function renderHtml(report: BackupReport, trend: readonly TrendPoint[]): string {
  const ok = reportHealthy(report);
  const rows = report.instances
    .map((r) => {
      const job = r.lastJob
        ? `${esc(r.lastJob.status)}${r.lastJob.endTime ? ` <small>${esc(r.lastJob.endTime)}</small>` : ""}${r.lastJob.error ? `<br><code>${esc(r.lastJob.error.code)}</code> ${esc(r.lastJob.error.message)}` : ""}`
        : "—";
      const problems = r.problems.length ? `<ul>${r.problems.map((p) => `<li>${esc(p)}</li>`).join("")}</ul>` : "";
      return (
        `<tr class="verdict-${r.verdict}" data-instance="${esc(r.name)}">` +
        `<td>${esc(r.cluster ?? "—")}</td><td>${esc(r.name)}</td>` +
        `<td><span class="badge">${esc(r.verdict)}</span></td>` +
        `<td>${esc(r.protectionStatus ?? "—")}</td>` +
        `<td>${r.latestRecoveryPoint ? `${esc(r.latestRecoveryPoint)}<br><small>${esc(r.ageHours)} h ago</small>` : "none"}</td>` +
        `<td>${job}</td><td>${esc(r.since ?? "")}</td><td>${problems}</td></tr>`
      );
    })
    .join("\n");
  const v = report.restoreValidation;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Backup verification ${esc(report.environment)} ${esc(report.generatedAt.slice(0, 10))}</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1b1b1b}
h1{font-size:20px;margin:0 0 4px}.status{padding:8px 12px;border-radius:6px;display:inline-block;margin:8px 0;font-weight:600}
.status.ok{background:#e8f5e9;color:#1b5e20}.status.bad{background:#ffebee;color:#b71c1c}
table{border-collapse:collapse;width:100%;margin:12px 0}th,td{border:1px solid #ddd;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f5}ul{margin:0;padding-left:18px}.badge{padding:2px 8px;border-radius:10px;font-weight:600}
.verdict-healthy .badge{background:#c8e6c9}.verdict-stale .badge{background:#fff3cd}.verdict-failed .badge,.verdict-missing .badge{background:#ffcdd2}
.verdict-unprotected .badge{background:#ffe0b2}tr:not(.verdict-healthy){background:#fffafa}small{color:#555}
</style></head><body>
<h1>Backup verification — ${esc(report.environment)}</h1>
<div>Vault <b>${esc(report.vault.name)}</b> in ${esc(report.vault.resourceGroup)} · generated ${esc(report.generatedAt)} · limits: recovery point &lt; ${esc(report.policy.maxAgeHours)} h, retention ${esc(report.policy.retentionDays)} days</div>
<div class="status ${ok ? "ok" : "bad"}" id="summary">${ok ? `All ${report.summary.healthy} backup instances healthy` : `${report.summary.unhealthy} of ${report.instances.length} backup instances need attention`}</div>
<table id="instances"><thead><tr><th>Cluster</th><th>Backup instance</th><th>Verdict</th><th>Protection</th><th>Newest recovery point</th><th>Last job</th><th>Since</th><th>Problems</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${v ? `<p id="restore-validation">Restore validation of <b>${esc(v.instance)}</b>: ${v.ok ? "passed" : `<b>failed</b> — ${esc(v.error ?? "")}`}</p>` : ""}
<h2>Last ${TREND_DAYS} days</h2>
<div id="trend">${trendSvg(trend)}</div>
<p><small>Runbook: README.md#ops-5-nightly-backup-verification</small></p>
</body></html>
`;
}
