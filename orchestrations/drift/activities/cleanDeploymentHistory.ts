import { DeploymentHistoryAdapter } from "../../../lib/azure";
import { historyCleanup } from "../../../lib/drift";
import { Activities } from "../../../lib/function-names";
import { armConnection } from "../../shared/arm";
import { registerActivity } from "../../shared/boundary";
import { INPUT_DIGEST_TAG } from "../../shared/templates";
import {
  cleanDeploymentHistoryInputSchema,
  type CleanDeploymentHistoryInput,
  type CleanDeploymentHistoryResult,
} from "../contracts";

/**
 * Keeps each group's deployment history well under ARM's 800 (azure-notes.md, deployment history): deletes the
 * app's own superseded records (tagged with the input digest, finished, no longer a unit of the plan), never
 * anyone else's. A group that cannot be read is reported, not fatal.
 */
export async function cleanDeploymentHistory(
  input: CleanDeploymentHistoryInput,
  signal: AbortSignal,
): Promise<CleanDeploymentHistoryResult> {
  const history = new DeploymentHistoryAdapter(armConnection(), input.subscriptionId);
  const current = new Set(input.currentUnits);
  const out: CleanDeploymentHistoryResult = { removed: [], kept: [], problems: [] };
  for (const resourceGroup of input.resourceGroups) {
    const records = await history.list(resourceGroup, { abortSignal: signal });
    if (!records.ok) {
      if (records.error.kind !== "notFound") out.problems.push(`${resourceGroup}: ${records.error.message}`);
      continue;
    }
    const plan = historyCleanup(records.value, current, INPUT_DIGEST_TAG);
    for (const name of plan.remove) {
      const deleted = await history.delete(resourceGroup, name, { abortSignal: signal });
      if (deleted.ok) out.removed.push({ resourceGroup, name });
      else out.problems.push(`${resourceGroup}/${name}: ${deleted.error.message}`);
    }
    if (plan.warning) out.problems.push(`${resourceGroup}: ${plan.warning}`);
    out.kept.push({ resourceGroup, own: records.value.length - plan.others - plan.remove.length, others: plan.others });
  }
  return out;
}

registerActivity(Activities.cleanDeploymentHistory, cleanDeploymentHistoryInputSchema, cleanDeploymentHistory);
