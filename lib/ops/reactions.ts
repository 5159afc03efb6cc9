import { X509Certificate } from "node:crypto";
import type {
  BackupFailureEvent,
  CertificateEvent,
  ClusterLifecycleEvent,
  DomainEvent,
  SpotEvictionEvent,
} from "../events";
import { compactUtc, parseResourceId, stableHash } from "../events";
import { Orchestrations, type OrchestrationName } from "../function-names";
import { backupInstanceName } from "../plan/units";
import type { ClusterSpec, PlatformSpec } from "../spec";
import { UNSET_SUBSCRIPTION_ID } from "../spec";
import type { EvictionPolicy } from "./eviction";
import { DEFAULT_EVICTION_POLICY } from "./eviction";
import type {
  BackupReactionInput,
  CertificateReactionInput,
  ClusterTarget,
  EvictionRecord,
  EvictionWatchInput,
  LifecycleNoticeInput,
} from "./reaction-inputs";

export * from "./reaction-inputs";

/**
 * What the app does for each classified event (OPS-2/3/4, cluster lifecycle): which orchestration, under which
 * instance id, with which input. Instance ids are the deduplication: Event Grid delivers at least once, and the
 * same happening always maps to the same id, so a repeated delivery finds the instance and starts nothing.
 */

/** External event through which later evictions join a running watch. */
export const EVICTION_EVENT = "eviction";
/** Karpenter NodePool the Spot workloads use (templates/gitops). */
export const SPOT_NODE_POOL = "spot";
/** cert-manager Certificate of the ingress host, and where it lives (templates/gitops/base/ingress-certificate). */
export const INGRESS_CERTIFICATE = { name: "ingress-tls", namespace: "external-secrets" } as const;
/**
 * The kubectl command that asks cert-manager to re-issue a Certificate now: the status update `cmctl renew` makes
 * (cert-manager/cmctl pkg/renew/renew.go sets condition Issuing=True, reason ManuallyTriggered, and calls
 * UpdateStatus), made with kubectl because the run-command image has kubectl and helm only (azure-notes.md).
 * A merge patch replaces the conditions list; cert-manager's readiness controller recomputes Ready on the change.
 */
export function renewCertificateCommand(cert: { name: string; namespace: string }, at: Date): string {
  const patch = {
    status: {
      conditions: [
        {
          type: "Issuing",
          status: "True",
          reason: "ManuallyTriggered",
          message: "Certificate re-issuance manually triggered",
          lastTransitionTime: at.toISOString().replace(/\.\d{3}Z$/, "Z"),
        },
      ],
    },
  };
  return `kubectl patch certificate ${cert.name} -n ${cert.namespace} --subresource=status --type=merge -p '${JSON.stringify(patch)}'`;
}
/** The ingress gateway Deployment (name carries the Istio revision) and the Secret it mounts from Key Vault. */
export const INGRESS_GATEWAY = {
  namespace: "aks-istio-ingress",
  deploymentPrefix: "aks-istio-ingressgateway-external",
  secret: "ingress-gateway-tls",
} as const;
/** Key Vault secret that carries the certificate chain pushed by ESO (templates/gitops push-secret.yaml). */
export const TLS_CERT_SECRET = "ingress-tls-crt";
/** The backup policy rule an ad-hoc backup runs (lib/plan/units). */
export const BACKUP_RULE_NAME = "BackupDaily";
export const NEAR_EXPIRY_DAYS = 30;

export interface EvictionWatchResult {
  watchKey: string;
  cluster: string;
  outcome: "recovered" | "escalate";
  evictions: number;
  /** Dedupe keys of every eviction counted, so a late duplicate of a finished watch is recognised. */
  dedupeKeys: string[];
  reason: string;
  noSpotCapacity: boolean;
  waitedMinutes: number;
  checks: number;
}

/** `NewKubernetesVersionAvailable` / `ClusterSupportEnding` propose an upgrade run (issue 20). */
export interface UpgradeProposalInput {
  spec: PlatformSpec;
  cluster: string;
  reason: string;
  target: { kubernetesVersion: string };
}

/**
 * One proposal per environment and announced minor: the instance id holds no event id, so duplicates and the same
 * announcement for each cluster start nothing more.
 */
