import type { KnownSystemEventTypes } from "@azure/eventgrid";
import { z } from "zod";
import type { PlatformSpec, Severity } from "../spec";
import { alertEventDataSchema, CUSTOM_EVENT_TYPES } from "./monitor-alert";
import { compactUtc, formatIssues, isoOrUndefined, lowerKeys, stableHash } from "./normalize";
import { baseResourceId, ClusterResolver } from "./resources";
import type {
  AvailabilityChangeEvent,
  BackupFailureEvent,
  CertificateChange,
  CertificateEvent,
  ClusterLifecycleChange,
  ClusterLifecycleEvent,
  DomainEvent,
  DomainEventKind,
  EventEnvelope,
  IgnoredEvent,
  SpotEvictionEvent,
  SubscriptionValidationEvent,
} from "./types";

/** Default for Key Vault objects the platform owns: the ingress TLS material ESO pushes (ADD-5), e.g. `ingress-tls`. */
export const DEFAULT_TLS_OBJECT_PATTERN = /tls/i;
/**
 * Evictions of one cluster inside one fixed window share one recovery watch. 15 minutes covers Karpenter's ~5 minute
 * replacement plus the escalation wait, so one storm normally opens one watch per cluster.
 */
export const DEFAULT_EVICTION_WINDOW_MINUTES = 15;
export const SPOT_EVICTION_ANNOTATION = "VirtualMachinePreempted";

export interface ClassifierOptions {
  spec: PlatformSpec;
  /** Key Vault object names (certificates and secrets) that are platform TLS material; others are ignored. */
  tlsObjectPattern?: RegExp;
  evictionWindowMinutes?: number;
}

// Typed against the SDK's list of system events so a misspelt type name fails to compile.
const SUBSCRIPTION_VALIDATION = "Microsoft.EventGrid.SubscriptionValidationEvent" satisfies KnownSystemEventTypes;
const HEALTH_ANNOTATED =
  "Microsoft.ResourceNotifications.HealthResources.ResourceAnnotated" satisfies KnownSystemEventTypes;
const HEALTH_AVAILABILITY =
  "Microsoft.ResourceNotifications.HealthResources.AvailabilityStatusChanged" satisfies KnownSystemEventTypes;

const AKS_EVENTS: Record<string, { change: ClusterLifecycleChange; severity: Severity }> = {
  ["Microsoft.ContainerService.NewKubernetesVersionAvailable" satisfies KnownSystemEventTypes]: {
    change: "new-kubernetes-version-available",
    severity: "info",
  },
  ["Microsoft.ContainerService.ClusterSupportEnding" satisfies KnownSystemEventTypes]: {
    change: "support-ending",
    severity: "warning",
  },
  ["Microsoft.ContainerService.ClusterSupportEnded" satisfies KnownSystemEventTypes]: {
    change: "support-ended",
    severity: "critical",
  },
  ["Microsoft.ContainerService.NodePoolRollingStarted" satisfies KnownSystemEventTypes]: {
    change: "node-pool-rolling-started",
    severity: "info",
  },
  ["Microsoft.ContainerService.NodePoolRollingSucceeded" satisfies KnownSystemEventTypes]: {
    change: "node-pool-rolling-succeeded",
    severity: "info",
  },
  ["Microsoft.ContainerService.NodePoolRollingFailed" satisfies KnownSystemEventTypes]: {
    change: "node-pool-rolling-failed",
    severity: "warning",
  },
};
const AKS_BY_LOWER = new Map(Object.entries(AKS_EVENTS).map(([type, v]) => [type.toLowerCase(), v]));

const KEY_VAULT_TYPE = /^microsoft\.keyvault\.(certificate|secret|key)(newversioncreated|nearexpiry|expired)$/i;
const KEY_VAULT_CHANGE: Record<string, CertificateChange> = {
  newversioncreated: "new-version",
  nearexpiry: "near-expiry",
  expired: "expired",
};

const text = z
  .string()
  .nullish()
  .transform((v) => (v === null || v === undefined || v === "" ? undefined : v));

const healthDataSchema = z.object({
  resourceInfo: z.object({
    id: text,
    properties: z.object({
      targetResourceId: text,
      occurredTime: text,
      annotationName: text,
      reason: text,
      summary: text,
      context: text,
      category: text,
      previousAvailabilityState: text,
      availabilityState: text,
    }),
  }),
  operationalInfo: z.object({ resourceEventTime: text }).nullish(),
});

