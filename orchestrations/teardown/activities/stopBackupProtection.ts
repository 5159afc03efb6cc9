import { DataProtectionClient } from "../../../lib/azure";
import { Activities } from "../../../lib/function-names";
import type { ArmErrorInfo } from "../../../lib/plan/progress";
import { armConnection, toErrorInfo } from "../../shared/arm";
import { registerActivity } from "../../shared/boundary";
import { stopBackupProtectionInputSchema, type StopBackupProtectionInput } from "../contracts";
import { failedUnlessConflict } from "./deleteResource";

/**
 * A teardown that keeps the cluster's backups: the backup instance stops protecting the (soon deleted) cluster and
 * keeps every recovery point (Data Protection `stopProtection`), so a restore into the rebuilt cluster works later.
 * Idempotent: an instance already stopped is left as it is, a missing one is reported as absent.
 */

export type StopBackupProtectionResult =
  | { state: "stopped"; alreadyStopped: boolean; recoveryPoints: number; newest?: string }
  | { state: "absent" }
  | { state: "failed"; error: ArmErrorInfo };

const STOPPED = "ProtectionStopped";

export async function stopBackupProtection(
  input: StopBackupProtectionInput,
  signal: AbortSignal,
): Promise<StopBackupProtectionResult> {
  const client = new DataProtectionClient(armConnection(), input.subscriptionId);
  const call = { abortSignal: signal };
  const found = await client.getBackupInstance(input.vault, input.backupInstance, call);
  if (!found.ok) return { state: "failed", error: toErrorInfo(found.error) };
  if (found.value === undefined) return { state: "absent" };
  const alreadyStopped = [found.value.protectionStatus, found.value.currentProtectionState].includes(STOPPED);
  if (!alreadyStopped) {
    const stopped = await client.changeProtection(input.vault, input.backupInstance, "stopProtection", call);
    if (!stopped.ok) return failedUnlessConflict("stop protection", input.backupInstance, stopped.error);
  }
  const points = await client.listRecoveryPoints(input.vault, input.backupInstance, call);
  if (!points.ok) return { state: "failed", error: toErrorInfo(points.error) };
  const newest = points.value
    .map((p) => p.time)
    .filter((t): t is string => t !== undefined)
    .sort()
    .at(-1);
  return {
    state: "stopped",
    alreadyStopped,
    recoveryPoints: points.value.length,
    ...(newest !== undefined ? { newest } : {}),
  };
}

registerActivity(Activities.stopBackupProtection, stopBackupProtectionInputSchema, stopBackupProtection);