function upgradeProposalFor(event: ClusterLifecycleEvent, spec: PlatformSpec): Reaction | undefined {
  if (event.change !== "new-kubernetes-version-available" && event.change !== "support-ending") return undefined;
  const version =
    event.latestStableKubernetesVersion ?? event.latestSupportedKubernetesVersion ?? event.kubernetesVersion;
  if (version === undefined || !/^\d+\.\d+/.test(version)) return undefined;
  const minor = version.split(".").slice(0, 2).join(".");
  const input: UpgradeProposalInput = {
    spec,
    cluster: event.cluster ?? "unknown",
    reason: event.reason,
    target: { kubernetesVersion: minor },
  };
  return {
    type: "start",
    orchestration: Orchestrations.upgradeProposal,
    instanceId: `upgrade-proposal:${spec.name}:${minor}`,
    input,
  };
}

export type Reaction =
  | { type: "eviction-watch"; instanceId: string; input: EvictionWatchInput }
  | { type: "start"; orchestration: OrchestrationName; instanceId: string; input: unknown }
  | { type: "none"; reason: string };

export interface ReactionOptions {
  spec: PlatformSpec;
  /** Minutes a watch collects evictions before its first check (default: the policy's expected recovery). */
  collectMinutes?: number;
  policy?: EvictionPolicy;
  /** Subscription for events that name none (the daily scan) when the spec has none either (sandbox spec). */
  defaultSubscriptionId?: string;
}

/** The reaction to one classified event. Pure: the same event always yields the same instance id and input. */
export function reactionFor(event: DomainEvent, options: ReactionOptions): Reaction {
  const { spec } = options;
  switch (event.kind) {
    case "spot-eviction":
      return evictionReaction(event, options);
    case "certificate": {
      const clusters = spec.clusters
        .filter((c) => c.addons.istioIngressGateway)
        .map((c) => target(c, subscriptionFor(options, event.source)));
      const input: CertificateReactionInput = {
        environment: spec.name,
        event,
        clusters,
        ...(spec.istio.revision !== undefined ? { istioRevision: spec.istio.revision } : {}),
        ingressHost: spec.gitops.ingressHost,
        notifications: spec.notifications,
      };
      return { type: "start", orchestration: Orchestrations.certificateReaction, instanceId: event.dedupeKey, input };
    }
    case "backup-failure":
      return backupReaction(event, options);
    case "cluster-lifecycle": {
      const proposal = upgradeProposalFor(event, spec);
      if (proposal) return proposal;
      const input: LifecycleNoticeInput = { environment: spec.name, event, notifications: spec.notifications };
      return { type: "start", orchestration: Orchestrations.lifecycleNotice, instanceId: event.dedupeKey, input };
    }
    case "availability-change":
      return { type: "none", reason: `supporting evidence only: ${event.reason}` };
    case "subscription-validation":
      return { type: "none", reason: "subscription validation is answered by the webhook handshake" };
    case "ignored":
      return { type: "none", reason: event.reason };
  }
}

function evictionReaction(event: SpotEvictionEvent, options: ReactionOptions): Reaction {
  const cluster = options.spec.clusters.find((c) => c.name === event.cluster);
  if (!cluster) return { type: "none", reason: `cluster ${event.cluster} is not in the spec` };
  const policy = options.policy ?? { ...DEFAULT_EVICTION_POLICY, spotZones: cluster.pools.spot.zones };
  const input: EvictionWatchInput = {
    ...target(cluster, subscriptionFor(options, event.resourceId)),
    environment: options.spec.name,
    watchKey: event.watchKey,
    windowStart: event.windowStart,
    first: evictionRecord(event),
    spotPool: SPOT_NODE_POOL,
    collectMinutes: options.collectMinutes ?? policy.expectedRecoveryMinutes,
    policy,
    notifications: options.spec.notifications,
  };
  return { type: "eviction-watch", instanceId: event.watchKey, input };
}

