import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { activitySignal } from "../../../lib/activity-signal";
import { DataProtectionClient } from "../../../lib/azure";
import { RestoreClient, validateRestoreOf, type RestoreValidation, type VaultRef } from "../../../lib/backup";
import { Activities } from "../../../lib/function-names";
import { armConnection } from "../../shared/arm";

export interface ValidateRestoreInput {
  vault: VaultRef;
  instance: string;
  /** Region the restore would target (the cluster's). */
  location: string;
  /** A chosen recovery point; the newest by default. */
  recoveryPointId?: string;
}

/** OPS-5 deeper check / OPS-7 pre-flight: Azure's own validation of a restore from the newest (or chosen) recovery point. */
export async function validateRestore(input: ValidateRestoreInput, signal: AbortSignal): Promise<RestoreValidation> {
  const connection = armConnection();
  const clients = {
    dp: new DataProtectionClient(connection, input.vault.subscriptionId),
    restore: new RestoreClient(connection, input.vault.subscriptionId),
  };
  return validateRestoreOf(clients, input.vault, input.instance, input.location, input.recoveryPointId, signal);
}

df.app.activity(Activities.validateRestore, {
  handler: (input: ValidateRestoreInput, context: InvocationContext) => validateRestore(input, activitySignal(context)),
});
