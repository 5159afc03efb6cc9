import { DataProtectionClient, TransientArmError } from "../../../lib/azure";
import { BackupReadError, readVaultIndex, RestoreClient, type VaultIndex } from "../../../lib/backup";
import { Activities } from "../../../lib/function-names";
import { armConnection } from "../../shared/arm";
import { registerActivity } from "../../shared/boundary";
import { listBackupInstancesInputSchema, type ListBackupInstancesInput } from "../contracts";

export type ListBackupInstancesResult = ({ ok: true } & VaultIndex) | { ok: false; error: string };

/** OPS-5: the vault's backup instances and their recent jobs, read once per run (transient failures throw, to be retried). */
export async function listBackupInstances(
  input: ListBackupInstancesInput,
  signal: AbortSignal,
): Promise<ListBackupInstancesResult> {
  const connection = armConnection();
  const clients = {
    dp: new DataProtectionClient(connection, input.vault.subscriptionId),
    restore: new RestoreClient(connection, input.vault.subscriptionId),
  };
  try {
    return { ok: true, ...(await readVaultIndex(clients, input.vault, signal)) };
  } catch (err) {
    if (err instanceof TransientArmError) throw err;
    if (err instanceof BackupReadError) return { ok: false, error: err.message };
    throw err;
  }
}

registerActivity(Activities.listBackupInstances, listBackupInstancesInputSchema, listBackupInstances);
