import type { SendEventGridEventInput } from "@azure/eventgrid";
import { z } from "zod";
import { formatIssues, isoOrUndefined, isRecord, JsonTooDeepError, lowerKeys, stableHash, trimJson } from "./normalize";

/**
 * Sources that are not Event Grid (Azure Monitor alerts, in particular Azure Backup's built-in "Backup Failure"
 * alert, azure-notes "Events") are bridged onto the app's own Event Grid custom topic with these event types.
 */
export const CUSTOM_EVENT_TYPES = {
  backupJobFailed: "AksPlatform.Backup.JobFailed",
  backupJobFailureResolved: "AksPlatform.Backup.JobFailureResolved",
  monitorAlert: "AksPlatform.Monitor.Alert",
} as const;

export const CUSTOM_EVENT_DATA_VERSION = "1.0";

/** Data of the custom-topic events above; also what the nightly backup check publishes for a failed job. */
export const alertEventDataSchema = z.object({
  origin: z.enum(["azure-monitor-alert", "backup-check"]),
  monitorCondition: z.enum(["Fired", "Resolved"]),
  alertId: z.string().optional(),
  alertRule: z.string().optional(),
  /** Azure Monitor severity `Sev0` (critical) … `Sev4` (verbose). */
  alertSeverity: z.string().optional(),
  monitoringService: z.string().optional(),
  firedAt: z.string().optional(),
  resolvedAt: z.string().optional(),
  description: z.string().optional(),
  targetResourceIds: z.array(z.string()).default([]),
  backupInstance: z.string().optional(),
  datasourceId: z.string().optional(),
  jobId: z.string().optional(),
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
});
export type AlertEventData = z.infer<typeof alertEventDataSchema>;

const optionalText = z
  .string()
  .nullish()
  .transform((v) => (v === null || v === undefined || v === "" ? undefined : v));

/** Common alert schema (`schemaId: azureMonitorCommonAlertSchema`), the fields this app reads. */
const commonAlertSchema = z.object({
  schemaId: z.string().refine((s) => s.toLowerCase() === "azuremonitorcommonalertschema", {
    message: "expected azureMonitorCommonAlertSchema",
  }),
  data: z.object({
    essentials: z.object({
      alertId: z.string().min(1),
      alertRule: optionalText,
      severity: optionalText,
      signalType: optionalText,
      monitorCondition: z
        .string()
        .transform((v) => v.toLowerCase())
        .pipe(z.enum(["fired", "resolved"])),
      monitoringService: optionalText,
      alertTargetIDs: z.array(z.string()).nullish(),
      configurationItems: z.array(z.string()).nullish(),
      firedDateTime: optionalText,
      resolvedDateTime: optionalText,
      description: optionalText,
    }),
    alertContext: z.unknown().optional(),
  }),
});

export function isCommonAlertPayload(value: unknown): boolean {
  return (
    isRecord(value) &&
    typeof value.schemaId === "string" &&
    value.schemaId.trim().toLowerCase() === "azuremonitorcommonalertschema"
  );
}

export type NormalizeAlertResult =
  { ok: true; event: SendEventGridEventInput<AlertEventData>; isBackupFailure: boolean } | { ok: false; error: string };

const BACKUP_VAULT_ID = /\/providers\/microsoft\.(dataprotection\/backupvaults|recoveryservices\/vaults)\//i;
const FAILURE_TEXT = /\b(backup|job)s?\s*(job\s*)?fail(ure|ed)?/i;

/** Names under which Backup alerts carry job details in `alertContext` (shapes vary; matched case-insensitively). */
const CONTEXT_FIELDS = {
  backupInstance: ["backupinstancename", "backupinstance", "backupinstanceid", "protecteditemname"],
  datasourceId: ["datasourceid", "datasourcearmid", "sourceresourceid"],
  jobId: ["jobid", "backupjobid", "linkedjobid"],
  errorCode: ["errorcode"],
  errorMessage: ["errormessage", "errordetails", "recommendedaction"],
} as const;

