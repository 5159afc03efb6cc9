import { z } from "zod";
import { Orchestrations, type OrchestrationName } from "../../lib/function-names";
import {
  backupReactionInputSchema,
  certificateReactionInputSchema,
  clusterTargetSchema,
  evictionWatchInputSchema,
  lifecycleNoticeInputSchema,
} from "../../lib/ops/reactions";
import { notificationsSchema } from "../../lib/spec";

/**
 * Data crossing the Durable boundary of the reactions room. The orchestrations' inputs are lib/ops' (the Event
 * Grid triggers build them with `reactionFor`); the activities' inputs are here. Types via `z.infer`.
 */

export {
  backupReactionInputSchema,
  certificateReactionInputSchema,
  evictionWatchInputSchema,
  lifecycleNoticeInputSchema,
};

/** The contract of each reaction orchestration's input, checked where a trigger starts one and where it runs. */
export const reactionInputContracts: Partial<Record<OrchestrationName, z.ZodType>> = {
  [Orchestrations.evictionWatch]: evictionWatchInputSchema,
  [Orchestrations.certificateReaction]: certificateReactionInputSchema,
  [Orchestrations.backupFailureReaction]: backupReactionInputSchema,
  [Orchestrations.lifecycleNotice]: lifecycleNoticeInputSchema,
};

const isoTime = z.iso.datetime({ offset: true });

export const checkSpotRecoveryInputSchema = clusterTargetSchema.extend({
  pool: z.string().min(1),
  /** Capacity events before this time (ISO) belong to earlier storms. */
  since: isoTime,
});
export type CheckSpotRecoveryInput = z.infer<typeof checkSpotRecoveryInputSchema>;

/** renewCertificate: the cluster whose cert-manager Certificate is renewed. */
export const renewCertificateInputSchema = clusterTargetSchema;

export const checkCertificateRolloutInputSchema = z.object({
  vaultName: z.string().min(1),
  clusters: z.array(clusterTargetSchema),
  now: isoTime,
});
export type CheckCertificateRolloutInput = z.infer<typeof checkCertificateRolloutInputSchema>;

export const restartIngressGatewayInputSchema = clusterTargetSchema.extend({
  /** Istio add-on revision (`asm-1-26`); read from the cluster when the spec does not pin one. */
  istioRevision: z.string().optional(),
});
export type RestartIngressGatewayInput = z.infer<typeof restartIngressGatewayInputSchema>;

export const retryBackupInputSchema = z.object({
  subscriptionId: z.string().min(1),
  vault: z.object({ resourceGroup: z.string().min(1), vault: z.string().min(1) }),
  backupInstance: z.string().min(1),
  now: isoTime,
  /** The error the alert carried, if any; else the latest failed job's error is used. */
  jobError: z.object({ code: z.string().optional(), message: z.string().optional() }).optional(),
});
export type RetryBackupInput = z.infer<typeof retryBackupInputSchema>;

export const notifyEventInputSchema = z.object({
  /** A message built with lib/notify `messages.*`, parsed by the activity with lib/notify's own parser. */
  message: z.unknown(),
  notifications: notificationsSchema,
});
export type NotifyEventInput = z.infer<typeof notifyEventInputSchema>;
