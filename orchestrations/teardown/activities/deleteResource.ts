import { ResourcesAdapter, TransientArmError, type ArmFailure, type DeletePoll } from "../../../lib/azure";
import { Activities } from "../../../lib/function-names";
import type { ArmErrorInfo } from "../../../lib/plan/progress";
import { armConnection, toErrorInfo } from "../../shared/arm";
import { registerActivity } from "../../shared/boundary";
import { deleteResourceInputSchema, type DeleteResourceInput } from "../contracts";

/**
 * One step of deleting a resource (or resource group) by id: without `poll` it starts the delete, with it it looks
 * once at the delete started earlier. The orchestration waits between looks with durable timers, so a cluster's
 * resource group taking longer than a function may run is fine. A resource that was not there is `absent`.
 */

export type DeleteResourceResult =
  | { state: "deleted" }
  | { state: "absent" }
  | { state: "deleting"; poll: DeletePoll; retryAfterSeconds: number }
  | { state: "failed"; error: ArmErrorInfo };

const DEFAULT_RETRY_AFTER_SECONDS = 15;

/**
 * A teardown step's failure: another write to the same parent (a VNet's peerings, a running deployment, a backup
 * instance's operation) is in progress, so it is thrown as transient for Durable to retry; anything else is final.
 */
export function failedUnlessConflict(
  operation: string,
  target: string,
  error: ArmFailure,
): { state: "failed"; error: ArmErrorInfo } {
  if (error.kind === "conflict")
    throw new TransientArmError(operation, target, error.code, error.status, error.correlationId, undefined, error);
  return { state: "failed", error: toErrorInfo(error) };
}

export async function deleteResource(input: DeleteResourceInput, signal: AbortSignal): Promise<DeleteResourceResult> {
  const resources = new ResourcesAdapter(armConnection());
  const result = input.poll
    ? await resources.deleteStatus(input.poll, input.id, { abortSignal: signal })
    : await resources.beginDelete(input.id, input.apiVersion, { abortSignal: signal });
  if (!result.ok) return failedUnlessConflict("delete", input.id, result.error);
  const progress = result.value;
  if (progress.state === "deleted" || progress.state === "absent") return progress;
  return {
    state: "deleting",
    poll: progress.poll,
    retryAfterSeconds: progress.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
  };
}

registerActivity(Activities.deleteResource, deleteResourceInputSchema, deleteResource);
