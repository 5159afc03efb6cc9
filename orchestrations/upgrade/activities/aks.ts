import { AksAdapter, TransientArmError, type ArmFailure } from "../../../lib/azure";
import { armConnection } from "../../shared/arm";
import type { UpgradeClusterRef } from "../contracts";

/** The AKS adapter the upgrade activities use, on the process's ARM connection. */
export function aksFor(cluster: Pick<UpgradeClusterRef, "subscriptionId">): AksAdapter {
  return new AksAdapter(armConnection(), cluster.subscriptionId);
}

/** An ARM failure the activity cannot judge (reading state, running a command): retried by the workflow. */
export function retryable(e: ArmFailure): TransientArmError {
  return new TransientArmError(e.operation, e.target, e.code, e.status, e.correlationId, undefined, e.message);
}
