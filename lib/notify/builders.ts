import type { BuildCancellation } from "../plan/progress";
import type { Severity } from "../spec";
import type { Fact, MessageKind, NotifyMessage } from "./message";
import { buildDigest } from "./digest";

/**
 * Builders for every message the app sends, so the other areas call one function with facts and get the wording,
 * severity default and runbook right. Each builder accepts an optional `severity` override.
 */

export interface MessageContext {
  environment: string;
  correlationId: string;
  /** When the event happened (ISO 8601 or a Date). */
  occurredAt: string | Date;
  severity?: Severity;
}

type Base = Pick<NotifyMessage, "environment" | "correlationId" | "occurredAt">;

function base(ctx: MessageContext): Base {
  const occurredAt = typeof ctx.occurredAt === "string" ? ctx.occurredAt : ctx.occurredAt.toISOString();
  return { environment: ctx.environment, correlationId: ctx.correlationId, occurredAt };
}

function facts(entries: Array<[string, string | number | undefined]>): Fact[] {
  return entries
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([name, value]) => ({ name, value: String(value) }));
}

/** The key under which events of one kind in one environment collect into a digest. */
export function digestKeyFor(kind: MessageKind, environment: string): string {
  return `${kind}:${environment}`;
}

// OPS-2 Spot eviction -------------------------------------------------------------------------------------------

export interface EvictionStartedInput extends MessageContext {
  cluster: string;
  /** The evicted VM or node. */
  resource: string;
  zone?: string;
  vmSize?: string;
  expectedRecoveryMinutes?: number;
  /**
   * false = the caller collects storms itself (e.g. a durable orchestration per window) and sends
   * `evictionDigest`; the Notifier then sends this message without holding it for a digest.
   */
  digest?: boolean;
}

export function evictionStarted(input: EvictionStartedInput): NotifyMessage {
  const minutes = input.expectedRecoveryMinutes ?? 5;
  return {
    ...base(input),
    kind: "eviction.started",
    severity: input.severity ?? "warning",
    title: `Spot node evicted in ${input.cluster}`,
    cluster: input.cluster,
    resource: input.resource,
    summary: `Azure evicted a Spot VM of cluster ${input.cluster}. Karpenter should replace the capacity within about ${minutes} minutes.`,
    facts: facts([
      ["Zone", input.zone],
      ["VM size", input.vmSize],
      ["Expected recovery", `~${minutes} min`],
    ]),
    whatWasDone: "Started watching recovery: pending pods and Karpenter NodeClaims are checked until capacity is back.",
    nextStep: "Nothing yet. A recovery message or an escalation follows.",
    runbook: "OPS-2",
    ...(input.digest === false ? {} : { digestKey: digestKeyFor("eviction.started", input.environment) }),
  };
}

/** One message for several evictions, for callers that collect storms themselves. */
export function evictionDigest(
  events: readonly EvictionStartedInput[],
  options: { windowMinutes: number; firstSentAt?: string },
): NotifyMessage {
  return buildDigest(
    events.map((e) => evictionStarted({ ...e, digest: false })),
    options,
  );
}

export interface EvictionRecoveredInput extends MessageContext {
  cluster: string;
  resource?: string;
  evictedAt: string | Date;
  recoveredAt: string | Date;
  readyNodes?: number;
  pendingPods?: number;
}

export function evictionRecovered(input: EvictionRecoveredInput): NotifyMessage {
  const minutes = Math.max(
    0,
    Math.round((toDate(input.recoveredAt).getTime() - toDate(input.evictedAt).getTime()) / 60_000),
  );
  return {
    ...base(input),
    kind: "eviction.recovered",
    severity: input.severity ?? "info",
    title: `${input.cluster} recovered from a Spot eviction`,
    cluster: input.cluster,
    ...(input.resource === undefined ? {} : { resource: input.resource }),
    summary: `Replacement Spot capacity is ready after ${minutes} min; no pods are waiting for a node.`,
    facts: facts([
      ["Evicted at", toDate(input.evictedAt).toISOString()],
      ["Recovered at", toDate(input.recoveredAt).toISOString()],
      ["Recovery time", `${minutes} min`],
      ["Ready Spot nodes", input.readyNodes],
      ["Pending pods", input.pendingPods],
    ]),
    whatWasDone: "Watched Karpenter replace the evicted capacity and checked that pending pods were scheduled.",
    nextStep: "None.",
    runbook: "OPS-2",
  };
}

