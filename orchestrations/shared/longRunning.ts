import * as df from "durable-functions";
import type { OrchestrationContext, Task, TimerTask } from "durable-functions";
import type { ArmErrorInfo } from "../../lib/plan/progress";

/**
 * The one scheduler of long-running ARM operations (deployments in the build, deletes in the teardown): activity
 * calls retried on transient trouble, each operation polled at the pace of the work (never sooner than ARM's
 * Retry-After, not before its expected end, within one pair of bounds) until its own deadline, and the waits between polls taken on fresh durable timers, optionally together
 * with a cancel event.
 *
 * Every `yield` is of fresh tasks (a `Task.all` of this round's calls, a new timer, a new event wait): durable-js
 * schedules tasks again when an already-scheduled task is put into a new `Task.any`/`Task.all`
 * (azure-functions-durable-js#574), so nothing here re-combines tasks of an earlier round.
 */

/** Transient ARM trouble (429, 5xx, network, an unreadable status) is retried by the runtime with backoff; anything else is a value. */
export const transientRetry = (() => {
  const options = new df.RetryOptions(5_000, 6);
  options.backoffCoefficient = 2;
  options.maxRetryIntervalInMilliseconds = 120_000;
  return options;
})();

/**
 * Polls come no sooner than `minSeconds` after the last (whatever Retry-After says) and no later than
 * `maxSeconds`, however long the operation is expected to take; `defaultSeconds` when ARM sends no Retry-After.
 */
export const POLL_BOUNDS = { minSeconds: 1, maxSeconds: 300, defaultSeconds: 15 } as const;

/** An operation's limit is this many times its expected duration, never below `minSeconds`. */
export const LIMIT_SCALING = { factor: 3, minSeconds: 30 * 60 } as const;

/** What is known of one operation's pace: how long it is expected to take and how long it may run. */
export interface OperationPace {
  /** The latency model's expected duration, when known: polls wait until it has passed. */
  expectedSeconds?: number;
  /** Longest it may run before it is reported as timed out. */
  limitSeconds: number;
}

/**
 * Seconds until the next poll: never sooner than Retry-After (ARM's pace), and not before the operation's
 * expected remaining time has passed (a 15-minute deployment is not read like a 30-second one), within
 * POLL_BOUNDS. Past its expected end an operation is read at Retry-After's pace.
 */
export function pollSeconds(retryAfter: number | undefined, expectedRemainingSeconds?: number): number {
  const asked = retryAfter !== undefined && Number.isFinite(retryAfter) ? retryAfter : POLL_BOUNDS.defaultSeconds;
  const paced = Math.max(asked, expectedRemainingSeconds ?? 0);
  return Math.min(POLL_BOUNDS.maxSeconds, Math.max(POLL_BOUNDS.minSeconds, Math.ceil(paced)));
}

/**
 * How long an operation may run: scaled to what it is (a 2-minute VNet is not given the hour an AKS cluster with
 * add-ons may need), so no fixed ceiling is crossed as the platform grows. An explicit cap wins.
 */
export function scaledLimitSeconds(expectedSeconds: number | undefined, cap?: number): number {
  if (cap !== undefined) return cap;
  return Math.max(LIMIT_SCALING.minSeconds, LIMIT_SCALING.factor * (expectedSeconds ?? 0));
}

interface ScheduleEntry<V> {
  value: V;
  startedAt: number;
  pace: OperationPace;
  nextPollAt: number;
}

/** The running operations, keyed by name: when each is next due and when it runs out of time. */
export class PollSchedule<V> {
  private readonly entries = new Map<string, ScheduleEntry<V>>();
  private readonly paceOf: (value: V) => OperationPace;

  constructor(
    private readonly now: () => number,
    /** Longest one operation may run, or each operation's own pace. */
    pace: number | ((value: V) => OperationPace),
  ) {
    this.paceOf = typeof pace === "number" ? () => ({ limitSeconds: pace }) : pace;
  }

  /** Tracks an operation started at `startedAt` (ms), next polled after `retryAfterSeconds` (0 = at once). */
  add(key: string, value: V, startedAt: number, retryAfterSeconds?: number): void {
    const entry: ScheduleEntry<V> = { value, startedAt, pace: this.paceOf(value), nextPollAt: this.now() };
    if (retryAfterSeconds !== 0) entry.nextPollAt = this.nextPoll(entry, retryAfterSeconds);
    this.entries.set(key, entry);
  }