function backupReaction(event: BackupFailureEvent, options: ReactionOptions): Reaction {
  const { spec } = options;
  if (event.condition === "resolved") return { type: "none", reason: event.reason };
  const cluster = spec.clusters.find((c) => c.name === event.cluster);
  if (!cluster)
    return { type: "none", reason: `backup failure not mapped to a cluster of ${spec.name}: ${event.reason}` };
  const instance = backupInstanceName(cluster);
  const at = Date.parse(event.occurredAt ?? "");
  if (!Number.isFinite(at)) return { type: "none", reason: `backup failure for ${cluster.name} without a valid time` };
  const day = compactUtc(at).slice(0, 8);
  const input: BackupReactionInput = {
    ...target(cluster, subscriptionFor(options, event.resourceId ?? event.subject)),
    environment: spec.name,
    event,
    vault: { resourceGroup: spec.commonResourceGroup, vault: spec.shared.backupVault.name },
    backupInstance: instance,
    notifications: spec.notifications,
  };
  // One reaction (and so at most one ad-hoc retry) per backup instance and UTC day, whatever the number of alerts.
  return {
    type: "start",
    orchestration: Orchestrations.backupFailureReaction,
    instanceId: backupReactionId(spec.name, instance, day),
    input,
  };
}

export function backupReactionId(environment: string, backupInstance: string, utcDay: string): string {
  return `backup-${stableHash([environment, backupInstance.toLowerCase()])}-${utcDay}`;
}

/** Follow-up watch ids when the window's watch already finished and a new eviction of that window arrives. */
export function watchInstanceId(watchKey: string, round: number): string {
  return round === 0 ? watchKey : `${watchKey}-r${round}`;
}

export function evictionRecord(event: SpotEvictionEvent): EvictionRecord {
  return {
    dedupeKey: event.dedupeKey,
    vmName: event.vmName,
    resourceId: event.resourceId,
    occurredAt: event.occurredAt,
    ...(event.pool !== undefined ? { pool: event.pool } : {}),
  };
}

function target(cluster: ClusterSpec, subscriptionId: string): ClusterTarget {
  return { cluster: cluster.name, subscriptionId, resourceGroup: cluster.resourceGroup, aksName: cluster.aksName };
}

/**
 * The spec's subscription, or (sandbox spec without one) the subscription of the resource the event is about, or
 * the configured default.
 */
function subscriptionFor(options: ReactionOptions, resourceId: string | undefined): string {
  const { spec } = options;
  if (spec.subscriptionId !== UNSET_SUBSCRIPTION_ID) return spec.subscriptionId;
  return (
    (resourceId !== undefined ? parseResourceId(resourceId)?.subscriptionId : undefined) ??
    options.defaultSubscriptionId ??
    spec.subscriptionId
  );
}

// ---- Spot recovery observation (run command output) -----------------------------------------------------------

/** One run command for nodes and pending pods (kubectl prints one JSON document per command). */
export function spotRecoveryCommand(pool: string): string {
  return `kubectl get nodes -l karpenter.sh/nodepool=${pool} -o json && kubectl get pods -A --field-selector=status.phase=Pending -o json`;
}

/** Karpenter's launch failures; a separate command so a cluster without such events still reports nodes and pods. */
export const CAPACITY_EVENTS_COMMAND =
  "kubectl get events -A --field-selector reason=InsufficientCapacityError -o json";

export interface SpotRecoveryObservation {
  spotNodes: number;
  readyNodes: number;
  nodesReady: boolean;
  pendingPods: number;
  zonesWithoutCapacity: string[];
  /** Whether Karpenter's capacity events could be read at all (false: zones without capacity are unknown). */
  capacityKnown: boolean;
}

/** Splits concatenated JSON documents (the logs of `cmd -o json && cmd -o json`). */
export function parseJsonDocuments(text: string): unknown[] {
  const docs: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === "{" || ch === "[") {
      if (depth === 0) start = i;
      depth++;
    } else if (ch === "}" || ch === "]") {
      depth--;
      if (depth === 0 && start >= 0) {
        docs.push(JSON.parse(text.slice(start, i + 1)) as unknown);
        start = -1;
      }
      if (depth < 0) throw new Error(`unbalanced JSON at offset ${i}`);
    }
  }
  if (depth !== 0) throw new Error("truncated JSON output");
  return docs;
}

interface KubeItem {
  metadata?: { labels?: Record<string, string> };
  status?: { phase?: string; conditions?: { type?: string; status?: string }[] };
  reason?: string;
  message?: string;
  lastTimestamp?: string;
  eventTime?: string;
  firstTimestamp?: string;
}

function items(doc: unknown, what: string): KubeItem[] {
  const list = (doc as { items?: unknown } | undefined)?.items;
  if (!Array.isArray(list)) throw new Error(`${what}: the kubectl output has no items list`);
  return list as KubeItem[];
}

const ZONE_IN_MESSAGE = /zones?\s*[:=]?\s*"?(?:[a-z][a-z0-9]*-)?(\d+)\b/gi;