export interface EscalationInput extends MessageContext {
  cluster: string;
  resource?: string;
  waitedMinutes: number;
  pendingPods?: number;
  /** Why recovery did not happen, in a sentence. */
  reason: string;
  /** Zones that were tried and had no Spot capacity; set when no zone has Spot capacity at all. */
  zonesWithoutSpotCapacity?: string[];
  allZonesWithoutSpotCapacity?: boolean;
}

export const NO_ON_DEMAND_NOTE =
  "No zone has Spot capacity. This is a deliberate no-on-demand policy: the platform does not fall back to on-demand " +
  "nodes, so workloads on Spot stay pending until Spot capacity returns or someone decides otherwise.";

export function evictionEscalation(input: EscalationInput): NotifyMessage {
  return {
    ...base(input),
    kind: "eviction.escalation",
    severity: input.severity ?? "critical",
    title: `${input.cluster} has not recovered from a Spot eviction`,
    cluster: input.cluster,
    ...(input.resource === undefined ? {} : { resource: input.resource }),
    summary: input.reason,
    facts: facts([
      ["Waited", `${input.waitedMinutes} min`],
      ["Pending pods", input.pendingPods],
      ["Zones without Spot capacity", input.zonesWithoutSpotCapacity?.join(", ")],
    ]),
    ...(input.allZonesWithoutSpotCapacity ? { note: NO_ON_DEMAND_NOTE } : {}),
    whatWasDone: `Watched recovery for ${input.waitedMinutes} min; Karpenter did not bring the capacity back.`,
    nextStep:
      "Check Karpenter NodeClaims and events in the cluster; follow the runbook to add capacity or move workloads.",
    runbook: "OPS-2",
  };
}

// OPS-3 Certificates --------------------------------------------------------------------------------------------

export interface CertificateInput extends MessageContext {
  cluster?: string;
  /** Host name the certificate is for. */
  host: string;
  /** Key Vault certificate or Kubernetes secret. */
  resource: string;
  notAfter: string | Date;
}

export function certificateRenewed(
  input: CertificateInput & { version?: string; rolledOutTo?: string },
): NotifyMessage {
  return {
    ...base(input),
    kind: "certificate.renewed",
    severity: input.severity ?? "info",
    title: `Certificate for ${input.host} renewed`,
    ...(input.cluster === undefined ? {} : { cluster: input.cluster }),
    resource: input.resource,
    summary: "A new certificate version is in Key Vault and the ingress gateway serves it.",
    facts: facts([
      ["Host", input.host],
      ["Valid until", toDate(input.notAfter).toISOString()],
      ["Version", input.version],
      ["Rolled out to", input.rolledOutTo],
    ]),
    whatWasDone: "Verified that the ingress gateway presents the new certificate version.",
    nextStep: "None.",
    runbook: "OPS-3",
  };
}

export function certificateNearExpiry(
  input: CertificateInput & { daysLeft: number; renewalTriggered: boolean },
): NotifyMessage {
  return {
    ...base(input),
    kind: "certificate.nearExpiry",
    severity: input.severity ?? "warning",
    title: `Certificate for ${input.host} expires in ${input.daysLeft} days`,
    ...(input.cluster === undefined ? {} : { cluster: input.cluster }),
    resource: input.resource,
    summary: "cert-manager has not renewed the certificate 30 days ahead of expiry.",
    facts: facts([
      ["Host", input.host],
      ["Valid until", toDate(input.notAfter).toISOString()],
      ["Days left", input.daysLeft],
    ]),
    whatWasDone: input.renewalTriggered
      ? "Triggered a renewal; the rollout to the ingress gateway will be verified."
      : "Nothing automatic: a renewal could not be triggered.",
    nextStep: input.renewalTriggered
      ? "Wait for the renewal message; if none arrives within an hour, check the cert-manager Certificate and ACME challenge."
      : "Check the cert-manager Certificate, its ACME DNS-01 challenge and the DNS zone permissions.",
    runbook: "OPS-3",
  };
}

