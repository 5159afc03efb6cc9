import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { activitySignal } from "../../lib/activity-signal";
import { DataProtectionClient } from "../../lib/azure";
import {
  buildRestoreRequest,
  chooseRecoveryPoint,
  RestoreClient,
  type RestoreValidation,
  type VaultRef,
} from "../../lib/backup";
import { Activities } from "../../lib/function-names";
import { armConnection } from "./shared/arm";

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
  const dp = new DataProtectionClient(connection, input.vault.subscriptionId);
  const restore = new RestoreClient(connection, input.vault.subscriptionId);
  const points = await dp.listRecoveryPoints(input.vault, input.instance, { abortSignal: signal });
  if (!points.ok)
    return { instance: input.instance, ok: false, error: `${points.error.code}: ${points.error.message}` };
  const choice = chooseRecoveryPoint(points.value, input.instance, input.recoveryPointId);
  if (!choice.ok) return { instance: input.instance, ok: false, error: choice.reason };
  const details = await restore.getBackupInstance(input.vault, input.instance, { abortSignal: signal });
  if (!details.ok)
    return { instance: input.instance, ok: false, error: `${details.error.code}: ${details.error.message}` };
  const request = buildRestoreRequest({
    recoveryPointId: choice.point.name,
    dataSourceInfo: details.value.dataSourceInfo ?? {},
    location: input.location,
  });
  const result = await dp.validateRestore(input.vault, input.instance, request, { abortSignal: signal });
  return result.ok
    ? { instance: input.instance, ok: true, recoveryPoint: choice.point.name }
    : {
        instance: input.instance,
        ok: false,
        recoveryPoint: choice.point.name,
        error: `${result.error.code}: ${result.error.message}`,
      };
}

df.app.activity(Activities.validateRestore, {
  handler: (input: ValidateRestoreInput, context: InvocationContext) => validateRestore(input, activitySignal(context)),
});
