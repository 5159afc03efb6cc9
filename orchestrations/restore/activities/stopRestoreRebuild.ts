import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { reachCancelTree, type CancelTreeReach } from "../../../lib/api/cancel-tree";
import { Activities } from "../../../lib/function-names";
import { durableBuildInstances } from "../../shared/durableBuilds";
import { registerActivity } from "../../shared/boundary";
import { stopRestoreRebuildInputSchema, type StopRestoreRebuildInput } from "../contracts";

/**
 * The restore stops its own rebuild: a cancel the restore heard while the cancel API's reach (lib/api/cancel-tree,
 * 10 s) missed the rebuild (it started after) is raised on the rebuild here, as the API raises it. An orchestrator
 * cannot raise an event, so an activity does it with the durable client: durable-functions 3.x gives any function,
 * an activity too, the client through `extraInputs: [df.input.durableClient()]` and `df.getClient(context)`
 * (node_modules/durable-functions/types/activity.d.ts `ActivityOptions.extraInputs`, types/index.d.ts `getClient`).
 * The rebuild (a deployUnits) lists no sub-orchestrations and hears the cancel at its next wait: one raise, repeated
 * while the rebuild has not appeared yet; raising it twice is harmless (it acts on the first).
 */
export async function stopRestoreRebuild(
  input: StopRestoreRebuildInput,
  _signal: AbortSignal,
  context: InvocationContext,
): Promise<Pick<CancelTreeReach, "reached" | "unreached">> {
  const { reached, unreached } = await reachCancelTree(
    input.rebuildInstanceId,
    durableBuildInstances(df.getClient(context)),
    () => ({ heard: true, children: [] }),
    input.request,
  );
  return { reached, unreached };
}

registerActivity(Activities.stopRestoreRebuild, stopRestoreRebuildInputSchema, stopRestoreRebuild, {
  extraInputs: [df.input.durableClient()],
});