export function certificateExpired(input: CertificateInput): NotifyMessage {
  return {
    ...base(input),
    kind: "certificate.expired",
    severity: input.severity ?? "critical",
    title: `Certificate for ${input.host} has expired`,
    ...(input.cluster === undefined ? {} : { cluster: input.cluster }),
    resource: input.resource,
    summary: "Clients connecting to this host see a certificate error.",
    facts: facts([
      ["Host", input.host],
      ["Expired at", toDate(input.notAfter).toISOString()],
    ]),
    whatWasDone: "Raised this alert; automatic renewal did not succeed in time.",
    nextStep: "Renew the certificate by hand following the runbook, then check the ingress gateway serves it.",
    runbook: "OPS-3",
  };
}

// OPS-4 / OPS-5 Backups -------------------------------------------------------------------------------------------

export interface BackupFailureInput extends MessageContext {
  cluster: string;
  /** The backup instance id. */
  resource: string;
  jobId?: string;
  error: string;
  retry: { attempt: number; maxAttempts: number; started: boolean };
  /** false = send on its own even when other backup failures are in the digest window. */
  digest?: boolean;
}

export function backupFailed(input: BackupFailureInput): NotifyMessage {
  const exhausted = !input.retry.started && input.retry.attempt >= input.retry.maxAttempts;
  return {
    ...base(input),
    kind: "backup.failed",
    severity: input.severity ?? (exhausted ? "critical" : "warning"),
    title: `Backup of ${input.cluster} failed`,
    cluster: input.cluster,
    resource: input.resource,
    summary: input.error,
    facts: facts([
      ["Job", input.jobId],
      ["Retry", `${input.retry.attempt} of ${input.retry.maxAttempts}`],
    ]),
    whatWasDone: input.retry.started
      ? `Started ad-hoc backup ${input.retry.attempt} of ${input.retry.maxAttempts}.`
      : "No further ad-hoc backup: the retry limit is reached.",
    nextStep: input.retry.started
      ? "Nothing yet; the result of the retry is reported."
      : "Check the backup extension and the Backup vault job details following the runbook.",
    runbook: "OPS-4",
    ...(input.digest === false ? {} : { digestKey: digestKeyFor("backup.failed", input.environment) }),
  };
}

export interface NightlySummaryInput extends MessageContext {
  clusters: Array<{ cluster: string; problems: string[] }>;
  /** Where the stored report is (a blob URL without SAS). */
  reportLocation?: string;
}

export function nightlySummary(input: NightlySummaryInput): NotifyMessage {
  const problems = input.clusters.flatMap((c) => c.problems.map((p) => `${c.cluster}: ${p}`));
  const names = input.clusters.map((c) => c.cluster).join(", ");
  const report: Fact[] = facts([["Report", input.reportLocation]]);
  if (problems.length === 0) {
    return {
      ...base(input),
      kind: "backup.nightlySummary",
      severity: input.severity ?? "info",
      title: "Nightly backup check: all good",
      summary: `Every cluster (${names}) has a healthy backup instance, a recent recovery point and a successful last job.`,
      facts: report,
      runbook: "OPS-5",
    };
  }
  const failing = input.clusters.filter((c) => c.problems.length > 0).length;
  return {
    ...base(input),
    kind: "backup.nightlySummary",
    severity: input.severity ?? "warning",
    title: `Nightly backup check: ${problems.length} problem${problems.length === 1 ? "" : "s"} in ${failing} cluster${failing === 1 ? "" : "s"}`,
    summary: `Checked ${names}.`,
    facts: report,
    lines: problems,
    whatWasDone: "Checked backup instances, recovery point age (< 26 h) and last job results; stored the report.",
    nextStep: "Fix each listed problem following the runbook; the next check runs tomorrow night.",
    runbook: "OPS-5",
  };
}

// OPS-1 Provisioning and cluster lifecycle -----------------------------------------------------------------------

export function provisioningDone(
  input: MessageContext & { instanceId: string; durationMinutes: number; phases: number; clusters: string[] },
): NotifyMessage {
  return {
    ...base(input),
    kind: "provisioning.done",
    severity: input.severity ?? "info",
    title: `Platform ${input.environment} provisioned`,
    summary: `All ${input.phases} phases completed in ${input.durationMinutes} min.`,
    facts: facts([
      ["Clusters", input.clusters.join(", ")],
      ["Build", input.instanceId],
    ]),
    whatWasDone: "Deployed every phase of the plan; re-running the same spec changes nothing.",
    nextStep: "None.",
    runbook: "OPS-1",
  };
}

