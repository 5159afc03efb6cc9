import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import { Orchestrations } from "../../lib/function-names";
import { statusDeployments } from "../../lib/plan/progress";
import { deployUnitsInputSchema, type DeployUnitsInput } from "./contracts";
import { orchestrationInput } from "../shared/boundary";
import { CANCEL_EVENT } from "../../lib/api/instance-ids";
import { EventListener } from "../shared/longRunning";
import { runDeploymentLoop, type DeploymentLoopResult } from "./deploymentLoop";

export type { DeployUnitsInput };

/** One group of deployments run to the end: a cluster (its AKS deployment, then its add-ons) or the rest of the platform. */
export interface DeployUnitsResult extends DeploymentLoopResult {
  label: string;
}

export const deployUnitsOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = orchestrationInput(context, deployUnitsInputSchema);
  // A group is one cluster's units or the shared ones: its status lists that cluster's deployments (those the
  // build ran before the hand-over too), within Durable's 16 KB however many clusters the platform has.
  const cluster = input.units[0]?.cluster;
  // Listed from the start: the build's own status no longer lists a cluster's deployments, running ones included.
  context.df.setCustomStatus({ label: input.label, deployments: statusDeployments(input.deployments, cluster) });
  const result = yield* runDeploymentLoop(
    context,
    input.units,
    { deployments: input.deployments, outputs: input.outputs },
    {
      environment: input.environment,
      target: input.target,
      mode: input.mode,
      ...(input.maxDeploymentSeconds !== undefined ? { maxDeploymentSeconds: input.maxDeploymentSeconds } : {}),
      onProgress: (deployments) =>
        context.df.setCustomStatus({ label: input.label, deployments: statusDeployments(deployments, cluster) }),
      // The cancel API raises the event on this instance too: it stops here as it does in the parent.
      cancel: new EventListener(context, CANCEL_EVENT),
    },
  );
  // A failed deployment is a result, not an exception: the parent lists every failure of every group.
  return { label: input.label, ...result } satisfies DeployUnitsResult;
};

df.app.orchestration(Orchestrations.deployUnits, deployUnitsOrchestrator);
