import { z } from "zod";
import { teardownClusterInputSchema, teardownResultSchema } from "../../lib/api/clusters";
import { deletePollSchema } from "../../lib/azure";
import { deploymentRefSchema } from "../build/contracts";
import { notifyResultInputSchema } from "../shared/notify";

/**
 * The teardown room's inputs at the Durable boundary (orchestrations/shared/boundary): the orchestration's own
 * (`teardownClusterInputSchema`, also the plan activity's) and each activity's. Results stay TypeScript types.
 */

export { teardownClusterInputSchema };

/** One step of deleting a resource (or group) by id: without `poll` it starts the delete, with it it looks once. */
export const deleteResourceInputSchema = z.object({
  id: z.string().min(1),
  apiVersion: z.string().min(1),
  poll: deletePollSchema.optional(),
});
export type DeleteResourceInput = z.infer<typeof deleteResourceInputSchema>;

export const forgetClusterDeploymentsInputSchema = z.object({
  subscriptionId: z.string(),
  deployments: z.array(deploymentRefSchema),
});
export type ForgetClusterDeploymentsInput = z.infer<typeof forgetClusterDeploymentsInputSchema>;

export const stopBackupProtectionInputSchema = z.object({
  subscriptionId: z.string(),
  vault: z.object({ resourceGroup: z.string(), vault: z.string() }),
  backupInstance: z.string().min(1),
});
export type StopBackupProtectionInput = z.infer<typeof stopBackupProtectionInputSchema>;

export const notifyTeardownResultInputSchema = notifyResultInputSchema(teardownResultSchema);
export type NotifyTeardownResultInput = z.infer<typeof notifyTeardownResultInputSchema>;
