import { z } from "zod";
import { teardownClusterInputSchema, teardownResultSchema } from "../../lib/api/clusters";
import { deletePollSchema } from "../../lib/azure";
import type { DeploymentRef } from "../build/contracts";
import { notifyResultInputSchema } from "../shared/notify";

/**
 * The teardown room's inputs at the Durable boundary (orchestrations/shared/boundary): the orchestration's own
 * (`teardownClusterInputSchema`, also the plan activity's) and each activity's. Results stay TypeScript types.
 */

export { teardownClusterInputSchema };

/** A deployment record of the build (orchestrations/build/contracts `DeploymentRef`), as the teardown forgets it. */
export const deploymentRefSchema = z.object({
  subscriptionId: z.string(),
  location: z.string(),
  name: z.string(),
  scope: z.enum(["subscription", "resourceGroup"]),
  resourceGroup: z.string().optional(),
}) satisfies z.ZodType<DeploymentRef>;

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
