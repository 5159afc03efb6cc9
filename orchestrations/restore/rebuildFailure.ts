import { TaskFailedError, type FailureDetails } from "durable-functions";

/**
 * The innermost message of a failed Durable task. durable-functions 3.x throws a TaskFailedError whose
 * `failureDetails.innerFailure` chain ends at the first failure (node_modules/durable-functions/types/taskFailedError.d.ts),
 * or a plain Error built from the host's Reason/Details; each level of a sub-orchestration wraps the message of the
 * one below ("Orchestrator function 'x' failed: …", "Activity function 'y' failed: …"). Wrappers name no cause: dropped.
 */
export function innermostFailure(err: unknown): string {
  let details: FailureDetails | undefined = err instanceof TaskFailedError ? err.failureDetails : undefined;
  while (details?.innerFailure) details = details.innerFailure;
  let message = details?.errorMessage ?? (err instanceof Error ? err.message : String(err));
  for (let previous = ""; previous !== message;) {
    previous = message;
    message = message.replace(WRAPPER, "").trim();
  }
  return message || "no details";
}

/** One level of wrapping: an error type prefix, or a Durable "function … failed:" / "Sub-orchestration … ended:" line. */
const WRAPPER =
  /^(?:(?:TaskFailed|OrchestrationFailed|Terminated)?Error: |(?:Orchestrator|Activity) function '[^']*' failed: |Sub-orchestration "[^"]*" \(instance "[^"]*"\) (?:failed|terminated): )/;