function contextText(context: Record<string, unknown>[], names: readonly string[]): string | undefined {
  for (const bag of context) {
    for (const name of names) {
      const value = bag[name];
      if (typeof value === "string" && value !== "") return value;
    }
  }
  return undefined;
}

/**
 * Turns an Azure Monitor action-group webhook body (common alert schema) into the event this app publishes on its
 * custom topic (`EventGridPublisherClient.send`). Re-posting the same alert state yields the same event id, so
 * Event Grid's at-least-once delivery and webhook retries collapse downstream.
 */
export function normalizeMonitorAlert(payload: unknown): NormalizeAlertResult {
  let trimmed: unknown;
  try {
    trimmed = trimJson(payload);
  } catch (err) {
    if (err instanceof JsonTooDeepError)
      return { ok: false, error: `not an Azure Monitor common alert: ${err.message}` };
    throw err;
  }
  const parsed = commonAlertSchema.safeParse(trimmed);
  if (!parsed.success) {
    return { ok: false, error: `not an Azure Monitor common alert: ${formatIssues(parsed.error)}` };
  }
  const { essentials, alertContext } = parsed.data.data;
  const condition = essentials.monitorCondition === "fired" ? "Fired" : "Resolved";
  const targets = [...(essentials.alertTargetIDs ?? [])];
  // alertContext is alert-type specific: read its top level and its `properties` bag, keys case-insensitively.
  const top = lowerKeys(alertContext);
  const bags = [top, lowerKeys(top?.properties)].filter((b): b is Record<string, unknown> => b !== undefined);
  const about = [
    essentials.alertRule,
    essentials.description,
    contextText(bags, ["alertname", "alerttype", "eventname"]),
  ]
    .filter((s) => s !== undefined)
    .join(" ");
  const backupRelated =
    targets.some((t) => BACKUP_VAULT_ID.test(t)) ||
    /backup/i.test(essentials.monitoringService ?? "") ||
    /backup/i.test(about);
  const isBackupFailure = backupRelated && FAILURE_TEXT.test(about);

  const data: AlertEventData = {
    origin: "azure-monitor-alert",
    monitorCondition: condition,
    alertId: essentials.alertId,
    alertRule: essentials.alertRule,
    alertSeverity: essentials.severity,
    monitoringService: essentials.monitoringService,
    firedAt: isoOrUndefined(essentials.firedDateTime),
    resolvedAt: isoOrUndefined(essentials.resolvedDateTime),
    description: essentials.description,
    targetResourceIds: targets,
    backupInstance: contextText(bags, CONTEXT_FIELDS.backupInstance),
    datasourceId: contextText(bags, CONTEXT_FIELDS.datasourceId),
    jobId: contextText(bags, CONTEXT_FIELDS.jobId),
    errorCode: contextText(bags, CONTEXT_FIELDS.errorCode),
    errorMessage: contextText(bags, CONTEXT_FIELDS.errorMessage),
  };
  for (const key of Object.keys(data) as (keyof AlertEventData)[]) {
    if (data[key] === undefined) delete data[key];
  }
  const eventType = !isBackupFailure
    ? CUSTOM_EVENT_TYPES.monitorAlert
    : condition === "Fired"
      ? CUSTOM_EVENT_TYPES.backupJobFailed
      : CUSTOM_EVENT_TYPES.backupJobFailureResolved;
  const when = condition === "Resolved" ? (data.resolvedAt ?? data.firedAt) : data.firedAt;
  return {
    ok: true,
    isBackupFailure,
    event: {
      id: stableHash([essentials.alertId.toLowerCase(), condition, when]),
      eventType,
      subject: targets[0] ?? essentials.alertId,
      dataVersion: CUSTOM_EVENT_DATA_VERSION,
      ...(when !== undefined ? { eventTime: new Date(when) } : {}),
      data,
    },
  };
}
