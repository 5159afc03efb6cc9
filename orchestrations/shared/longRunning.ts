import * as df from "durable-functions";
import type { OrchestrationContext, Task, TimerTask } from "durable-functions";
import type { ArmErrorInfo } from "../../lib/plan/progress";

/**
 * The one scheduler of long-running ARM operations (deployments in the build, deletes in the teardown): activity
 * calls retried on transient trouble, each operation polled at the pace ARM asks for (Retry-After, within one pair
 * of bounds) until its deadline, and the waits between polls taken on fresh durable timers, optionally together
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

/** Polls come no sooner than this after the last (whatever Retry-After says) and no later. */
export const POLL_BOUNDS = { minSeconds: 1, maxSeconds: 120, defaultSeconds: 15 } as const;

export function pollSeconds(retryAfter: number | undefined): number {
  const asked = retryAfter !== undefined && Number.isFinite(retryAfter) ? retryAfter : POLL_BOUNDS.defaultSeconds;
  return Math.min(POLL_BOUNDS.maxSeconds, Math.max(POLL_BOUNDS.minSeconds, asked));
}

/** The running operations, keyed by name: when each is next due and when it runs out of time. */
export class PollSchedule<V> {
  private readonly entries = new Map<string, { value: V; nextPollAt: number; deadline: number }>();

  constructor(
    private readonly now: () => number,
    /** Longest one operation may run. */
    private readonly limitSeconds: number,
  ) {}

  /** Tracks an operation started at `startedAt` (ms), next polled after `retryAfterSeconds` (0 = at once). */
  add(key: string, value: V, startedAt: number, retryAfterSeconds?: number): void {
    this.entries.set(key, {
      value,
      deadline: startedAt + this.limitSeconds * 1000,
      nextPollAt: retryAfterSeconds === 0 ? this.now() : this.now() + pollSeconds(retryAfterSeconds) * 1000,
    });
  }

  /** A poll said "still running": due again after Retry-After; the deadline stays that of the start. */
  again(key: string, retryAfterSeconds: number | undefined, value?: V): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.nextPollAt = this.now() + pollSeconds(retryAfterSeconds) * 1000;
    if (value !== undefined) entry.value = value;
  }

  /** Whether the operation has run past its limit. */
  overdue(key: string): boolean {
    const entry = this.entries.get(key);
    return entry !== undefined && this.now() > entry.deadline;
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
  schedule: PollSchedule<unknown>,
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
