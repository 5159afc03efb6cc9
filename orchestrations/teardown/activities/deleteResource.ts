import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { activitySignal } from "../../../lib/activity-signal";
import { ResourcesAdapter, TransientArmError, type DeletePoll } from "../../../lib/azure";
import { Activities } from "../../../lib/function-names";
import type { ArmErrorInfo } from "../../../lib/plan/progress";
import { armConnection, toErrorInfo } from "../../shared/arm";

/**
 * One step of deleting a resource (or resource group) by id: without `poll` it starts the delete, with it it looks
 * once at the delete started earlier. The orchestration waits between looks with durable timers, so a cluster's
 * resource group taking longer than a function may run is fine. A resource that was not there is `absent`.
 */

export interface DeleteResourceInput {
  id: string;
  apiVersion: string;
  poll?: DeletePoll;
}

export type DeleteResourceResult =
  | { state: "deleted" }
  | { state: "absent" }
  | { state: "deleting"; poll: DeletePoll; retryAfterSeconds: number }
  | { state: "failed"; error: ArmErrorInfo };

const DEFAULT_RETRY_AFTER_SECONDS = 15;

export async function deleteResource(input: DeleteResourceInput, signal: AbortSignal): Promise<DeleteResourceResult> {
  const resources = new ResourcesAdapter(armConnection());
  const result = input.poll
    ? await resources.deleteStatus(input.poll, input.id, { abortSignal: signal })
    : await resources.beginDelete(input.id, input.apiVersion, { abortSignal: signal });
  if (!result.ok) {
    // Another write to the same parent (a VNet's peerings, a running deployment) is in progress: wait and retry.
    if (result.error.kind === "conflict")
      throw new TransientArmError(
        "delete",
        input.id,
        result.error.code,
        result.error.status,
        result.error.correlationId,
        undefined,
        result.error,
      );
    return { state: "failed", error: toErrorInfo(result.error) };
  }
  const progress = result.value;
  if (progress.state === "deleted" || progress.state === "absent") return progress;
  return {
    state: "deleting",
    poll: progress.poll,
    retryAfterSeconds: progress.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
  };
}

df.app.activity(Activities.deleteResource, {
  handler: (input: DeleteResourceInput, context: InvocationContext) => deleteResource(input, activitySignal(context)),
});
