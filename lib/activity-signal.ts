/**
 * How an activity gets its AbortSignal. The local durable driver passes one per invocation as the extra input named
 * `ABORT_SIGNAL_INPUT` (aborted when the instance is terminated or the driver stops). The Azure Functions host has no
 * such input, so there the signal aborts after the function timeout (host.json `functionTimeout`, 10 minutes).
 */
export const ABORT_SIGNAL_INPUT = "abortSignal";

export const DEFAULT_FUNCTION_TIMEOUT_MS = 10 * 60_000;

/** The part of an InvocationContext this helper reads (kept structural: lib/ does not import @azure/functions). */
export interface ExtraInputsCarrier {
  extraInputs: { get(name: string): unknown };
}

export function activitySignal(context: ExtraInputsCarrier, timeoutMs = DEFAULT_FUNCTION_TIMEOUT_MS): AbortSignal {
  const provided = context.extraInputs.get(ABORT_SIGNAL_INPUT);
  return provided instanceof AbortSignal ? provided : AbortSignal.timeout(timeoutMs);
}
