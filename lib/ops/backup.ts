export interface BackupRetryInput {
  /** When this backup instance last got an ad-hoc retry, if ever. */
  lastAdhocRetryAt?: string | Date;
  now: string | Date;
  jobError?: { code?: string; message?: string };
  /** A resolved alert needs no retry. */
  condition?: "fired" | "resolved";
}

export interface BackupRetryDecision {
  retry: boolean;
  reason: string;
  /** When no retry now: the earliest time another ad-hoc retry is allowed (ISO), if one could help at all. */
  nextAllowedAt?: string;
}

/** Errors a retry cannot fix (missing instance/vault, missing permission): notify only. */
const NOT_RETRYABLE =
  /notfound|not found|unauthori[sz]ed|forbidden|permission|authorization|accessdenied|access denied/i;

/**
 * OPS-4: a failed backup gets at most one ad-hoc retry per backup instance per UTC day, so a persistently failing
 * job cannot loop. A record of a retry that is later than `now` (clock skew, late delivery) also counts as today's.
 */
export function decideBackupRetry(input: BackupRetryInput): BackupRetryDecision {
  const now = toDate(input.now);
  if (now === undefined) return { retry: false, reason: "no valid current time given" };
  if (input.condition === "resolved") return { retry: false, reason: "the failure alert is resolved" };
  const error = [input.jobError?.code, input.jobError?.message].filter((s) => s !== undefined && s !== "").join(": ");
  if (error !== "" && NOT_RETRYABLE.test(error)) {
    return { retry: false, reason: `a retry cannot fix this error (${truncate(error)}); notify only` };
  }
  const last = toDate(input.lastAdhocRetryAt);
  if (last !== undefined) {
    const lastDay = utcDay(last);
    const today = utcDay(now);
    if (lastDay >= today) {
      const nextDay = new Date(Math.max(lastDay, today) + 86_400_000).toISOString();
      return {
        retry: false,
        reason: `already retried on ${new Date(lastDay).toISOString().slice(0, 10)} (UTC); one ad-hoc retry per day`,
        nextAllowedAt: nextDay,
      };
    }
  }
  return { retry: true, reason: error !== "" ? `retry once today after: ${truncate(error)}` : "retry once today" };
}

function utcDay(date: Date): number {
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
}

function toDate(value: string | Date | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isFinite(date.getTime()) ? date : undefined;
}

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