export interface ProvisioningFailure {
  phase: string;
  unit: string;
  resource?: string;
  message: string;
}

export function provisioningFailed(
  input: MessageContext & { instanceId: string; failures: ProvisioningFailure[]; completedPhases?: number },
): NotifyMessage {
  return {
    ...base(input),
    kind: "provisioning.failed",
    severity: input.severity ?? "critical",
    title: `Provisioning ${input.environment} failed (${input.failures.length} failure${input.failures.length === 1 ? "" : "s"})`,
    summary: "The build stopped; completed deployments stay in place and a re-run resumes where it stopped.",
    facts: facts([
      ["Build", input.instanceId],
      ["Completed phases", input.completedPhases],
    ]),
    lines: input.failures.map((f) => `${f.phase} / ${f.unit}${f.resource ? ` (${f.resource})` : ""}: ${f.message}`),
    whatWasDone: "Stopped the phases that depend on the failed units; independent units finished.",
    nextStep: "Fix the cause of each failure, then start the build again with the same spec.",
    runbook: "OPS-1",
  };
}

export function provisioningCanceled(
  input: MessageContext & { instanceId: string; canceled: BuildCancellation; succeeded: number },
): NotifyMessage {
  const c = input.canceled;
  const names = (list: string[]) => (list.length > 0 ? list.join(", ") : "none");
  return {
    ...base(input),
    kind: "provisioning.canceled",
    severity: input.severity ?? "warning",
    title: `Build of ${input.environment} cancelled`,
    summary:
      `Cancelled ${c.requestedBy !== undefined ? `by ${c.requestedBy}` : "on request"}` +
      `${c.request !== undefined ? ` (${c.request})` : ""}; nothing of this build runs any more.`,
    facts: facts([
      ["Build", input.instanceId],
      ["Requested at", c.requestedAt],
      ["Requested by", c.requestedBy],
      ["Request", c.request],
      ["Succeeded before the cancel", input.succeeded],
    ]),
    lines: [
      `Cancelled in ARM: ${names(c.cancelledInArm)}`,
      `Awaited to their end (ARM would not cancel them): ${names(c.awaited)}`,
      `Never started: ${names(c.notStarted)}`,
    ],
    whatWasDone:
      "Started nothing new, asked ARM to cancel every running deployment and waited until each had ended; deployments that succeeded stay in place.",
    nextStep: `Post the build again (POST /api/environments/${input.environment}/provision, or aks-platform up): it reuses what succeeded and deploys the rest.`,
    runbook: "OPS-1",
  };
}

export type ClusterLifecycleEvent = "created" | "upgraded" | "started" | "stopped" | "deleted" | "rebuilt";

export function clusterLifecycle(
  input: MessageContext & { cluster: string; resource?: string; event: ClusterLifecycleEvent; detail?: string },
): NotifyMessage {
  return {
    ...base(input),
    kind: "cluster.lifecycle",
    severity: input.severity ?? "info",
    title: `Cluster ${input.cluster} ${input.event}`,
    cluster: input.cluster,
    ...(input.resource === undefined ? {} : { resource: input.resource }),
    ...(input.detail === undefined ? {} : { summary: input.detail }),
    facts: facts([["Event", input.event]]),
    runbook: input.event === "rebuilt" ? "OPS-7" : "OPS-1",
  };
}

/** The sample `aks-platform notify test` sends. */
export function testMessage(ctx: MessageContext & { channel: string }): NotifyMessage {
  return {
    ...base(ctx),
    kind: "notify.test",
    severity: ctx.severity ?? "info",
    title: "Test notification from AKS Platform Automation",
    summary: `If you can read this in channel ${ctx.channel}, alerts for ${ctx.environment} reach it.`,
    facts: facts([["Channel", ctx.channel]]),
    whatWasDone: "Sent a sample message; nothing changed on the platform.",
    nextStep: "None.",
    runbook: "OPS-6",
  };
}

function toDate(value: string | Date): Date {
  return typeof value === "string" ? new Date(value) : value;
}
