import { buildRestoreRequest, RestoreClient, type RestoreStart } from "../../../lib/backup";
import { Activities } from "../../../lib/function-names";
import { armConnection } from "../../shared/arm";
import { registerActivity } from "../../shared/boundary";
import { triggerRestoreInputSchema, type TriggerRestoreInput } from "../contracts";

export type TriggerRestoreResult = RestoreStart | { kind: "failed"; error: string };

/** OPS-7: starts the restore (the orchestration polls it with durable timers). */
export async function triggerRestore(input: TriggerRestoreInput, signal: AbortSignal): Promise<TriggerRestoreResult> {
  const client = new RestoreClient(armConnection(), input.vault.subscriptionId);
  const details = await client.getBackupInstance(input.vault, input.backupInstance, { abortSignal: signal });
  if (!details.ok) return { kind: "failed", error: `${details.error.code}: ${details.error.message}` };
  const request = buildRestoreRequest({
    recoveryPointId: input.recoveryPoint,
    dataSourceInfo: details.value.dataSourceInfo ?? {},
    location: input.location,
  });
  const started = await client.beginRestore(input.vault, input.backupInstance, request, { abortSignal: signal });
  return started.ok ? started.value : { kind: "failed", error: `${started.error.code}: ${started.error.message}` };
}

registerActivity(Activities.triggerRestore, triggerRestoreInputSchema, triggerRestore);
