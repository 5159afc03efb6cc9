import { z } from "zod";
import type { Severity } from "../spec";

/**
 * The one message model every alert goes through. Renderers (Teams, Slack) and the digest builder work on this
 * shape only, and pending deliveries are stored as this JSON, so it is validated with zod wherever it crosses a
 * boundary (durable activity input, storage).
 */

export const SEVERITIES = ["info", "warning", "critical"] as const satisfies readonly Severity[];

/** Runbooks are README sections, one per OPS requirement; the README heading must slugify to the anchor. */
export const RUNBOOKS = {
  "OPS-1": { heading: "OPS-1 Provisioning", anchor: "ops-1-provisioning" },
  "OPS-2": { heading: "OPS-2 Spot eviction", anchor: "ops-2-spot-eviction" },
  "OPS-3": { heading: "OPS-3 Certificates", anchor: "ops-3-certificates" },
  "OPS-4": { heading: "OPS-4 Backup failure", anchor: "ops-4-backup-failure" },
  "OPS-5": { heading: "OPS-5 Nightly backup verification", anchor: "ops-5-nightly-backup-verification" },
  "OPS-6": { heading: "OPS-6 Alerts", anchor: "ops-6-alerts" },
  "OPS-7": { heading: "OPS-7 Restore", anchor: "ops-7-restore" },
  "OPS-8": { heading: "OPS-8 Upgrades", anchor: "ops-8-upgrades" },
  "OPS-9": { heading: "OPS-9 Drift", anchor: "ops-9-drift" },
} as const;

export type OpsId = keyof typeof RUNBOOKS;
export const OPS_IDS = Object.keys(RUNBOOKS) as [OpsId, ...OpsId[]];

/** README anchor per OPS id, e.g. `RUNBOOK_ANCHORS["OPS-2"] === "ops-2-spot-eviction"`. */
export const RUNBOOK_ANCHORS = Object.fromEntries(OPS_IDS.map((id) => [id, RUNBOOKS[id].anchor])) as Record<
  OpsId,
  string
>;

/** Where a runbook lives: `README.md#anchor` relative to `baseUrl` (the README's web address) when one is known. */
export function runbookLink(opsId: OpsId, baseUrl?: string): string {
  return `${baseUrl ?? "README.md"}#${RUNBOOK_ANCHORS[opsId]}`;
}

export const MESSAGE_KINDS = [
  "eviction.started",
  "eviction.recovered",
  "eviction.escalation",
  "certificate.renewed",
  "certificate.nearExpiry",
  "certificate.expired",
  "backup.failed",
  "backup.nightlySummary",
  "provisioning.done",
  "provisioning.failed",
  "provisioning.canceled",
  "cluster.lifecycle",
  "drift.detected",
  "drift.remediated",
  "upgrade.proposed",
  "upgrade.approval",
  "upgrade.blocked",
  "upgrade.finished",
  "notify.test",
  /** Several events of one kind collected within the digest window. */
  "digest",
] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export const notifyMessageSchema = z.strictObject({
  kind: z.enum(MESSAGE_KINDS),
  severity: z.enum(SEVERITIES),
  title: z.string().min(1),
  environment: z.string().min(1),
  cluster: z.string().min(1).optional(),
  /** The affected resource: an ARM id, a node, a certificate, a backup instance. */
  resource: z.string().min(1).optional(),
  summary: z.string().optional(),
  facts: z.array(z.strictObject({ name: z.string().min(1), value: z.string() })),
  /** A list shown as bullets: digest entries, per-failure lines, problems. */
  lines: z.array(z.string()).optional(),
  /** A remark shown prominently, such as a deliberate policy the reader should know about. */
  note: z.string().optional(),
  whatWasDone: z.string().optional(),
  nextStep: z.string().optional(),
  runbook: z.enum(OPS_IDS),
  correlationId: z.string().min(1),
  occurredAt: z.iso.datetime({ offset: true }),
  /** Messages with the same key within the digest window become one digest message. */
  digestKey: z.string().min(1).optional(),
});

export type NotifyMessage = z.infer<typeof notifyMessageSchema>;
export type Fact = NotifyMessage["facts"][number];

/** Validates a message from outside (activity input, storage); the error names the JSON path that is wrong. */
export function parseNotifyMessage(input: unknown, where: string): NotifyMessage {
  const result = notifyMessageSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
  throw new Error(`${where}: not a valid notification message (${problems})`);
}

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };
