import { AksAdapter } from "../../../lib/azure";
import { readWorkloads, WORKLOAD_CHECK_COMMAND, type WorkloadCheck } from "../../../lib/backup";
import { Activities } from "../../../lib/function-names";
import { armConnection } from "../../shared/arm";
import { registerActivity } from "../../shared/boundary";
import { checkWorkloadsInputSchema, type CheckWorkloadsInput } from "../contracts";

/** OPS-7: after the restore, are the workloads running again? (AKS run command; works on private clusters.) */
export async function checkWorkloads(input: CheckWorkloadsInput, signal: AbortSignal): Promise<WorkloadCheck> {
  const aks = new AksAdapter(armConnection(), input.subscriptionId);
  const outcome = await aks.runCommand(input.resourceGroup, input.aksName, WORKLOAD_CHECK_COMMAND, {
    abortSignal: signal,
  });
  if (!outcome.ok)
    return {
      ok: false,
      total: 0,
      running: 0,
      notReady: [],
      message: `run command failed: ${outcome.error.code}: ${outcome.error.message}`,
    };
  return readWorkloads(outcome.value.exitCode, outcome.value.logs);
}

registerActivity(Activities.checkWorkloads, checkWorkloadsInputSchema, checkWorkloads);
