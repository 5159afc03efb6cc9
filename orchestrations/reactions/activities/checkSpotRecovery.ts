import { AksAdapter } from "../../../lib/azure";
import { Activities } from "../../../lib/function-names";
import {
  CAPACITY_EVENTS_COMMAND,
  observeSpotRecovery,
  spotRecoveryCommand,
  type SpotRecoveryObservation,
} from "../../../lib/ops/reactions";
import { armConnection } from "../../shared/arm";
import { registerActivity } from "../../shared/boundary";
import { checkSpotRecoveryInputSchema, type CheckSpotRecoveryInput } from "../contracts";

export type CheckSpotRecoveryResult = { ok: true; observation: SpotRecoveryObservation } | { ok: false; error: string };

/**
 * OPS-2: looks at the cluster through AKS run command (works for private clusters): Spot nodes and their Ready
 * condition, Pending pods, and Karpenter's insufficient-capacity events. Transient ARM failures throw (the
 * orchestrator retries); anything else is a result the watch reports.
 */
export async function checkSpotRecovery(
  input: CheckSpotRecoveryInput,
  signal: AbortSignal,
): Promise<CheckSpotRecoveryResult> {
  const aks = new AksAdapter(armConnection(), input.subscriptionId);
  const where = `cluster ${input.cluster} (${input.aksName})`;
  const main = await aks.runCommand(input.resourceGroup, input.aksName, spotRecoveryCommand(input.pool), {
    abortSignal: signal,
  });
  if (!main.ok) return { ok: false, error: `${where}: run command failed: ${main.error.code}: ${main.error.message}` };
  if (main.value.exitCode !== 0) {
    return { ok: false, error: `${where}: kubectl exited ${main.value.exitCode}: ${main.value.logs.slice(0, 300)}` };
  }
  const events = await aks.runCommand(input.resourceGroup, input.aksName, CAPACITY_EVENTS_COMMAND, {
    abortSignal: signal,
  });
  // Without readable capacity events the watch still decides on nodes and pods; zones are then unknown.
  const eventLogs = events.ok && events.value.exitCode === 0 ? events.value.logs : undefined;
  try {
    return { ok: true, observation: observeSpotRecovery(main.value.logs, eventLogs, input.since) };
  } catch (err) {
    return { ok: false, error: `${where}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

registerActivity(Activities.checkSpotRecovery, checkSpotRecoveryInputSchema, (input, signal) =>
  checkSpotRecovery(input, signal),
);
