import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { activitySignal } from "../../../lib/activity-signal";
import { DataProtectionClient, type BackupInstanceInfo, type BackupJobInfo } from "../../../lib/azure";
import {
  readInstanceEvidence,
  RestoreClient,
  verifyInstance,
  type InstanceReport,
  type VaultRef,
  type VerifyPolicy,
} from "../../../lib/backup";
import { Activities } from "../../../lib/function-names";
import { armConnection } from "../../shared/arm";

export interface VerifyBackupInstanceInput {
  vault: VaultRef;
  instance: BackupInstanceInfo;
  /** The instance's jobs from the run's one read of the job list. */
  jobs: BackupJobInfo[];
  cluster?: string;
  policy: VerifyPolicy;
  /** The orchestration's time, so a replayed or retried check judges ages the same way. */
  now: string;
}

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

df.app.activity(Activities.verifyBackupInstance, {
  handler: (input: VerifyBackupInstanceInput, context: InvocationContext) =>
    verifyBackupInstance(input, activitySignal(context)),
});