/** Epoch seconds as a number or numeric string (doc revisions differ). */
const epochSeconds = z
  .union([
    z.number(),
    z
      .string()
      .regex(/^\d+(\.\d+)?$/, "epoch seconds")
      .transform(Number),
  ])
  // Beyond this a JavaScript Date cannot represent the instant.
  .pipe(z.number().min(0).max(8.64e12, "epoch seconds within the representable date range"))
  .nullish()
  .transform((v) => (v === null || v === undefined ? undefined : new Date(v * 1000).toISOString()));

/** Key Vault event data with lower-cased keys (`Id`, `VaultName`, `NBF`, … arrive in varying case). */
const keyVaultDataSchema = z.object({
  id: text,
  vaultname: text,
  objecttype: text,
  objectname: text,
  version: text,
  nbf: epochSeconds,
  exp: epochSeconds,
});

const aksDataSchema = z
  .object({
    kubernetesVersion: text,
    nodePoolName: text,
    latestSupportedKubernetesVersion: text,
    latestStableKubernetesVersion: text,
  })
  // The AKS data is informational: a shape this app does not know still yields the lifecycle event.
  .catch({
    kubernetesVersion: undefined,
    nodePoolName: undefined,
    latestSupportedKubernetesVersion: undefined,
    latestStableKubernetesVersion: undefined,
  });

const validationDataSchema = z.object({ validationCode: z.string().min(1), validationUrl: text });

type Base = Pick<DomainEvent, "schema" | "eventId" | "eventType" | "subject" | "source" | "occurredAt">;

/** Classifies envelopes into domain events for one platform spec (lookups prepared once). */
export class EventClassifier {
  private readonly resolver: ClusterResolver;
  private readonly tlsPattern: RegExp;
  private readonly windowMs: number;

