import { DataProtectionClient } from "../../../lib/azure";
import { RestoreClient, validateRestoreOf, type RestoreValidation } from "../../../lib/backup";
import { Activities } from "../../../lib/function-names";
import { armConnection } from "../../shared/arm";
import { registerActivity } from "../../shared/boundary";
import { validateRestoreInputSchema, type ValidateRestoreInput } from "../contracts";

/** OPS-5 deeper check / OPS-7 pre-flight: Azure's own validation of a restore from the newest (or chosen) recovery point. */
export async function validateRestore(input: ValidateRestoreInput, signal: AbortSignal): Promise<RestoreValidation> {
  const connection = armConnection();
  const clients = {
    dp: new DataProtectionClient(connection, input.vault.subscriptionId),
    restore: new RestoreClient(connection, input.vault.subscriptionId),
  };
  return validateRestoreOf(clients, input.vault, input.instance, input.location, input.recoveryPointId, signal);
}

registerActivity(Activities.validateRestore, validateRestoreInputSchema, validateRestore);
