import type { Severity } from "../spec";

/** How an event arrived: Event Grid schema, CloudEvents 1.0, or an Azure Monitor common-alert webhook body. */
export type EnvelopeSchema = "EventGrid" | "CloudEvents" | "MonitorAlert";

/** One delivered event, schema differences removed (keys and values trimmed, times as ISO text). */
export interface EventEnvelope {
  schema: EnvelopeSchema;
  id: string;
  type: string;
  subject: string;
  /** Event Grid `topic` or CloudEvents `source`. */
  source: string;
  /** Event time (ISO-8601) when the envelope carried a valid one. */
  time?: string;
  data: unknown;
}

export type DomainEventKind =
  | "spot-eviction"
  | "availability-change"
  | "certificate"
  | "backup-failure"
  | "cluster-lifecycle"
  | "subscription-validation"
  | "ignored";

interface DomainEventBase {
  kind: DomainEventKind;
  schema: EnvelopeSchema;
  eventId: string;
  eventType: string;
  subject: string;
  source: string;
  /** When it happened (ISO-8601): the payload's own time where it has one, else the envelope's. */
  occurredAt?: string;
  /** The Azure resource the event is about (VM, vault object, cluster, backup target). */
  resourceId?: string;
  /** The environment whose resource this is, set when classified across every environment of the registry. */
  environment?: string;
  /** Spec cluster name (`mgmt`, `app1`, …) when the resource maps to one. */
  cluster?: string;
  pool?: string;
  severity: Severity;
  /**
   * Same value for every delivery of the same happening (Event Grid delivers at least once), safe as a Durable
   * instance id or table key: `<kind>-<24 hex>`.
   */
  dedupeKey: string;
  /** One sentence for people: what this is and why it was classified so. */
  reason: string;
}

/** A Spot VM of the platform was preempted (Health Resources `ResourceAnnotated` / `VirtualMachinePreempted`). */
export interface SpotEvictionEvent extends DomainEventBase {
  kind: "spot-eviction";
  cluster: string;
  resourceId: string;
  vmName: string;
  nodeKind: "vmss-instance" | "vmss" | "vm";
  annotationName: string;
  occurredAt: string;
  /** Start (ISO) of the fixed eviction window this event falls into. */
  windowStart: string;
  /** Instance id of the recovery watch shared by all evictions of one cluster in one window. */
  watchKey: string;
}

/** Supporting evidence for evictions: a platform VM's availability state changed. */
export interface AvailabilityChangeEvent extends DomainEventBase {
  kind: "availability-change";
  cluster: string;
  resourceId: string;
  vmName: string;
  previousState?: string;
  state?: string;
}

export type CertificateChange = "new-version" | "near-expiry" | "expired";

/** A TLS object of the platform in its Key Vault changed version or is about to expire / expired. */
export interface CertificateEvent extends DomainEventBase {
  kind: "certificate";
  change: CertificateChange;
  objectType: "Certificate" | "Secret";
  vaultName: string;
  objectName: string;
  version?: string;
  /** NBF and EXP of the version, ISO-8601. */
  notBefore?: string;
  expiresAt?: string;
}

export interface BackupFailureEvent extends DomainEventBase {
  kind: "backup-failure";
  condition: "fired" | "resolved";
  /** Where the signal came from: the Monitor alert webhook directly, or the app's custom topic. */
  origin: "monitor-alert" | "custom-topic";
  alertId?: string;
  alertRule?: string;
  backupInstance?: string;
  jobId?: string;
  errorCode?: string;
  errorMessage?: string;
}

export type ClusterLifecycleChange =
  | "new-kubernetes-version-available"
  | "support-ending"
  | "support-ended"
  | "node-pool-rolling-started"
  | "node-pool-rolling-succeeded"
  | "node-pool-rolling-failed";

export interface ClusterLifecycleEvent extends DomainEventBase {
  kind: "cluster-lifecycle";
  change: ClusterLifecycleChange;
  kubernetesVersion?: string;
  nodePoolName?: string;
  latestSupportedKubernetesVersion?: string;
  latestStableKubernetesVersion?: string;
}

export interface SubscriptionValidationEvent extends DomainEventBase {
  kind: "subscription-validation";
  validationCode: string;
  validationUrl?: string;
}

export interface IgnoredEvent extends DomainEventBase {
  kind: "ignored";
}

export type DomainEvent =
  | SpotEvictionEvent
  | AvailabilityChangeEvent
  | CertificateEvent
  | BackupFailureEvent
  | ClusterLifecycleEvent
  | SubscriptionValidationEvent
  | IgnoredEvent;
