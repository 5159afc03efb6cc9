import { Activities } from "../../../lib/function-names";
import { planUpgradeRun } from "../planRun";
import { registerActivity } from "../../shared/boundary";
import { planUpgradeRunInputSchema } from "../contracts";

/** Reads every cluster and plans the run (./planRun.ts). */
registerActivity(Activities.planUpgradeRun, planUpgradeRunInputSchema, planUpgradeRun);
