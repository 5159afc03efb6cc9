/**
 * Simulated time: resource latencies, deployment durations and the daily backup schedule run on it.
 * `timeScale` = simulated seconds per real second (60 → an AKS create of 10 minutes takes 10 real seconds);
 * `advance` jumps forward (e.g. to the next 02:00 UTC backup) without waiting.
 */
export class SimClock {
  private baseSim: number;
  private baseReal: number;

  constructor(
    startMs: number,
    private scaleValue: number,
  ) {
    if (!(scaleValue > 0)) throw new Error(`clock timeScale must be > 0, got ${scaleValue}`);
    this.baseSim = startMs;
    this.baseReal = Date.now();
  }

  /** Simulated epoch milliseconds. */
  now(): number {
    return this.baseSim + (Date.now() - this.baseReal) * this.scaleValue;
  }

  setTimeScale(timeScale: number): void {
    if (!(timeScale > 0)) throw new Error(`clock timeScale must be > 0, got ${timeScale}`);
    this.rebase();
    this.scaleValue = timeScale;
  }

  advance(seconds: number): void {
    if (!(seconds >= 0)) throw new Error(`clock can only move forward, got ${seconds} s`);
    this.rebase();
    this.baseSim += seconds * 1000;
  }

  /** Real milliseconds until the simulated instant `simMs` (0 when already past). */
  realMsUntil(simMs: number): number {
    return Math.max(0, (simMs - this.now()) / this.scaleValue);
  }

  private rebase(): void {
    this.baseSim = this.now();
    this.baseReal = Date.now();
  }
}
