import type { NotifyMessage } from "../notify";
import type { GateResult } from "./gates";
import { describeTarget, type UpgradeTarget } from "./plan";

/**
 * The upgrade run's messages, pure. Approval and proposal messages carry the API calls that act on them (the
 * function key is not in the message: whoever acts authenticates).
 */

export interface UpgradeMessageHeader {
  environment: string;
  runId: string;
  target: UpgradeTarget;
  correlationId: string;
  occurredAt: string;
}

export type UpgradeMessageBody =
  | { kind: "approval"; reasons: string[]; changes: string[] }
  | { kind: "proposed"; cluster: string; reason: string; changes: string[] }
  | { kind: "blocked"; cluster: string; reason: string; gates: GateResult[] }
  | { kind: "finished"; outcome: string; lines: string[]; severity: "info" | "warning" };

export type UpgradeMessageInput = UpgradeMessageHeader & UpgradeMessageBody;

export function upgradeMessage(input: UpgradeMessageInput, baseUrl: string): NotifyMessage {
  const api = `${baseUrl}/api/environments/${input.environment}/upgrades`;
  const common = {
    environment: input.environment,
    correlationId: input.correlationId,
    occurredAt: input.occurredAt,
    runbook: "OPS-8" as const,
  };
  const target = describeTarget(input.target);
  switch (input.kind) {
    case "approval":
      return {
        ...common,
        kind: "upgrade.approval",
        severity: "warning",
        title: `Upgrade ${input.runId} waits for approval: ${target}`,
        summary: `Needs approval: ${input.reasons.join("; ")}.`,
        facts: [
          { name: "Run", value: input.runId },
          { name: "Target", value: target },
        ],
        lines: input.changes,
        nextStep: `Approve: POST ${api}/${input.runId}/approve — reject: POST ${api}/${input.runId}/reject (or aks-platform upgrade approve).`,
      };
    case "proposed":
      return {
        ...common,
        kind: "upgrade.proposed",
        severity: "info",
        cluster: input.cluster,
        title: `Upgrade proposed: ${target}`,
        summary: input.reason,
        facts: [{ name: "Target", value: target }],
        lines: input.changes,
        nextStep: `Start it: POST ${api} with {"target": ${JSON.stringify(input.target)}} (or aks-platform upgrade plan, then start).`,
      };
    case "blocked":
      return {
        ...common,
        kind: "upgrade.blocked",
        severity: "warning",
        cluster: input.cluster,
        title: `Upgrade ${input.runId} stopped at cluster ${input.cluster}`,
        summary: input.reason,
        facts: [
          { name: "Run", value: input.runId },
          { name: "Target", value: target },
        ],
        lines: input.gates
          .filter((g) => !g.ok)
          .flatMap((g) => [`${g.gate}: ${g.summary}`, ...g.evidence.map((e) => `  ${e}`)]),
        whatWasDone: "Later stages were not started.",
        nextStep: `Fix the cause, then resume: POST ${api}/${input.runId}/resume — or stop: POST ${api}/${input.runId}/cancel.`,
      };
    case "finished":
      return {
        ...common,
        kind: "upgrade.finished",
        severity: input.severity,
        title: `Upgrade ${input.runId} ${input.outcome}: ${target}`,
        facts: [{ name: "Run", value: input.runId }],
        lines: input.lines,
      };
  }
}
