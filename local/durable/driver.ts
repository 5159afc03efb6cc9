// Local durable driver: runs registered orchestrations through the SDK's own orchestrator handler, feeding it
// host-shaped payloads and history and carrying out the actions it returns. State lives in Azure Storage
// (Azurite), so a restarted process resumes every unfinished instance where it stopped.
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { HostStorage } from "../../lib/azure";
import { ABORT_SIGNAL_INPUT } from "../../lib/activity-signal";
import { CUSTOM_STATUS_LIMIT_BYTES, customStatusBytes } from "../../lib/custom-status";
import {
  createInvocationContext,
  getRegistry,
  stderrLogger,
  type FunctionLogger,
  type RegisteredFunction,
} from "../registry";
import { createClock, type ClockOptions, type DriverClock } from "./clock";
import {
  ActionType,
  actionTypeName,
  decodeProcessedInput,
  EventType,
  eventTypeName,
  flattenActions,
  historyEvent,
  type FailureDetails,
  type HistoryEvent,
  type OrchestratorState,
  type WireAction,
  type WireRetryOptions,
} from "./history";
import {
  InstanceStore,
  TERMINAL_STATUSES,
  type InstanceDocument,
  type InstanceFilter,
  type PendingWork,
  type RuntimeStatus,
  type TrackedAction,
} from "./store";

export type { ClockOptions } from "./clock";
export type { InstanceFilter, RuntimeStatus } from "./store";

export interface DurableDriverOptions {
  /** Storage for history and status: Azurite's connection string, or identity-based host storage (Azure context). */
  connectionString: string | HostStorage;
  /** Task hub: names the table and container (default: AKS_PLATFORM_TASK_HUB, else "aksplatform"). */
  taskHub?: string;
  /** Durable timer clock (default: real time, `{ kind: "scaled", factor: 1 }`). */
  clock?: ClockOptions;
  /** Activities running at once across all instances (host.json maxConcurrentActivityFunctions; default 10). */
  maxConcurrentActivities?: number;
  /** Where `context.log` output of orchestrators and activities and the driver's own warnings go. */
  log?: FunctionLogger;
}

export type DurableDriverErrorCode = "not-found" | "conflict" | "gone" | "invalid" | "timeout" | "stopped";

