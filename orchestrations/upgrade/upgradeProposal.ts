import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import { Activities, Orchestrations } from "../../lib/function-names";
import type { UpgradePlan } from "../../lib/upgrade";
import { settleAll, transientRetry } from "../shared/longRunning";
import { orchestrationInput } from "../shared/boundary";
import { upgradeProposalInputSchema, type NotifyUpgradeInput, type PlanUpgradeRunInput } from "./contracts";

/**
 * `NewKubernetesVersionAvailable` / `ClusterSupportEnding`: plan an upgrade run to the announced version against
 * what AKS reports now and propose it (what would change per cluster, or why it cannot be done yet, and how to
 * start it). Nothing is upgraded. The instance id is the proposal's key, so the same version is proposed once.
 */
export const upgradeProposalOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = orchestrationInput(context, upgradeProposalInputSchema);
  const plan = (yield context.df.callActivityWithRetry(Activities.planUpgradeRun, transientRetry, {
    spec: input.spec,
    target: input.target,
  } satisfies PlanUpgradeRunInput)) as UpgradePlan;
  const changes = [
    ...plan.clusters.flatMap((c) => c.changes.map((ch) => `${c.cluster}: ${ch}`)),
    ...plan.problems.map((p) => `cannot yet: ${p}`),
  ];
  yield* settleAll(context, [
    context.df.callActivity(Activities.notifyUpgrade, {
      message: {
        kind: "proposed",
        cluster: input.cluster,
        reason: input.reason,
        changes,
        environment: input.spec.name,
        runId: "proposal",
        target: input.target,
        correlationId: context.df.instanceId,
        occurredAt: context.df.currentUtcDateTime.toISOString(),
      },
      notifications: input.spec.notifications,
    } satisfies NotifyUpgradeInput),
  ]);
  return { proposed: input.target, problems: plan.problems };
};

df.app.orchestration(Orchestrations.upgradeProposal, upgradeProposalOrchestrator);
