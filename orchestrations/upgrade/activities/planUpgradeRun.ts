import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { activitySignal } from "../../../lib/activity-signal";
import { Activities } from "../../../lib/function-names";
import { planUpgradeRun } from "../planRun";
import type { PlanUpgradeRunInput } from "../contracts";

/** Reads every cluster and plans the run (./planRun.ts). */
df.app.activity(Activities.planUpgradeRun, {
  handler: (input: PlanUpgradeRunInput, context: InvocationContext) => planUpgradeRun(input, activitySignal(context)),
});
