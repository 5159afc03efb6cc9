import type { DomainEvent, DomainEventKind } from "../events";
import { compactUtc } from "../events";
import type { Severity } from "../spec";

/** The fields digesting needs; any domain event has them. */
export type DigestableEvent = Pick<DomainEvent, "kind" | "dedupeKey" | "occurredAt" | "severity" | "cluster">;

export interface Digest<E extends DigestableEvent> {
  /** `<kind>-<window start as YYYYMMDDTHHmmZ>`; `<kind>-undated` for events without a time. */
  key: string;
  kind: DomainEventKind;
  /** Fixed window (ISO) the events fall into; absent for events without a time. */
  windowStart?: string;
  windowEnd?: string;
  /** Distinct events (duplicates by dedupe key counted once). */
  count: number;
  severity: Severity;
  /** Distinct events per cluster (`unknown` when an event maps to none). */
  clusters: Record<string, number>;
  /** Sorted by time, then dedupe key: the same set yields the same digest whatever the order of arrival. */
  events: E[];
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** The events with duplicates (same dedupe key) removed, first occurrence kept. */
export function dedupeEvents<E extends Pick<DomainEvent, "dedupeKey">>(events: readonly E[]): E[] {
  const seen = new Set<string>();
  const out: E[] = [];
  for (const event of events) {
    if (seen.has(event.dedupeKey)) continue;
    seen.add(event.dedupeKey);
    out.push(event);
  }
  return out;
}

/**
 * Groups events of one kind that fall into the same fixed window (aligned to the epoch, so every instance of the
 * app computes the same windows) into one digest: a storm of 500 evictions becomes one message per window, with a
 * count per cluster. `windowMinutes` 0 means no digesting: one digest per distinct event.
 */
export function groupIntoDigests<E extends DigestableEvent>(events: readonly E[], windowMinutes: number): Digest<E>[] {
  if (!(windowMinutes >= 0)) throw new RangeError(`windowMinutes must be zero or more, got ${windowMinutes}`);
  const windowMs = windowMinutes * 60_000;
  const groups = new Map<string, { kind: DomainEventKind; start?: number; events: E[] }>();
  for (const event of dedupeEvents(events)) {
    const ms = event.occurredAt !== undefined ? Date.parse(event.occurredAt) : Number.NaN;
    let groupKey: string;
    let start: number | undefined;
    if (!Number.isFinite(ms)) groupKey = `${event.kind}-undated`;
    else if (windowMs === 0) {
      start = ms;
      groupKey = `${event.kind}-${event.dedupeKey}`;
    } else {
      start = Math.floor(ms / windowMs) * windowMs;
      groupKey = `${event.kind}-${compactUtc(start)}`;
    }
    const group = groups.get(groupKey) ?? { kind: event.kind, ...(start !== undefined ? { start } : {}), events: [] };
    group.events.push(event);
    groups.set(groupKey, group);
  }
  const digests = [...groups.entries()].map(([key, group]): Digest<E> => {
    const sorted = [...group.events].sort(byTimeThenKey);
    const clusters: Record<string, number> = {};
    let severity: Severity = "info";
    for (const e of sorted) {
      const c = e.cluster ?? "unknown";
      clusters[c] = (clusters[c] ?? 0) + 1;
      if (SEVERITY_RANK[e.severity] > SEVERITY_RANK[severity]) severity = e.severity;
    }
    return {
      key,
      kind: group.kind,
      ...(group.start !== undefined
        ? {
            windowStart: new Date(group.start).toISOString(),
            windowEnd: new Date(group.start + Math.max(windowMs, 0)).toISOString(),
          }
        : {}),
      count: sorted.length,
      severity,
      clusters,
      events: sorted,
    };
  });
  return digests.sort((a, b) => (a.windowStart ?? "").localeCompare(b.windowStart ?? "") || a.key.localeCompare(b.key));
}

function byTimeThenKey(a: DigestableEvent, b: DigestableEvent): number {
  return (a.occurredAt ?? "").localeCompare(b.occurredAt ?? "") || a.dedupeKey.localeCompare(b.dedupeKey);
}