/** A client call that cannot be served; `code` maps to HTTP (404, 409, 410, 400, 408, 503). */
export class DurableDriverError extends Error {
  override readonly name = "DurableDriverError";
  constructor(
    readonly code: DurableDriverErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface InstanceStatus {
  name: string;
  instanceId: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  history?: Array<Record<string, unknown>>;
}

export interface StatusOptions {
  showHistory?: boolean;
  showInput?: boolean;
}

const ACTIVE: readonly RuntimeStatus[] = ["Pending", "Running", "ContinuedAsNew"];
const isActive = (doc: InstanceDocument) => ACTIVE.includes(doc.runtimeStatus);
const OUT_OF_PROC_MARKER = "\n\n$OutOfProcData$:";
// Far above any timer we create, so the SDK never splits timers into long-timer chains (which it numbers itself).
const MAXIMUM_SHORT_TIMER = "3650.00:00:00";

/** A failure of the orchestration itself (not of the driver): the instance ends Failed with this message. */
class OrchestrationFailure extends Error {}

interface ArmedTimer {
  fireAt: number;
  fire(): void;
  handle?: NodeJS.Timeout;
}

class Semaphore {
  private readonly waiting: Array<() => void> = [];
  private free: number;
  constructor(size: number) {
    this.free = size;
  }
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

function jsonRoundTrip<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The FailureDetails the extension reports for a failed activity (wrapActivityHandler may pre-serialize them). */
function failureDetails(err: unknown): FailureDetails {
  const error = err instanceof Error ? err : new Error(String(err));
  try {
    const parsed = JSON.parse(error.message) as Record<string, unknown>;
    if (typeof parsed.errorType === "string" && typeof parsed.errorMessage === "string") {
      return {
        ErrorType: parsed.errorType,
        ErrorMessage: parsed.errorMessage,
        IsNonRetriable: parsed.isNonRetriable === true,
        ...(typeof parsed.stackTrace === "string" ? { StackTrace: parsed.stackTrace } : {}),
        ...(parsed.properties && typeof parsed.properties === "object"
          ? { Properties: parsed.properties as Record<string, unknown> }
          : {}),
      };
    }
  } catch {
    // a plain message
  }
  return {
    ErrorType: error.name,
    ErrorMessage: error.message,
    IsNonRetriable: false,
    ...(error.stack ? { StackTrace: error.stack } : {}),
  };
}

function retryDelayMs(options: WireRetryOptions, failures: number): number {
  const delay = options.firstRetryIntervalInMilliseconds * Math.pow(options.backoffCoefficient ?? 1, failures - 1);
  return options.maxRetryIntervalInMilliseconds ? Math.min(delay, options.maxRetryIntervalInMilliseconds) : delay;
}

function describe(action: { actionType: number; name: string }): string {
  return action.actionType === ActionType.CreateTimer
    ? actionTypeName(action.actionType)
    : `${actionTypeName(action.actionType)} "${action.name}"`;
}

function actionName(action: WireAction): string {
  return action.functionName ?? action.externalEventName ?? "";
}

export class DurableDriver {
  readonly taskHub: string;
  private readonly store: InstanceStore;
  private readonly clock: DriverClock;
  private readonly log: FunctionLogger;
  private clientBinding: unknown;
  private readonly slots: Semaphore;
  private readonly docs = new Map<string, InstanceDocument>();
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly timers = new Map<string, ArmedTimer>();
  private readonly activities = new Map<string, Set<AbortController>>();
  private readonly finished = new EventEmitter();
  private busy = 0;
  private idleCheckQueued = false;
  /** Instances with a drain step queued that has not started yet (raised events join it instead of queuing more). */
  private readonly drainQueued = new Set<string>();
  /** Completions that arrived for an instance and wait for its next drain step (taken all at once). */
  private readonly arrivals = new Map<string, { executionId: string; workId: number; event: HistoryEvent }[]>();
  private stopped = false;
  private startPromise: Promise<void> | undefined;

  constructor(options: DurableDriverOptions) {
    this.taskHub = options.taskHub ?? process.env.AKS_PLATFORM_TASK_HUB ?? "aksplatform";
    this.store = new InstanceStore(options.connectionString, this.taskHub);
    this.clock = createClock(options.clock ?? { kind: "scaled", factor: 1 });
    this.log = options.log ?? stderrLogger;
    this.slots = new Semaphore(options.maxConcurrentActivities ?? 10);
    this.finished.setMaxListeners(0);
  }

  /** Creates the storage it needs and resumes every unfinished instance of the task hub. */
  start(): Promise<void> {
    this.startPromise ??= (async () => {
      await this.store.init();
      // The clock resumes from the latest time the task hub recorded: a new process's clock starts at the wall
      // clock, which a scaled (or virtual) clock had run ahead of, so resumed instances would replay backwards in
      // time and their pending timers would wait out the difference (hours at --time-scale 3600).
      const latest = await this.store.latestUpdate();
      if (latest) this.clock.advanceTo(latest);
      for (const instanceId of await this.store.unfinished()) {
        this.background(instanceId, async () => {
          const doc = await this.document(instanceId);
          if (!doc || !isActive(doc)) return;
          for (const work of doc.pending) this.dispatch(doc, work);
          await this.drain(doc);
        });
      }
    })();
    return this.startPromise;
  }

  /** Stops timers, aborts running activities (their signals fire) and waits for state writes in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer.handle);
    this.timers.clear();
    for (const set of this.activities.values()) for (const controller of set) controller.abort();
    await Promise.allSettled([...this.chains.values()]);
  }

  // ---- client API ----------------------------------------------------------------------------------------

  /** Starts an orchestration; rejects with code "conflict" when an instance with that id is still running. */
  async startNew(name: string, options: { instanceId?: string; input?: unknown } = {}): Promise<string> {
    await this.ready();
    const fn = getRegistry().find(name);
    if (!fn || fn.triggerType !== "orchestrationTrigger") {
      throw new DurableDriverError("not-found", `no orchestration named "${name}" is registered`);
    }
    const instanceId = options.instanceId ?? randomUUID().replace(/-/g, "");
    if (instanceId.trim() === "" || /[/\\#?]/.test(instanceId)) {
      throw new DurableDriverError("invalid", `instance id "${instanceId}" must be non-empty without / \\ # ?`);
    }
    await this.serial(instanceId, async () => {
      const existing = await this.document(instanceId);
      if (existing && isActive(existing)) {
        throw new DurableDriverError(
          "conflict",
          `instance "${instanceId}" of "${existing.name}" is already ${existing.runtimeStatus}`,
        );
      }
      await this.save(this.newInstance(instanceId, name, options.input));
    });
    this.background(instanceId, async () => {
      const doc = await this.document(instanceId);
      if (doc) await this.drain(doc);
    });
    return instanceId;
  }

  async getStatus(instanceId: string, options: StatusOptions = {}): Promise<InstanceStatus | undefined> {
    await this.ready();
    const doc = await this.snapshot(instanceId);
    return doc && toStatus(doc, options);
  }

  async list(filter: InstanceFilter = {}, options: StatusOptions = {}): Promise<InstanceStatus[]> {
    await this.ready();
    const statuses: InstanceStatus[] = [];
    for (const id of await this.store.list(filter)) {
      const doc = await this.snapshot(id);
      if (doc) statuses.push(toStatus(doc, options));
    }
    return statuses;
  }

  /** Delivers an external event; "not-found" for unknown instances, "gone" for finished ones. */
  async raiseEvent(instanceId: string, eventName: string, data?: unknown): Promise<void> {
    await this.ready();
    if (eventName.trim() === "") throw new DurableDriverError("invalid", "event name must not be empty");
    await this.serial(instanceId, async () => {
      const doc = await this.activeDocument(instanceId);
      const input = data === undefined ? {} : { Input: JSON.stringify(data) };
      doc.inbox.push(historyEvent(EventType.EventRaised, this.clock.now(), { Name: eventName, ...input }));
      await this.save(doc);
    });
    this.queueDrain(instanceId);
  }

  /**
   * One drain step per instance at a time: what arrives while an episode runs (raised events, completions) is
   * delivered in one later episode, as the extension batches the messages waiting for an instance (the Azure Storage
   * provider pulls control-queue messages in batches, ControlQueueBatchSize, and DurableTask.AzureStorage's
   * OrchestrationSessionManager hands an instance's buffered messages to one work item), instead of one replay (and
   * one save of the whole history) per message.
   */
  private queueDrain(instanceId: string): void {
    if (this.drainQueued.has(instanceId)) return;
    this.drainQueued.add(instanceId);
    this.background(instanceId, async () => {
      this.drainQueued.delete(instanceId);
      const arrived = this.arrivals.get(instanceId) ?? [];
      this.arrivals.delete(instanceId);
      const doc = await this.document(instanceId);
      if (!doc) return;
      for (const { executionId, workId, event } of arrived) {
        // Dropped when the instance or execution has moved on, or the work is no longer awaited.
        if (!isActive(doc) || doc.executionId !== executionId || !doc.pending.some((w) => w.id === workId)) continue;
        doc.pending = doc.pending.filter((w) => w.id !== workId);
        doc.inbox.push(event);
      }
      await this.drain(doc);
    });
  }

  /**
   * The durableClient binding value for activities that declare one (`df.getClient(context)` in an activity): set by
   * whoever serves the Durable HTTP API for this driver (the host, or the local runtime's RPC server).
   */
  useClientBinding(binding: unknown): void {
    this.clientBinding = binding;
  }

  /** Ends an instance as Terminated: its timers are dropped and its running activities see their signal abort. */
  async terminate(instanceId: string, reason = ""): Promise<void> {
    await this.ready();
    await this.serial(instanceId, async () => {
      const doc = await this.activeDocument(instanceId);
      doc.history.push(historyEvent(EventType.ExecutionTerminated, this.clock.now(), { Input: reason }));
      for (const controller of this.activities.get(instanceId) ?? []) controller.abort();
      await this.complete(doc, "Terminated", reason);
    });
  }

  /** Resolves with the final status once the instance is Completed, Failed or Terminated. */
  async waitForCompletion(instanceId: string, options: { timeoutMs?: number } = {}): Promise<InstanceStatus> {
    await this.ready();
    const timeoutMs = options.timeoutMs ?? 60_000;
    const doneEvent = `done:${instanceId}`;
    return new Promise<InstanceStatus>((resolve, reject) => {
      const onFinished = (status: InstanceStatus) => {
        clearTimeout(timer);
        resolve(status);
      };
      const timer = setTimeout(() => {
        this.finished.off(doneEvent, onFinished);
        void this.waitingOn(instanceId).then((waiting) =>
          reject(
            new DurableDriverError(
              "timeout",
              `instance "${instanceId}" did not finish within ${timeoutMs} ms: ${waiting}`,
            ),
          ),
        );
      }, timeoutMs);
      this.finished.once(doneEvent, onFinished);
      this.getStatus(instanceId).then(
        (status) => {
          if (!status) {
            this.finished.off(doneEvent, onFinished);
            clearTimeout(timer);
            reject(new DurableDriverError("not-found", `no instance "${instanceId}"`));
          } else if (TERMINAL_STATUSES.includes(status.runtimeStatus)) {
            this.finished.off(doneEvent, onFinished);
            onFinished(status);
          }
        },
        (err: unknown) => {
          this.finished.off(doneEvent, onFinished);
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  /**
   * Why an instance has not finished, for a timeout's message: what this process holds of it and what storage
   * holds (the two differ only while a step writes, or when the process lost track of its work), and what runs here.
   */
  private async waitingOn(instanceId: string): Promise<string> {
    const running = this.activities.get(instanceId)?.size ?? 0;
    const armed = [...this.timers.keys()].filter((key) => key.startsWith(`${instanceId}\n`)).length;
    const here = `${running} activit${running === 1 ? "y" : "ies"} running and ${armed} timer(s) armed in this process`;
    const held = this.docs.get(instanceId);
    let stored: string;
    try {
      const doc = await this.store.load(instanceId);
      stored = doc ? describeProgress(doc) : "nothing";
    } catch (err) {
      stored = `unreadable (${errorMessage(err)})`;
    }
    return `this process holds ${held ? describeProgress(held) : "nothing"}; storage holds ${stored}; ${here}`;
  }

  /** Deletes a finished instance's history and status; false when there is none, "conflict" while it runs. */
  async purge(instanceId: string): Promise<boolean> {
    await this.ready();
    return this.serial(instanceId, async () => {
      const doc = await this.document(instanceId);
      if (!doc) return false;
      if (isActive(doc)) {
        throw new DurableDriverError(
          "conflict",
          `instance "${instanceId}" is ${doc.runtimeStatus}; terminate it first`,
        );
      }
      this.docs.delete(instanceId);
      return this.store.delete(instanceId);
    });
  }

  /** Purges every finished instance matching the filter; returns how many were deleted. */
  async purgeBy(filter: InstanceFilter = {}): Promise<number> {
    await this.ready();
    const statuses = filter.runtimeStatus?.filter((s) => TERMINAL_STATUSES.includes(s)) ?? TERMINAL_STATUSES;
    let deleted = 0;
    for (const id of await this.store.list({ ...filter, runtimeStatus: statuses })) {
      if (await this.purge(id)) deleted++;
    }
    return deleted;
  }

  // ---- instance state ------------------------------------------------------------------------------------

  private async ready(): Promise<void> {
    if (this.stopped) throw new DurableDriverError("stopped", "the durable driver has been stopped");
    await this.start();
  }

  /** Runs `step` after every earlier step of the same instance; the caller sees the step's own outcome. */
  private serial<T>(instanceId: string, step: () => Promise<T>): Promise<T> {
    this.busy++;
    const previous = this.chains.get(instanceId) ?? Promise.resolve();
    const result = previous.then(step);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(instanceId, settled);
    void settled.finally(() => {
      if (this.chains.get(instanceId) === settled) this.chains.delete(instanceId);
      this.busy--;
      this.queueIdleCheck();
    });
    return result;
  }

  /** Like `serial`, for background steps: failures are logged instead of returned. */
  private background(instanceId: string, step: () => Promise<void>): void {
    this.serial(instanceId, step).catch((err: unknown) => {
      if (err instanceof DurableDriverError && err.code === "stopped") return;
      // The cached document may be half-updated; the next step reloads what was last stored.
      this.docs.delete(instanceId);
      this.log("error", "durable-driver", `instance "${instanceId}": ${errorMessage(err)}`);
    });
  }

  /** The instance's document for a step of its chain (`serial`): the only reads that fill the cache. */
  private async document(instanceId: string): Promise<InstanceDocument | undefined> {
    const cached = this.docs.get(instanceId);
    if (cached) return cached;
    const loaded = await this.store.load(instanceId);
    if (loaded) this.docs.set(instanceId, loaded);
    return loaded;
  }

  /**
   * The instance's document for a reader outside its chain (status, listing), never cached: such a read can return
   * after the chain has moved on (a resumed instance's first steps run while a status poll loads), and caching it
   * would put the older document back under the chain, whose next completion then finds its work missing and is
   * dropped: the instance waits forever.
   */
  private async snapshot(instanceId: string): Promise<InstanceDocument | undefined> {
    return this.docs.get(instanceId) ?? (await this.store.load(instanceId));
  }

  private async activeDocument(instanceId: string): Promise<InstanceDocument> {
    const doc = await this.document(instanceId);
    if (!doc) throw new DurableDriverError("not-found", `no instance "${instanceId}"`);
    if (!isActive(doc)) throw new DurableDriverError("gone", `instance "${instanceId}" is ${doc.runtimeStatus}`);
    return doc;
  }

  private async save(doc: InstanceDocument): Promise<void> {
    if (this.stopped) throw new DurableDriverError("stopped", "the durable driver has been stopped");
    doc.lastUpdatedTime = this.clock.now().toISOString();
    this.docs.set(doc.instanceId, doc);
    await this.store.save(doc);
  }

  private newInstance(
    instanceId: string,
    name: string,
    input: unknown,
    parent?: InstanceDocument["parent"],
  ): InstanceDocument {
    const now = this.clock.now();
    const executionId = randomUUID();
    return {
      instanceId,
      name,
      executionId,
      runtimeStatus: "Pending",
      input,
      output: null,
      customStatus: null,
      createdTime: now.toISOString(),
      lastUpdatedTime: now.toISOString(),
      ...(parent ? { parent } : {}),
      history: [],
      inbox: [this.executionStarted(instanceId, executionId, name, input, parent?.instanceId)],
      pending: [],
      actions: [],
      ids: {},
      nextEventId: 0,
    };
  }

  private executionStarted(instanceId: string, executionId: string, name: string, input: unknown, parentId?: string) {
    return historyEvent(EventType.ExecutionStarted, this.clock.now(), {
      Name: name,
      Input: input === undefined ? null : JSON.stringify(input),
      OrchestrationInstance: { InstanceId: instanceId, ExecutionId: executionId },
      ...(parentId ? { ParentInstance: { OrchestrationInstance: { InstanceId: parentId } } } : {}),
    });
  }

  // ---- orchestration episodes ----------------------------------------------------------------------------

  /** Delivers the inbox one event per episode, which keeps the SDK's sequence numbers predictable. */
  private async drain(doc: InstanceDocument): Promise<void> {
    let event = doc.inbox[0];
    while (event && isActive(doc) && !this.stopped) {
      await this.episode(doc, event);
      event = doc.inbox[0];
    }
  }

  /**
   * Delivers a completion to an instance's inbox at its next drain step. It is stored with the episode it wakes:
   * until then the stored document still lists the work as pending, so a process that dies first dispatches it
   * again on resume (at least once, as the extension's own queue messages).
   */
  private deliver(instanceId: string, executionId: string, workId: number, event: HistoryEvent): void {
    if (this.stopped) return;
    this.arrivals.set(instanceId, [...(this.arrivals.get(instanceId) ?? []), { executionId, workId, event }]);
    this.queueDrain(instanceId);
  }

  private async episode(doc: InstanceDocument, event: HistoryEvent): Promise<void> {
    const now = this.clock.now();
    doc.inbox.shift();
    if (event.EventType === EventType.ExecutionStarted) doc.runtimeStatus = "Running";
    // The messages waiting together are delivered in one episode, as the extension does; an event the retry rules
    // act on (a failed attempt, a retry timer) stays alone, so its retry timer or next attempt takes the next id.
    const batch = [event];
    while (!this.retryOf(doc, event) && doc.inbox[0] && !this.retryOf(doc, doc.inbox[0])) {
      batch.push(doc.inbox.shift()!);
    }
    const fresh = [historyEvent(EventType.OrchestratorStarted, now), ...batch];
    const fn = getRegistry().find(doc.name);
    const outcome =
      fn && fn.triggerType === "orchestrationTrigger"
        ? await this.invokeOrchestrator(fn, doc, fresh)
        : { error: `orchestration "${doc.name}" is not registered in this process` };

    const appended: HistoryEvent[] = [...fresh];
    const work: PendingWork[] = [];
    let failure =
      outcome.error === undefined ? undefined : `Orchestrator function '${doc.name}' failed: ${outcome.error}`;
    const state = outcome.state;
    if (state) {
      try {
        const flat = flattenActions(state.actions.flat()).filter((a) => a.actionType !== ActionType.ContinueAsNew);
        this.checkReplay(doc, flat);
        if (failure === undefined) {
          this.followRetry(doc, event, now, appended, work);
          this.scheduleNew(doc, flat, now, appended, work);
          this.cancelTimers(doc, flat);
        }
      } catch (err) {
        if (!(err instanceof OrchestrationFailure)) throw err;
        failure = err.message;
        this.log("error", doc.name, err.message);
      }
      // Azure refuses a status over the cap and fails the orchestration; the last accepted status stays readable.
      const bytes = customStatusBytes(state.customStatus ?? null);
      if (bytes <= CUSTOM_STATUS_LIMIT_BYTES) doc.customStatus = state.customStatus ?? null;
      else {
        const message =
          `The custom status of orchestration "${doc.name}" (instance "${doc.instanceId}") is ${bytes} bytes of ` +
          `UTF-16 JSON text, over Durable Functions' limit of ${CUSTOM_STATUS_LIMIT_BYTES} bytes (16 KB). ` +
          "Put large payloads in the orchestration output or in storage, and keep a reference in the status.";
        failure ??= message;
        this.log("error", doc.name, message);
      }
    }
    appended.push(historyEvent(EventType.OrchestratorCompleted, now));
    doc.history.push(...appended);

    if (failure !== undefined) {
      await this.complete(doc, "Failed", failure);
      return;
    }
    if (state?.isDone) {
      const continueAsNew = state.actions.flat().find((a) => a.actionType === ActionType.ContinueAsNew);
      if (continueAsNew) {
        await this.continueAsNew(doc, decodeProcessedInput(continueAsNew.input));
      } else {
        await this.complete(doc, "Completed", state.output ?? null);
      }
      return;
    }
    doc.pending.push(...work);
    await this.save(doc);
    for (const item of work) this.dispatch(doc, item);
  }

  private async invokeOrchestrator(
    fn: RegisteredFunction,
    doc: InstanceDocument,
    fresh: HistoryEvent[],
  ): Promise<{ state?: OrchestratorState; error?: string }> {
    const history = [...doc.history.map((e) => ({ ...e, IsPlayed: true })), ...fresh];
    const payload = {
      history: jsonRoundTrip(history),
      input: jsonRoundTrip(doc.input),
      instanceId: doc.instanceId,
      isReplaying: doc.history.length > 0,
      parentInstanceId: doc.parent?.instanceId ?? null,
      upperSchemaVersion: 2,
      upperSchemaVersionNew: 3,
      longRunningTimerIntervalDuration: "3.00:00:00",
      maximumShortTimerDuration: MAXIMUM_SHORT_TIMER,
      defaultHttpAsyncRequestSleepTimeMillseconds: 30_000,
    };
    try {
      const state = jsonRoundTrip(
        (await fn.handler(payload, createInvocationContext(fn, this.log))) as OrchestratorState,
      );
      if (!Array.isArray(state?.actions)) {
        return { error: "the orchestrator handler returned no orchestration state (is it registered with df.app?)" };
      }
      return { state };
    } catch (err) {
      const message = errorMessage(err);
      const at = message.lastIndexOf(OUT_OF_PROC_MARKER);
      if (at < 0) return { error: message };
      // The SDK passes a flag, not the error, as the message prefix; the state's `error` holds the real message.
      const state = JSON.parse(message.slice(at + OUT_OF_PROC_MARKER.length)) as OrchestratorState;
      return { state, error: state.error ?? message.slice(0, at) };
    }
  }

  /** Replayed actions must be the ones recorded the first time (same kind and name, same order). */
  private checkReplay(doc: InstanceDocument, flat: readonly WireAction[]): void {
    doc.actions.forEach((known, i) => {
      const replayed = flat[i];
      const now = replayed && { actionType: replayed.actionType, name: actionName(replayed) };
      if (!now || now.actionType !== known.actionType || now.name !== known.name) {
        throw new OrchestrationFailure(
          `Non-deterministic orchestration "${doc.name}" (instance "${doc.instanceId}"): step ${i + 1} of its ` +
            `history is ${describe(known)}, but the replay ${now ? `scheduled ${describe(now)}` : "did not schedule it"}. ` +
            "Orchestrator code must make the same calls in the same order on every replay.",
        );
      }
    });
  }

  /** The call with retry options an event is about (a failed attempt, or the timer before its next attempt). */
  private retryOf(doc: InstanceDocument, event: HistoryEvent) {
    const failed =
      event.EventType === EventType.TaskFailed || event.EventType === EventType.SubOrchestrationInstanceFailed;
    const key = failed ? event.TaskScheduledId : event.EventType === EventType.TimerFired ? event.TimerId : undefined;
    const role = typeof key === "number" ? doc.ids[String(key)] : undefined;
    const action = role && doc.actions[role.action];
    const retry = action?.retry;
    if (!role || !action || !retry) return undefined;
    if (failed ? role.role !== "attempt" : role.role !== "retryTimer") return undefined;
    return { role, action, retry, failed };
  }

  /** The SDK's retry rules: after a failed attempt it waits on a timer (next id), then re-attempts (next id). */
  private followRetry(
    doc: InstanceDocument,
    event: HistoryEvent,
    now: Date,
    appended: HistoryEvent[],
    work: PendingWork[],
  ) {
    const found = this.retryOf(doc, event);
    if (!found) return;
    const { role, action, retry, failed } = found;
    if (failed) {
      retry.failures++;
      const deadline = retry.options.retryTimeoutInMilliseconds;
      if (deadline !== undefined && now.getTime() >= Date.parse(retry.firstAttemptAt) + deadline) {
        throw new OrchestrationFailure(
          `${describe(action)} exceeded its retry timeout of ${deadline} ms after ${retry.failures} attempt(s)`,
        );
      }
      const fireAt = new Date(now.getTime() + retryDelayMs(retry.options, retry.failures));
      this.scheduleTimer(doc, role.action, "retryTimer", fireAt, now, appended, work);
    } else if (retry.failures < retry.options.maxNumberOfAttempts) {
      this.scheduleAttempt(doc, role.action, action, retry.input, retry.instanceId, now, appended, work);
    }
  }

  private scheduleNew(
    doc: InstanceDocument,
    flat: readonly WireAction[],
    now: Date,
    appended: HistoryEvent[],
    work: PendingWork[],
  ) {
    for (const action of flat.slice(doc.actions.length)) {
      const index = doc.actions.length;
      const tracked: TrackedAction = { actionType: action.actionType, name: actionName(action), id: null };
      switch (action.actionType) {
        case ActionType.CallActivity:
        case ActionType.CallActivityWithRetry:
        case ActionType.CallSubOrchestrator:
        case ActionType.CallSubOrchestratorWithRetry: {
          const isActivity = action.actionType <= ActionType.CallActivityWithRetry;
          this.requireFunction(tracked.name, isActivity ? "activityTrigger" : "orchestrationTrigger");
          const input = isActivity ? decodeProcessedInput(action.input) : action.input;
          if (action.retryOptions) {
            tracked.retry = {
              options: action.retryOptions,
              failures: 0,
              firstAttemptAt: now.toISOString(),
              input,
              ...(action.instanceId ? { instanceId: action.instanceId } : {}),
            };
          }
          doc.actions.push(tracked);
          tracked.id = this.scheduleAttempt(doc, index, tracked, input, action.instanceId, now, appended, work);
          break;
        }
        case ActionType.CreateTimer: {
          doc.actions.push(tracked);
          const fireAt = new Date(action.fireAt ?? now.toISOString());
          tracked.id = this.scheduleTimer(doc, index, "timer", fireAt, now, appended, work);
          break;
        }
        case ActionType.WaitForExternalEvent:
          doc.actions.push(tracked);
          break;
        default:
          throw new OrchestrationFailure(
            `${actionTypeName(action.actionType)} is not supported by the local durable driver (entities and ` +
              "durable HTTP calls are not modelled)",
          );
      }
    }
  }

  private requireFunction(name: string, triggerType: string): void {
    const fn = getRegistry().find(name);
    if (!fn || fn.triggerType !== triggerType) {
      const kind = triggerType === "activityTrigger" ? "activity" : "orchestration";
      throw new OrchestrationFailure(`no ${kind} named "${name}" is registered`);
    }
  }

  /** Schedules one attempt of an activity or sub-orchestration under the next sequence id. */
  private scheduleAttempt(
    doc: InstanceDocument,
    index: number,
    action: TrackedAction,
    input: unknown,
    explicitInstanceId: string | undefined,
    now: Date,
    appended: HistoryEvent[],
    work: PendingWork[],
  ): number {
    const id = doc.nextEventId++;
    doc.ids[String(id)] = { action: index, role: "attempt" };
    const serialized = input === undefined ? null : JSON.stringify(input);
    if (action.actionType <= ActionType.CallActivityWithRetry) {
      appended.push(historyEvent(EventType.TaskScheduled, now, { Name: action.name, Input: serialized }, id));
      work.push({ kind: "activity", id, name: action.name, input });
    } else {
      const instanceId = explicitInstanceId ?? `${doc.instanceId}:${id}`;
      appended.push(
        historyEvent(
          EventType.SubOrchestrationInstanceCreated,
          now,
          { Name: action.name, InstanceId: instanceId, Input: serialized },
          id,
        ),
      );
      work.push({ kind: "subOrchestration", id, name: action.name, instanceId, input });
    }
    return id;
  }

  private scheduleTimer(
    doc: InstanceDocument,
    index: number,
    role: "timer" | "retryTimer",
    fireAt: Date,
    now: Date,
    appended: HistoryEvent[],
    work: PendingWork[],
  ): number {
    const id = doc.nextEventId++;
    doc.ids[String(id)] = { action: index, role };
    appended.push(historyEvent(EventType.TimerCreated, now, { FireAt: fireAt.toISOString() }, id));
    work.push({ kind: "timer", id, fireAt: fireAt.toISOString() });
    return id;
  }

  /** Timers the orchestrator cancelled (timer.cancel() after a WhenAny) never fire. */
  private cancelTimers(doc: InstanceDocument, flat: readonly WireAction[]): void {
    flat.forEach((action, i) => {
      const id = doc.actions[i]?.id;
      if (action.actionType !== ActionType.CreateTimer || !action.isCanceled || id == null) return;
      doc.pending = doc.pending.filter((w) => !(w.kind === "timer" && w.id === id));
      const key = timerKey(doc.instanceId, doc.executionId, id);
      clearTimeout(this.timers.get(key)?.handle);
      this.timers.delete(key);
    });
  }

  private async continueAsNew(doc: InstanceDocument, input: unknown): Promise<void> {
    this.disarmTimers(doc.instanceId);
    const fresh = this.newInstance(doc.instanceId, doc.name, input, doc.parent);
    Object.assign(doc, {
      ...fresh,
      createdTime: doc.createdTime,
      customStatus: doc.customStatus,
      runtimeStatus: "ContinuedAsNew" satisfies RuntimeStatus,
    });
    await this.save(doc);
  }

  /** Ends the instance, tells its parent orchestration and anyone waiting for it. */
  private async complete(doc: InstanceDocument, status: "Completed" | "Failed" | "Terminated", output: unknown) {
    if (status !== "Terminated") {
      doc.history.push(
        historyEvent(EventType.ExecutionCompleted, this.clock.now(), {
          OrchestrationStatus: status,
          Result: JSON.stringify(output ?? null),
        }),
      );
    }
    doc.runtimeStatus = status;
    doc.output = output;
    doc.inbox = [];
    doc.pending = [];
    this.disarmTimers(doc.instanceId);
    await this.save(doc);
    if (doc.parent) this.notifyParent(doc);
    this.finished.emit(`done:${doc.instanceId}`, toStatus(doc, {}));
  }

  private notifyParent(child: InstanceDocument): void {
    const parent = child.parent;
    if (!parent) return;
    const now = this.clock.now();
    const event =
      child.runtimeStatus === "Completed"
        ? historyEvent(EventType.SubOrchestrationInstanceCompleted, now, {
            TaskScheduledId: parent.taskId,
            Result: JSON.stringify(child.output ?? null),
          })
        : historyEvent(EventType.SubOrchestrationInstanceFailed, now, {
            TaskScheduledId: parent.taskId,
            Reason: String(child.output),
            Details: child.runtimeStatus,
            FailureDetails: {
              ErrorType: child.runtimeStatus === "Terminated" ? "TerminatedError" : "OrchestrationFailedError",
              ErrorMessage: `Sub-orchestration "${child.name}" (instance "${child.instanceId}") ${child.runtimeStatus.toLowerCase()}: ${String(child.output)}`,
              IsNonRetriable: false,
            } satisfies FailureDetails,
          });
    this.deliver(parent.instanceId, parent.executionId, parent.taskId, event);
  }

  // ---- work: activities, timers, sub-orchestrations ------------------------------------------------------

  private dispatch(doc: InstanceDocument, work: PendingWork): void {
    const { instanceId, executionId } = doc;
    if (work.kind === "activity") this.runActivity(instanceId, executionId, work);
    else if (work.kind === "timer") this.armTimer(instanceId, executionId, work.id, new Date(work.fireAt));
    else this.startChild(doc, work);
  }

  private runActivity(instanceId: string, executionId: string, work: Extract<PendingWork, { kind: "activity" }>): void {
    this.busy++;
    const controller = new AbortController();
    const running = this.activities.get(instanceId) ?? new Set<AbortController>();
    this.activities.set(instanceId, running);
    running.add(controller);
    void (async () => {
      await this.slots.acquire();
      if (this.stopped || controller.signal.aborted) {
        this.slots.release();
        running.delete(controller);
        return;
      }
      let event: HistoryEvent;
      try {
        const fn = getRegistry().get(work.name, "activityTrigger");
        const context = createInvocationContext(fn, this.log);
        context.extraInputs.set(ABORT_SIGNAL_INPUT, controller.signal);
        // An activity may take the durable client as the extension gives it any function (df.input.durableClient()).
        for (const input of fn.extraInputs)
          if (this.clientBinding && (input.type === "durableClient" || input.type === "orchestrationClient"))
            context.extraInputs.set(input.name, this.clientBinding);
        const result = await fn.handler(jsonRoundTrip(work.input), context);
        event = historyEvent(EventType.TaskCompleted, this.clock.now(), {
          TaskScheduledId: work.id,
          Result: JSON.stringify(result ?? null),
        });
      } catch (err) {
        const details = failureDetails(err);
        event = historyEvent(EventType.TaskFailed, this.clock.now(), {
          TaskScheduledId: work.id,
          Reason: `Activity function '${work.name}' failed: ${details.ErrorMessage}`,
          Details: details.ErrorType,
          FailureDetails: details,
        });
      } finally {
        this.slots.release();
        running.delete(controller);
      }
      this.deliver(instanceId, executionId, work.id, event);
    })().finally(() => {
      this.busy--;
      this.queueIdleCheck();
    });
  }

  private armTimer(instanceId: string, executionId: string, id: number, fireAt: Date): void {
    const key = timerKey(instanceId, executionId, id);
    const timer: ArmedTimer = {
      fireAt: fireAt.getTime(),
      fire: () => {
        this.timers.delete(key);
        const event = historyEvent(EventType.TimerFired, this.clock.now(), {
          TimerId: id,
          FireAt: fireAt.toISOString(),
        });
        this.deliver(instanceId, executionId, id, event);
      },
    };
    this.timers.set(key, timer);
    if (this.clock.kind === "virtual") {
      this.queueIdleCheck();
      return;
    }
    const wait = () => {
      const delay = this.clock.wallDelayUntil(fireAt);
      if (delay <= 0) timer.fire();
      // setTimeout caps at ~24.8 days; longer waits re-arm.
      else timer.handle = setTimeout(wait, Math.min(delay + 1, 2 ** 31 - 1));
    };
    wait();
  }

  private disarmTimers(instanceId: string): void {
    for (const [key, timer] of this.timers) {
      if (key.startsWith(`${instanceId}\n`)) {
        clearTimeout(timer.handle);
        this.timers.delete(key);
      }
    }
  }

  /** Virtual clock: when nothing can run any more, jump to the earliest timer and fire it. */
  private queueIdleCheck(): void {
    if (this.clock.kind !== "virtual" || this.idleCheckQueued || this.stopped) return;
    this.idleCheckQueued = true;
    setImmediate(() => {
      this.idleCheckQueued = false;
      if (this.busy > 0 || this.stopped) return;
      let next: ArmedTimer | undefined;
      for (const timer of this.timers.values()) if (!next || timer.fireAt < next.fireAt) next = timer;
      if (!next) return;
      this.clock.advanceTo(new Date(next.fireAt));
      next.fire();
    });
  }

  private startChild(parent: InstanceDocument, work: Extract<PendingWork, { kind: "subOrchestration" }>): void {
    const link = { instanceId: parent.instanceId, executionId: parent.executionId, taskId: work.id };
    this.background(work.instanceId, async () => {
      const existing = await this.document(work.instanceId);
      const ours =
        existing?.parent?.instanceId === link.instanceId &&
        existing.parent.executionId === link.executionId &&
        existing.parent.taskId === link.taskId;
      if (existing && ours) {
        // Resuming after a restart: the child already exists; it reports when it ends (or has ended).
        if (!isActive(existing)) this.notifyParent(existing);
        return;
      }
      if (existing && isActive(existing)) {
        const failed = historyEvent(EventType.SubOrchestrationInstanceFailed, this.clock.now(), {
          TaskScheduledId: work.id,
          Reason: `instance "${work.instanceId}" is already ${existing.runtimeStatus}`,
          Details: "conflict",
        });
        this.deliver(link.instanceId, link.executionId, work.id, failed);
        return;
      }
      const child = this.newInstance(work.instanceId, work.name, work.input, link);
      await this.save(child);
      await this.drain(child);
    });
  }
}

function timerKey(instanceId: string, executionId: string, id: number): string {
  return `${instanceId}\n${executionId}\n${id}`;
}

/** E.g. `Running, waiting on activity "step" (task 3), undelivered: TaskCompleted`. */
export function describeProgress(doc: InstanceDocument): string {
  const work = doc.pending.map((w) =>
    w.kind === "timer"
      ? `timer (task ${w.id}) due ${w.fireAt}`
      : `${w.kind === "activity" ? "activity" : "sub-orchestration"} "${w.name}" (task ${w.id})`,
  );
  const inbox = doc.inbox.map((e) => eventTypeName(e.EventType));
  return (
    `${doc.runtimeStatus}, waiting on ${work.length > 0 ? work.join(", ") : "no work"}` +
    `, ${inbox.length > 0 ? `undelivered: ${inbox.join(", ")}` : "nothing undelivered"}`
  );
}

function toStatus(doc: InstanceDocument, options: StatusOptions): InstanceStatus {
  return {
    name: doc.name,
    instanceId: doc.instanceId,
    runtimeStatus: doc.runtimeStatus,
    input: options.showInput === false ? null : (doc.input ?? null),
    output: doc.output ?? null,
    customStatus: doc.customStatus ?? null,
    createdTime: doc.createdTime,
    lastUpdatedTime: doc.lastUpdatedTime,
    ...(options.showHistory
      ? { history: doc.history.map((e) => ({ ...e, EventType: eventTypeName(e.EventType) })) }
      : {}),
  };
}