/**
 * Reads the nodes/pending-pods logs and (optionally) Karpenter's InsufficientCapacityError events since `since`.
 * Throws naming the part that is not kubectl JSON.
 */
export function observeSpotRecovery(
  nodesAndPodsLogs: string,
  capacityEventsLogs: string | undefined,
  since: string,
): SpotRecoveryObservation {
  const [nodesDoc, podsDoc] = parseJsonDocuments(nodesAndPodsLogs);
  const nodes = items(nodesDoc, "nodes");
  const pods = items(podsDoc, "pending pods");
  const ready = nodes.filter((n) =>
    (n.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"),
  ).length;
  const zones = new Set<string>();
  const sinceMs = Date.parse(since);
  if (capacityEventsLogs !== undefined) {
    for (const e of items(parseJsonDocuments(capacityEventsLogs)[0], "capacity events")) {
      const at = Date.parse(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? "");
      if (Number.isFinite(sinceMs) && Number.isFinite(at) && at < sinceMs) continue;
      for (const m of (e.message ?? "").matchAll(ZONE_IN_MESSAGE)) if (m[1] !== undefined) zones.add(m[1]);
    }
  }
  return {
    spotNodes: nodes.length,
    readyNodes: ready,
    nodesReady: ready === nodes.length,
    pendingPods: pods.filter((p) => (p.status?.phase ?? "Pending") === "Pending").length,
    zonesWithoutCapacity: [...zones].sort(),
    capacityKnown: capacityEventsLogs !== undefined,
  };
}

// ---- TLS certificates -----------------------------------------------------------------------------------------

export interface CertificateFacts {
  serialNumber: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  fingerprint256: string;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The leaf (first) certificate of a PEM chain; throws `what: …` when there is none or it does not parse. */
export function leafCertificate(pem: string, what: string): CertificateFacts {
  const first = pem.match(PEM_BLOCK)?.[0];
  if (first === undefined) throw new Error(`${what}: no PEM certificate found`);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(first);
  } catch (err) {
    throw new Error(`${what}: the certificate does not parse (${err instanceof Error ? err.message : String(err)})`);
  }
  return {
    serialNumber: cert.serialNumber.toUpperCase(),
    subject: cert.subject,
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    fingerprint256: cert.fingerprint256,
  };
}

export type ExpiryState = "valid" | "near-expiry" | "expired";

export function expiryState(notAfter: string, now: Date, nearExpiryDays = NEAR_EXPIRY_DAYS): ExpiryState {
  const left = Date.parse(notAfter) - now.getTime();
  if (!(left > 0)) return "expired";
  return left <= nearExpiryDays * 86_400_000 ? "near-expiry" : "valid";
}

export function daysLeft(notAfter: string, now: Date): number {
  return Math.max(0, Math.floor((Date.parse(notAfter) - now.getTime()) / 86_400_000));
}

/**
 * The daily Key Vault scan's finding as a certificate event, so it goes through the same reaction as Key Vault's
 * own NearExpiry/Expired events. Its dedupe key names the version and change: one reaction per version, however
 * many days the scan sees it.
 */
export function certificateEventFromScan(finding: {
  vaultName: string;
  objectName: string;
  version: string;
  notBefore: string;
  notAfter: string;
  change: "near-expiry" | "expired";
  now: Date;
}): CertificateEvent {
  const { vaultName, objectName, version, change } = finding;
  return {
    kind: "certificate",
    schema: "EventGrid",
    eventId: `scan-${stableHash([vaultName, objectName, version, change])}`,
    eventType: change === "expired" ? "AksPlatform.CertificateScan.Expired" : "AksPlatform.CertificateScan.NearExpiry",
    subject: objectName,
    source: `aks-platform/certificateScan/${vaultName}`,
    occurredAt: finding.now.toISOString(),
    change,
    objectType: "Secret",
    vaultName,
    objectName,
    version,
    notBefore: finding.notBefore,
    expiresAt: finding.notAfter,
    severity: change === "expired" ? "critical" : "warning",
    dedupeKey: `certificate-${stableHash(["scan", change, vaultName.toLowerCase(), objectName.toLowerCase(), version])}`,
    reason: `Secret ${objectName} in ${vaultName} ${change === "expired" ? "has expired" : "expires soon"} (certificate notAfter ${finding.notAfter}, found by the daily scan)`,
  };
}