  constructor(private readonly options: ClassifierOptions) {
    this.resolver = new ClusterResolver(options.spec);
    // A global/sticky pattern would carry lastIndex from one call to the next: compare with a stateless copy.
    const pattern = options.tlsObjectPattern ?? DEFAULT_TLS_OBJECT_PATTERN;
    this.tlsPattern = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ""));
    const minutes = options.evictionWindowMinutes ?? DEFAULT_EVICTION_WINDOW_MINUTES;
    if (!(minutes > 0)) throw new RangeError(`evictionWindowMinutes must be positive, got ${minutes}`);
    this.windowMs = minutes * 60_000;
  }

  classify(envelope: EventEnvelope): DomainEvent {
    const base = baseOf(envelope);
    const type = envelope.type.toLowerCase();
    if (type === SUBSCRIPTION_VALIDATION.toLowerCase()) return this.validation(base, envelope.data);
    if (type === HEALTH_ANNOTATED.toLowerCase()) return this.annotated(base, envelope.data);
    if (type === HEALTH_AVAILABILITY.toLowerCase()) return this.availability(base, envelope.data);
    const keyVault = KEY_VAULT_TYPE.exec(envelope.type);
    if (keyVault) return this.keyVault(base, envelope.data, keyVault[1] ?? "", keyVault[2] ?? "");
    const aks = AKS_BY_LOWER.get(type);
    if (aks) return this.clusterLifecycle(base, envelope.data, aks.change, aks.severity);
    if (
      type === CUSTOM_EVENT_TYPES.backupJobFailed.toLowerCase() ||
      type === CUSTOM_EVENT_TYPES.backupJobFailureResolved.toLowerCase()
    ) {
      return this.backup(
        base,
        envelope.data,
        type === CUSTOM_EVENT_TYPES.backupJobFailed.toLowerCase() ? "fired" : "resolved",
      );
    }
    if (type === CUSTOM_EVENT_TYPES.monitorAlert.toLowerCase()) {
      const rule = alertEventDataSchema.safeParse(envelope.data).data?.alertRule ?? "(unnamed rule)";
      return ignored(base, `Azure Monitor alert '${rule}' is not a backup failure`);
    }
    return ignored(base, `event type ${envelope.type} is not one this app reacts to`);
  }

  private validation(base: Base, data: unknown): SubscriptionValidationEvent | IgnoredEvent {
    const parsed = validationDataSchema.safeParse(data);
    if (!parsed.success)
      return ignored(base, `subscription validation event without a usable code: ${formatIssues(parsed.error)}`);
    return {
      ...base,
      kind: "subscription-validation",
      validationCode: parsed.data.validationCode,
      ...(parsed.data.validationUrl !== undefined ? { validationUrl: parsed.data.validationUrl } : {}),
      severity: "info",
      dedupeKey: key("subscription-validation", [base.eventType, base.eventId]),
      reason: "Event Grid subscription validation handshake: answer with the validation code",
    };
  }

  /** Target VM: `targetResourceId`, else the base of `resourceInfo.id`, else of `subject` (doc revisions differ). */
  private healthTarget(base: Base, data: z.infer<typeof healthDataSchema>): string | undefined {
    const candidates = [data.resourceInfo.properties.targetResourceId, data.resourceInfo.id, base.subject];
    return candidates.filter((c): c is string => c !== undefined && c.startsWith("/")).map(baseResourceId)[0];
  }

  private annotated(base: Base, data: unknown): SpotEvictionEvent | IgnoredEvent {
    const parsed = healthDataSchema.safeParse(data);
    if (!parsed.success) return ignored(base, `Health Resources data not understood: ${formatIssues(parsed.error)}`);
    const props = parsed.data.resourceInfo.properties;
    const annotation = props.annotationName ?? "(none)";
    const target = this.healthTarget(base, parsed.data);
    if (annotation.toLowerCase() !== SPOT_EVICTION_ANNOTATION.toLowerCase()) {
      return ignored(base, `annotation ${annotation} is not a Spot eviction`, target);
    }
    if (target === undefined) return ignored(base, "Spot eviction without a target resource id");
    const node = this.resolver.locateNode(target);
    if (!node)
      return ignored(
        base,
        `evicted VM is not in a node resource group of environment ${this.options.spec.name}`,
        target,
      );
    const occurredAt =
      isoOrUndefined(props.occurredTime) ??
      isoOrUndefined(parsed.data.operationalInfo?.resourceEventTime) ??
      base.occurredAt;
    if (occurredAt === undefined)
      return ignored(base, "Spot eviction without any time; cannot place it in a watch window", target);
    const windowStartMs = Math.floor(Date.parse(occurredAt) / this.windowMs) * this.windowMs;
    return {
      ...base,
      kind: "spot-eviction",
      occurredAt,
      resourceId: target,
      cluster: node.cluster,
      ...(node.pool !== undefined ? { pool: node.pool } : {}),
      vmName: node.vmName,
      nodeKind: node.nodeKind,
      annotationName: annotation,
      windowStart: new Date(windowStartMs).toISOString(),
      watchKey: `eviction-${this.options.spec.name}-${node.cluster}-${compactUtc(windowStartMs)}`,
      severity: "warning",
      // The same VM preempted at the same moment is one happening, whatever the delivery or subscription.
      dedupeKey: key("spot-eviction", [target.toLowerCase(), occurredAt]),
      reason: `Spot VM ${node.vmName} of cluster ${node.cluster}${node.pool !== undefined ? ` (pool ${node.pool})` : ""} was preempted${props.reason !== undefined ? `: ${props.reason}` : ""}`,
    };
  }

  private availability(base: Base, data: unknown): AvailabilityChangeEvent | IgnoredEvent {
    const parsed = healthDataSchema.safeParse(data);
    if (!parsed.success) return ignored(base, `Health Resources data not understood: ${formatIssues(parsed.error)}`);
    const props = parsed.data.resourceInfo.properties;
    const target = this.healthTarget(base, parsed.data);
    const node = target !== undefined ? this.resolver.locateNode(target) : undefined;
    if (target === undefined || !node) {
      return ignored(
        base,
        `availability change of a VM outside the node resource groups of environment ${this.options.spec.name}`,
        target,
      );
    }
    const occurredAt = isoOrUndefined(props.occurredTime) ?? base.occurredAt;
    const states = `${props.previousAvailabilityState ?? "?"} → ${props.availabilityState ?? "?"}`;
    return {
      ...base,
      kind: "availability-change",
      ...(occurredAt !== undefined ? { occurredAt } : {}),
      resourceId: target,
      cluster: node.cluster,
      ...(node.pool !== undefined ? { pool: node.pool } : {}),
      vmName: node.vmName,
      ...(props.previousAvailabilityState !== undefined ? { previousState: props.previousAvailabilityState } : {}),
      ...(props.availabilityState !== undefined ? { state: props.availabilityState } : {}),
      severity: "info",
      dedupeKey: key("availability-change", [
        target.toLowerCase(),
        occurredAt ?? base.eventId,
        props.availabilityState,
      ]),
      reason: `VM ${node.vmName} of cluster ${node.cluster} availability ${states} (supporting evidence for evictions)`,
    };
  }

  private keyVault(base: Base, data: unknown, objectKind: string, changeName: string): CertificateEvent | IgnoredEvent {
    const parsed = keyVaultDataSchema.safeParse(lowerKeys(data) ?? data);
    if (!parsed.success) return ignored(base, `Key Vault event data not understood: ${formatIssues(parsed.error)}`);
    const d = parsed.data;
    const objectName = d.objectname ?? base.subject;
    const vaultName = d.vaultname ?? base.source.split("/").pop() ?? "";
    if (objectKind.toLowerCase() === "key")
      return ignored(base, `Key Vault key ${objectName}: keys are not TLS material the platform manages`);
    const ownVault = this.options.spec.shared.keyVault.name;
    if (vaultName.toLowerCase() !== ownVault.toLowerCase()) {
      return ignored(base, `Key Vault ${vaultName} is not the platform's vault (${ownVault})`);
    }
    if (!this.tlsPattern.test(objectName)) {
      return ignored(
        base,
        `Key Vault object ${objectName} is not platform TLS material (pattern ${String(this.tlsPattern)})`,
      );
    }
    const change = KEY_VAULT_CHANGE[changeName.toLowerCase()] ?? "new-version";
    const objectType = objectKind.toLowerCase() === "certificate" ? "Certificate" : "Secret";
    const severity: Severity = change === "expired" ? "critical" : change === "near-expiry" ? "warning" : "info";
    const what = { "new-version": "has a new version", "near-expiry": "expires soon", expired: "has expired" }[change];
    return {
      ...base,
      kind: "certificate",
      change,
      objectType,
      vaultName,
      objectName,
      ...(d.id !== undefined ? { resourceId: d.id } : {}),
      ...(d.version !== undefined ? { version: d.version } : {}),
      ...(d.nbf !== undefined ? { notBefore: d.nbf } : {}),
      ...(d.exp !== undefined ? { expiresAt: d.exp } : {}),
      severity,
      dedupeKey: key("certificate", [
        change,
        vaultName.toLowerCase(),
        objectName.toLowerCase(),
        d.version ?? base.eventId,
      ]),
      reason: `${objectType} ${objectName} in ${vaultName} ${what}${d.exp !== undefined ? ` (expires ${d.exp})` : ""}`,
    };
  }

  private clusterLifecycle(
    base: Base,
    data: unknown,
    change: ClusterLifecycleChange,
    severity: Severity,
  ): ClusterLifecycleEvent | IgnoredEvent {
    const cluster =
      this.resolver.clusterByManagedClusterId(base.source) ?? this.resolver.clusterByAksName(base.subject);
    if (!cluster)
      return ignored(
        base,
        `AKS cluster ${base.subject || base.source} is not part of environment ${this.options.spec.name}`,
      );
    const d = aksDataSchema.parse(data ?? {});
    const details = [
      d.kubernetesVersion !== undefined ? `version ${d.kubernetesVersion}` : undefined,
      d.nodePoolName !== undefined ? `node pool ${d.nodePoolName}` : undefined,
      d.latestStableKubernetesVersion !== undefined ? `latest stable ${d.latestStableKubernetesVersion}` : undefined,
    ].filter((s) => s !== undefined);
    return {
      ...base,
      kind: "cluster-lifecycle",
      change,
      cluster: cluster.name,
      ...(base.source.startsWith("/") ? { resourceId: base.source } : {}),
      ...(d.nodePoolName !== undefined ? { pool: d.nodePoolName, nodePoolName: d.nodePoolName } : {}),
      ...(d.kubernetesVersion !== undefined ? { kubernetesVersion: d.kubernetesVersion } : {}),
      ...(d.latestSupportedKubernetesVersion !== undefined
        ? { latestSupportedKubernetesVersion: d.latestSupportedKubernetesVersion }
        : {}),
      ...(d.latestStableKubernetesVersion !== undefined
        ? { latestStableKubernetesVersion: d.latestStableKubernetesVersion }
        : {}),
      severity,
      dedupeKey: key("cluster-lifecycle", [base.eventType.toLowerCase(), base.eventId]),
      reason: `cluster ${cluster.name}: ${change.replace(/-/g, " ")}${details.length > 0 ? ` (${details.join(", ")})` : ""}`,
    };
  }

  private backup(base: Base, data: unknown, condition: "fired" | "resolved"): BackupFailureEvent | IgnoredEvent {
    const parsed = alertEventDataSchema.safeParse(data);
    if (!parsed.success)
      return ignored(base, `backup failure event data not understood: ${formatIssues(parsed.error)}`);
    const d = parsed.data;
    const mentions = [...d.targetResourceIds, d.datasourceId, d.backupInstance, base.subject].filter(
      (s): s is string => s !== undefined,
    );
    const cluster = this.resolver.clusterMentionedIn(mentions);
    const resourceId = d.targetResourceIds[0] ?? d.datasourceId;
    const severity: Severity =
      condition === "resolved" ? "info" : /^sev[01]$/i.test(d.alertSeverity ?? "") ? "critical" : "warning";
    const subjectName = d.backupInstance ?? (cluster ? `cluster ${cluster.name}` : (d.alertRule ?? "backup"));
    return {
      ...base,
      kind: "backup-failure",
      condition,
      origin: base.schema === "MonitorAlert" ? "monitor-alert" : "custom-topic",
      ...(d.firedAt !== undefined && condition === "fired" ? { occurredAt: d.firedAt } : {}),
      ...(d.resolvedAt !== undefined && condition === "resolved" ? { occurredAt: d.resolvedAt } : {}),
      ...(resourceId !== undefined ? { resourceId } : {}),
      ...(cluster ? { cluster: cluster.name } : {}),
      ...(d.alertId !== undefined ? { alertId: d.alertId } : {}),
      ...(d.alertRule !== undefined ? { alertRule: d.alertRule } : {}),
      ...(d.backupInstance !== undefined ? { backupInstance: d.backupInstance } : {}),
      ...(d.jobId !== undefined ? { jobId: d.jobId } : {}),
      ...(d.errorCode !== undefined ? { errorCode: d.errorCode } : {}),
      ...(d.errorMessage !== undefined ? { errorMessage: d.errorMessage } : {}),
      severity,
      // An alert fires and resolves once per alert id; a check-reported job failure is one per job.
      dedupeKey: key("backup-failure", [condition, (d.alertId ?? d.jobId ?? base.eventId).toLowerCase()]),
      reason:
        condition === "fired"
          ? `backup job failed for ${subjectName}${d.errorCode !== undefined ? ` (${d.errorCode})` : ""}`
          : `backup failure alert resolved for ${subjectName}`,
    };
  }
}

