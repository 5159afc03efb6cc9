import type { MessageKind, NotifyMessage } from "./message";
import { SEVERITY_RANK } from "./message";

/**
 * Pure digest builder: events of one kind collected within the digest window become one message listing them.
 * The first event of a window is sent on its own as it happens (no delay for the single-event case); the digest
 * lists the ones that followed. The holding itself is done by the Notifier in table storage (see notifier.ts).
 */

const PLURAL_LABELS: Partial<Record<MessageKind, string>> = {
  "eviction.started": "Spot evictions",
  "backup.failed": "backup failures",
  "certificate.nearExpiry": "certificates near expiry",
};

export interface DigestOptions {
  windowMinutes: number;
  /** When the first event of the window (already sent on its own) happened. */
  firstSentAt?: string;
}

export function buildDigest(events: readonly NotifyMessage[], options: DigestOptions): NotifyMessage {
  const sorted = [...events].sort(
    (a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.correlationId.localeCompare(b.correlationId),
  );
  const first = sorted[0];
  if (!first) throw new Error("buildDigest: needs at least one event");
  const kinds = new Set(sorted.map((e) => e.kind));
  if (kinds.size > 1) throw new Error(`buildDigest: events of one kind expected, got ${[...kinds].join(", ")}`);
  const label = PLURAL_LABELS[first.kind] ?? `"${first.title}" events`;
  const severity = sorted.reduce(
    (s, e) => (SEVERITY_RANK[e.severity] > SEVERITY_RANK[s] ? e.severity : s),
    first.severity,
  );
  const clusters = [...new Set(sorted.flatMap((e) => (e.cluster ? [e.cluster] : [])))].sort();
  const last = sorted[sorted.length - 1] ?? first;
  const lead = options.firstSentAt ? `After the alert of ${options.firstSentAt}, ` : "";
  return {
    kind: "digest",
    severity,
    title: `${sorted.length} more ${label} in ${first.environment} within ${options.windowMinutes} min`,
    environment: first.environment,
    ...(clusters.length === 1 && clusters[0] ? { cluster: clusters[0] } : {}),
    summary: `${lead}${sorted.length} more ${label} happened between ${first.occurredAt} and ${last.occurredAt}; they are collected here instead of one message each.`,
    facts: [
      { name: "Events", value: String(sorted.length) },
      { name: "Clusters", value: clusters.join(", ") || "-" },
      { name: "Kind", value: first.kind },
    ],
    lines: sorted.map(digestLine),
    ...(first.whatWasDone === undefined ? {} : { whatWasDone: first.whatWasDone }),
    ...(first.nextStep === undefined ? {} : { nextStep: first.nextStep }),
    runbook: first.runbook,
    correlationId: `digest-${first.correlationId}`,
    occurredAt: last.occurredAt,
  };
}

function digestLine(e: NotifyMessage): string {
  // ARM ids are long; the last segment (the VM, the instance) is what a reader scans for.
  const resource = e.resource?.includes("/providers/") ? e.resource.split("/").pop() : e.resource;
  const where = [e.cluster, resource].filter((x): x is string => Boolean(x)).join(" · ");
  return `${e.occurredAt} · ${where || e.title} · ${e.correlationId}`;
}
