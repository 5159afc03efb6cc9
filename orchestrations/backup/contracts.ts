import { z } from "zod";
import { backupInstanceInfoSchema, backupJobInfoSchema } from "../../lib/azure";
import { backupReportSchema, vaultRefSchema, verifyPolicySchema } from "../../lib/backup";
import { notificationsSchema, platformSpecSchema } from "../../lib/spec";

/**
 * The backup room's inputs at the Durable boundary (orchestrations/shared/boundary): the nightly verification's
 * own and each activity's. Results stay TypeScript types.
 */

export const backupVerificationInputSchema = z.object({
  spec: platformSpecSchema,
  /** Instances verified at once (default 8). */
  maxConcurrency: z.int().min(1).optional(),
  /** Validate a restore of tonight's rotating pick (default true). */
  validateRestore: z.boolean().optional(),
});
export type BackupVerificationInput = z.infer<typeof backupVerificationInputSchema>;

export const listBackupInstancesInputSchema = z.object({ vault: vaultRefSchema });
export type ListBackupInstancesInput = z.infer<typeof listBackupInstancesInputSchema>;

export const verifyBackupInstanceInputSchema = z.object({
  vault: vaultRefSchema,
  instance: backupInstanceInfoSchema,
  /** The instance's jobs from the run's one read of the job list. */
  jobs: z.array(backupJobInfoSchema),
  cluster: z.string().optional(),
  policy: verifyPolicySchema,
  /** The orchestration's time, so a replayed or retried check judges ages the same way. */
  now: z.iso.datetime(),
});
export type VerifyBackupInstanceInput = z.infer<typeof verifyBackupInstanceInputSchema>;

export const validateRestoreInputSchema = z.object({
  vault: vaultRefSchema,
  instance: z.string().min(1),
  /** Region the restore would target (the cluster's). */
  location: z.string().min(1),
  /** A chosen recovery point; the newest by default. */
  recoveryPointId: z.string().optional(),
});
export type ValidateRestoreInput = z.infer<typeof validateRestoreInputSchema>;

export const writeBackupReportInputSchema = z.object({ report: backupReportSchema });
export type WriteBackupReportInput = z.infer<typeof writeBackupReportInputSchema>;

export const notifyBackupSummaryInputSchema = z.object({
  report: backupReportSchema,
  notifications: notificationsSchema,
  correlationId: z.string(),
  /** The stored HTML report, when storing worked. */
  reportLocation: z.string().optional(),
  /** Set when the vault itself could not be read. */
  vaultError: z.string().optional(),
});
export type NotifyBackupSummaryInput = z.infer<typeof notifyBackupSummaryInputSchema>;
