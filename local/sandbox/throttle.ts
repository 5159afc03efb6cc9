/**
 * ARM's per-subscription throttle (azure-notes: token bucket, 250 reads / 200 writes burst, refilled ~10/s).
 * Buckets refill in REAL time, not simulated time: a client's request rate is wall-clock (it polls on
 * Retry-After in real seconds), so the same client would meet the same throttle in Azure. The simulated
 * clock only compresses resource latencies.
 */

export interface ThrottleModel {
  reads: { burst: number; refillPerSecond: number };
  writes: { burst: number; refillPerSecond: number };
}

export const DEFAULT_THROTTLE: ThrottleModel = {
  reads: { burst: 250, refillPerSecond: 10 },
  writes: { burst: 200, refillPerSecond: 10 },
};

class TokenBucket {
  private tokens: number;
  private last = Date.now();
  constructor(
    private readonly burst: number,
    private readonly refillPerSecond: number,
  ) {
    this.tokens = burst;
  }
  /** Takes one token; returns 0 when granted, else the seconds until one is available. */
  take(): number {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.refillPerSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.refillPerSecond));
  }
}

export interface CountersSnapshot {
  reads: number;
  writes: number;
  /** Requests answered 429 (bucket empty or an injected throttle fault). */
  throttled: number;
  /** Writes rejected because something else was writing (409 answers and deployment steps that hit a lock). */
  conflicts: number;
  /** Distinct resources created or changed by deployments or deletes. */
  modifiedResources: number;
  modifiedResourceIds: string[];
  /** Most ARM requests being answered at the same time (shows a client's concurrency). */
  maxInFlight: number;
}

export class Counters {
  reads = 0;
  writes = 0;
  throttled = 0;
  conflicts = 0;
  inFlight = 0;
  maxInFlight = 0;
  private modified = new Set<string>();

  requestStarted(): void {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
  }

  requestEnded(): void {
    this.inFlight -= 1;
  }

  markModified(id: string): void {
    this.modified.add(id.toLowerCase());
  }

  snapshot(): CountersSnapshot {
    const ids = [...this.modified].sort();
    return {
      reads: this.reads,
      writes: this.writes,
      throttled: this.throttled,
      conflicts: this.conflicts,
      modifiedResources: ids.length,
      modifiedResourceIds: ids,
      maxInFlight: this.maxInFlight,
    };
  }

  reset(): void {
    this.reads = this.writes = this.throttled = this.conflicts = 0;
    this.maxInFlight = this.inFlight;
    this.modified.clear();
  }
}

export class Throttle {
  private readonly reads: TokenBucket | undefined;
  private readonly writes: TokenBucket | undefined;
  constructor(model: ThrottleModel | false) {
    this.reads = model ? new TokenBucket(model.reads.burst, model.reads.refillPerSecond) : undefined;
    this.writes = model ? new TokenBucket(model.writes.burst, model.writes.refillPerSecond) : undefined;
  }
  /** 0 when the request may proceed, else the Retry-After seconds for a 429. */
  take(kind: "read" | "write"): number {
    return (kind === "read" ? this.reads : this.writes)?.take() ?? 0;
  }
}
