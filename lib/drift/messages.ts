import type { NotifyMessage } from "../notify/message";
import type { DriftReport } from "./report";

/**
 * One message per detection: the drifted resources with their changes (worst first) and the runbook (OPS-9);
 * a remediation that ran says what it re-deployed and what the check after it found.
 */

const MAX_LINES = 20;

function changeLines(report: DriftReport): string[] {
  const lines = report.findings.flatMap((f) => [
    `${f.severity.toUpperCase()} ${f.resourceType} ${f.resourceName} (unit ${f.unit})`,
    ...f.changes.map((c) => `  ${c.text}`),
  ]);
  return lines.length > MAX_LINES
    ? [...lines.slice(0, MAX_LINES - 1), `… ${lines.length - MAX_LINES + 1} more lines in the report`]
    : lines;
}

export function driftDetectedMessage(
  report: DriftReport,
  /** `will-remediate`, `report-only`, or why the drift is not remediated automatically. */
  input: { correlationId: string; remediation: string },
): NotifyMessage {
  const first = report.findings[0];
  const units = [...new Set(report.findings.map((f) => f.unit))];
  return {
    kind: "drift.detected",
    severity: report.severity === "high" ? "critical" : "warning",
    title: `Drift in ${report.environment}: ${report.findings.length} resource(s) no longer match the spec`,
    environment: report.environment,
    ...(first ? { resource: first.resourceId } : {}),
    summary: `Found by ${report.trigger === "event" ? "a write from outside the app" : `the ${report.trigger} check`}; severity ${report.severity}.`,
    facts: [
      { name: "Units", value: units.join(", ") },
      { name: "Severity", value: report.severity },
      { name: "Checked at", value: report.checkedAt },
    ],
    lines: changeLines(report),
    whatWasDone:
      input.remediation === "will-remediate"
        ? "The drifted units are being re-deployed from the spec (drift.mode remediate)."
        : input.remediation === "report-only"
          ? "Nothing changed: drift.mode is report."
          : `Not remediated automatically: ${input.remediation}.`,
    nextStep:
      input.remediation === "will-remediate"
        ? "Nothing unless the remediation message reports a failure."
        : "Decide whether the change is wanted: put it in the spec, or re-deploy the unit (OPS-9 runbook).",
    runbook: "OPS-9",
    correlationId: input.correlationId,
    occurredAt: report.checkedAt,
  };
}

export function driftRemediatedMessage(
  after: DriftReport,
  input: { correlationId: string; units: string[]; failures: string[] },
): NotifyMessage {
  const ok = input.failures.length === 0 && after.findings.length === 0;
  return {
    kind: "drift.remediated",
    severity: ok ? "info" : "critical",
    title: ok ? `Drift in ${after.environment} corrected` : `Drift in ${after.environment} not corrected`,
    environment: after.environment,
    facts: [
      { name: "Re-deployed", value: input.units.join(", ") || "(none)" },
      { name: "Drift after", value: after.findings.length === 0 ? "none" : `${after.findings.length} resource(s)` },
    ],
    lines: [...input.failures, ...changeLines(after)],
    whatWasDone: `Re-deployed ${input.units.join(", ")} from the spec through the build path, then checked again.`,
    ...(ok ? {} : { nextStep: "Read the deployment errors and the remaining drift; follow the OPS-9 runbook." }),
    runbook: "OPS-9",
    correlationId: input.correlationId,
    occurredAt: after.checkedAt,
  };
}