function key(kind: DomainEventKind, parts: readonly (string | undefined)[]): string {
  return `${kind}-${stableHash(parts)}`;
}

function ignored(base: Base, reason: string, resourceId?: string): IgnoredEvent {
  return {
    ...base,
    kind: "ignored",
    ...(resourceId !== undefined ? { resourceId } : {}),
    severity: "info",
    dedupeKey: key("ignored", [base.eventType.toLowerCase(), base.eventId]),
    reason,
  };
}

/**
 * Classifies across every environment of the registry: an event belongs to the environment whose spec claims its
 * resource (node resource group, cluster, vault, backup instance), and carries that environment's name. Environments
 * are asked in order and the first that does not ignore the event wins; an event no environment claims is ignored
 * with the reason of each.
 */
export class EnvironmentsClassifier {
  private readonly classifiers: { name: string; classifier: EventClassifier }[];

  constructor(specs: readonly PlatformSpec[], options: Omit<ClassifierOptions, "spec"> = {}) {
    this.classifiers = specs.map((spec) => ({
      name: spec.name,
      classifier: new EventClassifier({ ...options, spec }),
    }));
  }

  classify(envelope: EventEnvelope): DomainEvent {
    const ignoredBy: { name: string; event: DomainEvent }[] = [];
    for (const { name, classifier } of this.classifiers) {
      const event = classifier.classify(envelope);
      if (event.kind === "subscription-validation") return event;
      if (event.kind !== "ignored") return { ...event, environment: name };
      ignoredBy.push({ name, event });
    }
    const [first] = ignoredBy;
    if (!first) return ignored(baseOf(envelope), "no environment is registered");
    if (new Set(ignoredBy.map((i) => i.event.reason)).size === 1) return first.event;
    return { ...first.event, reason: ignoredBy.map((i) => `${i.name}: ${i.event.reason}`).join("; ") };
  }
}

function baseOf(envelope: EventEnvelope): Base {
  return {
    schema: envelope.schema,
    eventId: envelope.id,
    eventType: envelope.type,
    subject: envelope.subject,
    source: envelope.source,
    ...(envelope.time !== undefined ? { occurredAt: envelope.time } : {}),
  };
}
