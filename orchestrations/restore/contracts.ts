import { z } from "zod";
import { restoreClusterInputSchema, vaultRefSchema } from "../../lib/backup";
import { notifyResultInputSchema } from "../shared/notify";
import { deploymentRefSchema } from "../build/contracts";
import { cancelRequestSchema } from "../../lib/api/cancel-request";

/**
 * The restore room's inputs at the Durable boundary (orchestrations/shared/boundary): the orchestration's own
 * (`restoreClusterInputSchema`) and each activity's. Results stay TypeScript types, except the restore's outcome,
 * which its notify activity takes as input.
 */

export { restoreClusterInputSchema };

export const validateRestoreTargetInputSchema = z.object({
  vault: vaultRefSchema,
  backupInstance: z.string().min(1),
  cluster: z.object({ name: z.string(), resourceGroup: z.string(), aksName: z.string() }),
  recoveryPointId: z.string().optional(),
  /** Shared deployments a rebuild of the cluster depends on: their outputs feed the cluster's deployments. */
  prerequisites: z.array(deploymentRefSchema),
  /**
   * The cluster's own deployments: when the cluster exists, any of them not succeeded (a cancelled restore's rebuild
   * created the cluster but not its add-ons) is finished before the restore. Absent in an older restore's input.
   */
  clusterDeployments: z.array(deploymentRefSchema).default([]),
  /**
   * Prerequisites the rebuild deploys again when their record is gone instead of refusing: the network deployment,
   * which a teardown forgets so that the cluster's peerings are recreated.
   */
  redeployable: z.array(z.string()).optional(),
});
export type ValidateRestoreTargetInput = z.infer<typeof validateRestoreTargetInputSchema>;

export const triggerRestoreInputSchema = z.object({
  vault: vaultRefSchema,
  backupInstance: z.string().min(1),
  recoveryPoint: z.string().min(1),
  location: z.string().min(1),
});
export type TriggerRestoreInput = z.infer<typeof triggerRestoreInputSchema>;

export const getRestoreJobInputSchema = z.object({
  vault: vaultRefSchema,
  /** The restore operation, until it names its job. */
  statusUrl: z.string().optional(),
  jobId: z.string().optional(),
});
export type GetRestoreJobInput = z.infer<typeof getRestoreJobInputSchema>;

export const stopRestoreRebuildInputSchema = z.object({
  rebuildInstanceId: z.string().min(1),
  /** The cancel the restore heard, raised on the rebuild as the cancel API raises it. */
  request: cancelRequestSchema,
});
export type StopRestoreRebuildInput = z.infer<typeof stopRestoreRebuildInputSchema>;

export const checkWorkloadsInputSchema = z.object({
  subscriptionId: z.string(),
  resourceGroup: z.string(),
  aksName: z.string(),
});
export type CheckWorkloadsInput = z.infer<typeof checkWorkloadsInputSchema>;

/**
 * What a cancel did to a restore: nothing starts after it; what it could not stop is named in `left` (a restore job
 * Data Protection runs to its end, a rebuild deployment ARM had accepted).
 */
export const restoreCancellationSchema = z.object({
  requestedAt: z.string(),
  request: z.string().optional(),
  requestedBy: z.string().optional(),
  /** The step it stopped before (or during): "rebuilding", "restoring", … */
  stage: z.string(),
  left: z.array(z.string()),
});
export type RestoreCancellation = z.infer<typeof restoreCancellationSchema>;

export const restoreOutcomeSchema = z.object({
  outcome: z.enum(["restored", "refused", "failed", "canceled"]),
  environment: z.string(),
  cluster: z.string(),
  backupInstance: z.string(),
  rebuilt: z.boolean(),
  /** The cluster existed but these of its deployments were unfinished (a cancelled restore's rebuild): deployed. */
  resumed: z.array(z.string()).optional(),
  startedAt: z.string(),
  endedAt: z.string(),
  elapsedMinutes: z.number(),
  targetMinutes: z.number(),
  recoveryPoint: z.object({ name: z.string(), time: z.string() }).optional(),
  jobId: z.string().optional(),
  workloads: z.string().optional(),
  /** Why it was refused or what failed (the job's own error for a failed restore job). */
  reason: z.string().optional(),
  /** Present when a person cancelled it (readers show the restore as `Canceled`). */
  canceled: restoreCancellationSchema.optional(),
});
export type RestoreOutcome = z.infer<typeof restoreOutcomeSchema>;

export const notifyRestoreResultInputSchema = notifyResultInputSchema(restoreOutcomeSchema);
export type NotifyRestoreResultInput = z.infer<typeof notifyRestoreResultInputSchema>;