  /** A poll said "still running": due again after Retry-After or its expected end; the deadline stays that of the start. */
  again(key: string, retryAfterSeconds: number | undefined, value?: V): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.nextPollAt = this.nextPoll(entry, retryAfterSeconds);
    if (value !== undefined) entry.value = value;
  }

  /** The operation's limit in seconds (for the message that says it ran out). */
  limitSeconds(key: string): number | undefined {
    return this.entries.get(key)?.pace.limitSeconds;
  }

  private nextPoll(entry: ScheduleEntry<V>, retryAfterSeconds: number | undefined): number {
    const { expectedSeconds } = entry.pace;
    const remaining =
      expectedSeconds !== undefined ? expectedSeconds - (this.now() - entry.startedAt) / 1000 : undefined;
    return this.now() + pollSeconds(retryAfterSeconds, remaining) * 1000;
  }

  /** Whether the operation has run past its limit. */
  overdue(key: string): boolean {
    const entry = this.entries.get(key);
    return entry !== undefined && this.now() > entry.startedAt + entry.pace.limitSeconds * 1000;
  }

  remove(key: string): void {
    this.entries.delete(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get size(): number {
    return this.entries.size;
  }

  values(): V[] {
    return [...this.entries.values()].map((e) => e.value);
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** The operations whose poll is due now. */
  due(): [string, V][] {
    return [...this.entries].filter(([, e]) => e.nextPollAt <= this.now()).map(([k, e]) => [k, e.value]);
  }

  nextPollAt(): number {
    return Math.min(...[...this.entries.values()].map((e) => e.nextPollAt));
  }
}

/**
 * Hears one external event (a cancel) across many waits. Each wait needs a fresh event task (#574), and an event
 * task that lost its race stays open and still catches the event later (durable-js hands an event to the newest
 * open task of its name, even one nobody waits on any more), so every task made is kept and looked at.
 */
export class EventListener {
  private readonly open: Task[] = [];

  constructor(
    private readonly context: OrchestrationContext,
    readonly eventName: string,
  ) {}

  /** Whether the event has arrived (caught by any of the waits so far). */
  get heard(): boolean {
    return this.open.some((t) => t.isCompleted);
  }

  /** The payload of the event once heard (whichever wait caught it). */
  get payload(): unknown {
    return this.open.find((t) => t.isCompleted)?.result;
  }

  /** A fresh event task for the next `Task.any`. */
  next(): Task {
    const task = this.context.df.waitForExternalEvent(this.eventName);
    this.open.push(task);
    return task;
  }

  /**
   * Whether the event has arrived by now, also one not yet caught by any wait (durable-js holds an event back
   * until a task of its name is yielded): a timer due at once raced with a fresh event task.
   */
  *check(): Generator<Task, boolean, unknown> {
    if (this.heard) return true;
    const timer: TimerTask = this.context.df.createTimer(this.context.df.currentUtcDateTime);
    if (!(yield* this.race(timer))) return false;
    timer.cancel();
    return true;
  }

  /** Waits for `task` or the event, whichever comes first: true when the event did. */
  *race(task: Task): Generator<Task, boolean, unknown> {
    if (this.heard) return true;
    const event = this.next();
    return (yield this.context.df.Task.any([task, event])) === event;
  }
}

/**
 * Waits (a fresh durable timer) until the schedule's earliest poll is due; with a listener, its event ends the
 * wait early and the answer is `"cancel"` (the timer is cancelled).
 */
export function* waitForNextPoll(
  context: OrchestrationContext,
  schedule: Pick<PollSchedule<unknown>, "nextPollAt">,
  cancel?: EventListener,
): Generator<Task, "due" | "cancel", unknown> {
  if (cancel?.heard) return "cancel";
  const at = schedule.nextPollAt();
  if (at <= context.df.currentUtcDateTime.getTime()) return "due";
  const timer: TimerTask = context.df.createTimer(new Date(at));
  if (cancel === undefined) {
    yield timer;
    return "due";
  }
  if (!(yield* cancel.race(timer))) return "due";
  timer.cancel();
  return "cancel";
}

export type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Waits for all tasks and returns each outcome, where `Task.all` would throw on the first failure and hide the
 * rest. After a failure the remaining tasks are yielded one by one: re-yielding an atomic or retryable task is
 * safe (it is not scheduled twice); only new compound tasks over old ones are not.
 */
export function* settleAll(
  context: OrchestrationContext,
  tasks: (Task | undefined)[],
): Generator<Task, Settled[], unknown> {
  const real = tasks.filter((t): t is Task => t !== undefined);
  const results = new Map<Task, Settled>();
  if (real.length > 0) {
    try {
      const values = (yield context.df.Task.all(real)) as unknown[];
      real.forEach((t, i) => results.set(t, { ok: true, value: values[i] }));
    } catch {
      yield* settleEach(real, results);
    }
  }
  return tasks.map((t) => (t === undefined ? { ok: false, error: new Error("not started") } : results.get(t)!));
}

/** Each task's outcome, yielding them one at a time (for tasks already part of a compound task). */
export function* settleEach(
  tasks: readonly Task[],
  into = new Map<Task, Settled>(),
): Generator<Task, Settled[], unknown> {
  for (const t of tasks) {
    try {
      into.set(t, { ok: true, value: yield t });
    } catch (error) {
      into.set(t, { ok: false, error });
    }
  }
  return tasks.map((t) => into.get(t)!);
}

/** What an operation reports when its activity kept failing transiently beyond the retry policy. */
export function transientExhausted(error: unknown): ArmErrorInfo {
  return {
    code: "TransientErrorsExhausted",
    message: `gave up after repeated transient errors: ${errorMessage(error)}`,
  };
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
