import { z } from "zod";
import type { BackupFailureEvent, CertificateEvent, ClusterLifecycleEvent } from "../events";
import { notificationsSchema, severitySchema } from "../spec";
import type { EvictionPolicy } from "./eviction";

/**
 * The inputs of the reaction orchestrations (OPS-2/3/4, cluster lifecycle), as zod schemas: `reactionFor` builds
 * them from a classified event, the Event Grid triggers start the orchestrations with them, and each orchestration
 * parses its input against them at the Durable boundary (orchestrations/reactions/contracts.ts).
 */

const text = z.string().min(1);
const isoTime = z.iso.datetime({ offset: true });

export const clusterTargetSchema = z.object({
  cluster: text,
  subscriptionId: text,
  resourceGroup: text,
  aksName: text,
});
export type ClusterTarget = z.infer<typeof clusterTargetSchema>;

export const evictionRecordSchema = z.object({
  dedupeKey: text,
  vmName: text,
  resourceId: text,
  occurredAt: isoTime,
  pool: z.string().optional(),
});
export type EvictionRecord = z.infer<typeof evictionRecordSchema>;

const evictionPolicySchema: z.ZodType<EvictionPolicy> = z.object({
  spotZones: z.array(text),
  expectedRecoveryMinutes: z.number().positive(),
  maxWaitMinutes: z.number().positive(),
  checkEveryMinutes: z.number().positive(),
});

/** What every classified event carries (lib/events' DomainEventBase); each kind adds its own facts. */
const eventBase = {
  schema: z.enum(["EventGrid", "CloudEvents", "MonitorAlert"]),
  eventId: text,
  eventType: text,
  subject: z.string(),
  source: z.string(),
  occurredAt: z.string().optional(),
  resourceId: z.string().optional(),
  environment: z.string().optional(),
  cluster: z.string().optional(),
  pool: z.string().optional(),
  severity: severitySchema,
  dedupeKey: text,
  reason: z.string(),
};

const certificateEventSchema: z.ZodType<CertificateEvent> = z.object({
  ...eventBase,
  kind: z.literal("certificate"),
  change: z.enum(["new-version", "near-expiry", "expired"]),
  objectType: z.enum(["Certificate", "Secret"]),
  vaultName: text,
  objectName: text,
  version: z.string().optional(),
  notBefore: z.string().optional(),
  expiresAt: z.string().optional(),
});

const backupFailureEventSchema: z.ZodType<BackupFailureEvent> = z.object({
  ...eventBase,
  kind: z.literal("backup-failure"),
  condition: z.enum(["fired", "resolved"]),
  origin: z.enum(["monitor-alert", "custom-topic"]),
  alertId: z.string().optional(),
  alertRule: z.string().optional(),
  backupInstance: z.string().optional(),
  jobId: z.string().optional(),
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
});

const clusterLifecycleEventSchema: z.ZodType<ClusterLifecycleEvent> = z.object({
  ...eventBase,
  kind: z.literal("cluster-lifecycle"),
  change: z.enum([
    "new-kubernetes-version-available",
    "support-ending",
    "support-ended",
    "node-pool-rolling-started",
    "node-pool-rolling-succeeded",
    "node-pool-rolling-failed",
  ]),
  kubernetesVersion: z.string().optional(),
  nodePoolName: z.string().optional(),
  latestSupportedKubernetesVersion: z.string().optional(),
  latestStableKubernetesVersion: z.string().optional(),
});

export const evictionWatchInputSchema = clusterTargetSchema.extend({
  environment: text,
  watchKey: text,
  windowStart: isoTime,
  first: evictionRecordSchema,
  spotPool: text,
  /** Collect evictions this long before the first look (Karpenter's expected replacement time). */
  collectMinutes: z.number().nonnegative(),
  policy: evictionPolicySchema,
  notifications: notificationsSchema,
});
export type EvictionWatchInput = z.infer<typeof evictionWatchInputSchema>;

export const certificateReactionInputSchema = z.object({
  environment: text,
  event: certificateEventSchema,
  /** Clusters serving the ingress host (istioIngressGateway add-on), where renewal and rollout happen. */
  clusters: z.array(clusterTargetSchema),
  istioRevision: z.string().optional(),
  ingressHost: text,
  notifications: notificationsSchema,
});
export type CertificateReactionInput = z.infer<typeof certificateReactionInputSchema>;

export const backupReactionInputSchema = clusterTargetSchema.extend({
  environment: text,
  event: backupFailureEventSchema,
  vault: z.object({ resourceGroup: text, vault: text }),
  backupInstance: text,
  notifications: notificationsSchema,
});
export type BackupReactionInput = z.infer<typeof backupReactionInputSchema>;

export const lifecycleNoticeInputSchema = z.object({
  environment: text,
  event: clusterLifecycleEventSchema,
  notifications: notificationsSchema,
});
export type LifecycleNoticeInput = z.infer<typeof lifecycleNoticeInputSchema>;
