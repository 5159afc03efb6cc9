import { DataProtectionClient } from "../../../lib/azure";
import { readInstanceEvidence, RestoreClient, verifyInstance, type InstanceReport } from "../../../lib/backup";
import { Activities } from "../../../lib/function-names";
import { armConnection } from "../../shared/arm";
import { registerActivity } from "../../shared/boundary";
import { verifyBackupInstanceInputSchema, type VerifyBackupInstanceInput } from "../contracts";

/** OPS-5: one instance's recovery points and policy, judged; a malformed answer is a finding, a transient one is retried. */
export async function verifyBackupInstance(
  input: VerifyBackupInstanceInput,
  signal: AbortSignal,
): Promise<InstanceReport> {
  const connection = armConnection();
  const clients = {
    dp: new DataProtectionClient(connection, input.vault.subscriptionId),
    restore: new RestoreClient(connection, input.vault.subscriptionId),
  };
  const evidence = await readInstanceEvidence(clients, input.vault, input.instance, input.jobs, {
    signal,
    transient: "throw",
  });
  return verifyInstance(evidence, input.policy, new Date(input.now), input.cluster);
}

registerActivity(Activities.verifyBackupInstance, verifyBackupInstanceInputSchema, verifyBackupInstance);
