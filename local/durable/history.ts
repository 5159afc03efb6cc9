// The Durable wire contract as durable-functions 3.x reads it (see the design note durable-offline.md):
// PascalCase history events with numeric EventType, and the OrchestratorState the SDK returns.

export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
} as const;

export type EventTypeCode = (typeof EventType)[keyof typeof EventType];

const eventTypeNames = new Map<number, string>(Object.entries(EventType).map(([name, code]) => [code, name]));

export function eventTypeName(code: number): string {
  return eventTypeNames.get(code) ?? `EventType${code}`;
}

/** A history event: the common fields plus the type-specific PascalCase fields (Name, Input, TaskScheduledId…). */
export interface HistoryEvent {
  EventType: EventTypeCode;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  [field: string]: unknown;
}

export function historyEvent(
  type: EventTypeCode,
  timestamp: Date,
  fields: Record<string, unknown> = {},
  eventId = -1,
): HistoryEvent {
  return { EventType: type, EventId: eventId, IsPlayed: false, Timestamp: timestamp.toISOString(), ...fields };
}

/** The failure payload TaskFailed / SubOrchestrationInstanceFailed carry (the SDK turns it into TaskFailedError). */
export interface FailureDetails {
  ErrorType: string;
  ErrorMessage: string;
  StackTrace?: string;
  IsNonRetriable: boolean;
  Properties?: Record<string, unknown>;
}

export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

const actionTypeNames = new Map<number, string>(Object.entries(ActionType).map(([name, code]) => [code, name]));

export function actionTypeName(code: number): string {
  return actionTypeNames.get(code) ?? `ActionType${code}`;
}

export interface WireRetryOptions {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

/** One action of the OrchestratorState, after a JSON round trip (the form the host receives). */
export interface WireAction {
  actionType: number;
  functionName?: string;
  input?: unknown;
  retryOptions?: WireRetryOptions;
  instanceId?: string;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  compoundActions?: WireAction[];
}

export interface OrchestratorState {
  isDone: boolean;
  actions: WireAction[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion: number;
}

/** The atomic actions in the order the SDK numbers them: compound actions (WhenAll/WhenAny) depth-first. */
export function flattenActions(actions: readonly WireAction[]): WireAction[] {
  const flat: WireAction[] = [];
  for (const action of actions) {
    if (action.actionType === ActionType.WhenAll || action.actionType === ActionType.WhenAny) {
      flat.push(...flattenActions(action.compoundActions ?? []));
    } else {
      flat.push(action);
    }
  }
  return flat;
}

/**
 * Activity and continue-as-new inputs pass through the SDK's `processInput`, which JSON-stringifies strings; the
 * worker JSON-parses string payloads again on the way in. Mirror that so handlers see the value that was passed.
 */
export function decodeProcessedInput(input: unknown): unknown {
  if (typeof input !== "string") return input;
  try {
    return JSON.parse(input) as unknown;
  } catch {
    return input;
  }
}
