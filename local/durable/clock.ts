/**
 * Time for durable timers. `virtual`: time runs with the wall clock but jumps forward to the next due timer as soon
 * as nothing else can run (a 5-minute timer completes at once). `scaled`: time runs `factor` times faster than the
 * wall clock (factor 1 = real time), and timers wait the scaled-down delay.
 */
export type ClockOptions = { kind: "virtual" } | { kind: "scaled"; factor: number };

export interface DriverClock {
  readonly kind: ClockOptions["kind"];
  now(): Date;
  /** Wall-clock milliseconds until `fireAt` on this clock (scaled clocks only; virtual timers wait for idleness). */
  wallDelayUntil(fireAt: Date): number;
  /** Moves the clock forward to `time` (no-op when already past it); a scaled clock runs on from there. */
  advanceTo(time: Date): void;
}

export function createClock(options: ClockOptions): DriverClock {
  if (options.kind === "virtual") {
    let offsetMs = 0;
    const now = () => new Date(Date.now() + offsetMs);
    return {
      kind: "virtual",
      now,
      wallDelayUntil: () => 0,
      advanceTo(time) {
        const gap = time.getTime() - now().getTime();
        if (gap > 0) offsetMs += gap;
      },
    };
  }
  if (!Number.isFinite(options.factor) || options.factor <= 0) {
    throw new RangeError(`clock.factor must be a positive number, got ${options.factor}`);
  }
  const { factor } = options;
  const origin = Date.now();
  let offsetMs = 0;
  const now = () => new Date(origin + offsetMs + (Date.now() - origin) * factor);
  return {
    kind: "scaled",
    now,
    wallDelayUntil: (fireAt) => Math.max(0, (fireAt.getTime() - now().getTime()) / factor),
    advanceTo(time) {
      const gap = time.getTime() - now().getTime();
      if (gap > 0) offsetMs += gap;
    },
  };
}
