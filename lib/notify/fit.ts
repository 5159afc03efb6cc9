import type { NotifyMessage } from "./message";

/**
 * Channel limits are met by shortening the message with a visible note, never by failing: an alert that is a bit
 * shorter is worth more than one that is not delivered.
 */

export const TRUNCATED = "(truncated to fit the channel's limits)";

/** Cuts `text` to at most `max` characters, ending with a note when something was cut. */
export function clampText(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = ` … ${TRUNCATED}`;
  if (max <= marker.length) return text.slice(0, Math.max(0, max - 1)) + "…";
  return text.slice(0, max - marker.length) + marker;
}

export interface Fitted<T> {
  rendered: T;
  truncated: boolean;
}

/**
 * Renders `message` and, while `fits` rejects the result, drops list lines, then facts, then shortens texts,
 * and finally falls back to a minimal message. Each step keeps a note saying what was left out.
 */
export function fitMessage<T>(
  message: NotifyMessage,
  render: (m: NotifyMessage) => T,
  fits: (r: T) => boolean,
): Fitted<T> {
  const full = render(message);
  if (fits(full)) return { rendered: full, truncated: false };

  let current = message;
  const lines = message.lines ?? [];
  if (lines.length > 0) {
    const shrunk = largestFitting(lines.length, (k) => withLines(message, k), render, fits);
    if (shrunk) return { rendered: shrunk.rendered, truncated: true };
    current = withLines(message, 0);
  }
  if (current.facts.length > 0) {
    const base = current;
    const shrunk = largestFitting(base.facts.length, (k) => withFacts(base, k), render, fits);
    if (shrunk) return { rendered: shrunk.rendered, truncated: true };
    current = withFacts(base, 0);
  }
  for (const cap of [2000, 500, 150]) {
    const candidate = render(withTextsCapped(current, cap));
    if (fits(candidate)) return { rendered: candidate, truncated: true };
  }
  return { rendered: render(minimal(message)), truncated: true };
}

/** Binary search for the most items (< n) that still fit; undefined when even none fits. */
function largestFitting<T>(
  n: number,
  shrink: (k: number) => NotifyMessage,
  render: (m: NotifyMessage) => T,
  fits: (r: T) => boolean,
): { rendered: T } | undefined {
  let lo = 0;
  let hi = n - 1;
  let best: { rendered: T } | undefined;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    const rendered = render(shrink(mid));
    if (fits(rendered)) {
      best = { rendered };
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return best;
}

function withLines(m: NotifyMessage, keep: number): NotifyMessage {
  const lines = m.lines ?? [];
  return { ...m, lines: [...lines.slice(0, keep), `… ${lines.length - keep} more not shown ${TRUNCATED}`] };
}

function withFacts(m: NotifyMessage, keep: number): NotifyMessage {
  const dropped = m.facts.length - keep;
  return {
    ...m,
    facts: [...m.facts.slice(0, keep), { name: "Not shown", value: `${dropped} more facts ${TRUNCATED}` }],
  };
}

function withTextsCapped(m: NotifyMessage, cap: number): NotifyMessage {
  const c = (s: string | undefined) => (s === undefined ? undefined : clampText(s, cap));
  return stripUndefined({
    ...m,
    title: clampText(m.title, Math.min(cap, 150)),
    summary: c(m.summary),
    note: c(m.note),
    whatWasDone: c(m.whatWasDone),
    nextStep: c(m.nextStep),
    resource: c(m.resource),
    facts: m.facts.map((f) => ({ name: clampText(f.name, 80), value: clampText(f.value, cap) })),
    lines: m.lines?.map((l) => clampText(l, cap)),
  });
}

function minimal(m: NotifyMessage): NotifyMessage {
  return {
    kind: m.kind,
    severity: m.severity,
    title: clampText(m.title, 100),
    environment: clampText(m.environment, 100),
    summary: `The full message did not fit the channel's limits ${TRUNCATED}; look up the correlation id in the logs.`,
    facts: [],
    runbook: m.runbook,
    correlationId: clampText(m.correlationId, 100),
    occurredAt: m.occurredAt,
  };
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
