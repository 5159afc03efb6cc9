import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import { Orchestrations } from "../../lib/function-names";
import type { BuildMode, DeploymentProgress, OutputsByDeployment } from "../../lib/plan/progress";
import type { DeploymentUnit } from "../../lib/plan/types";
import type { DeploymentTarget } from "./contracts";
import { CANCEL_EVENT } from "../../lib/api/instance-ids";
import { EventListener } from "../shared/longRunning";
import { runDeploymentLoop, type DeploymentLoopResult } from "./deploymentLoop";

/** One group of deployments run to the end: a cluster (its AKS deployment, then its add-ons) or the rest of the platform. */
export interface DeployUnitsInput {
  environment: string;
  target: DeploymentTarget;
  /** `cluster <name>` or `platform`: shown in status and errors. */
  label: string;
  mode: BuildMode;
  /** Explicit cap on one deployment's running time; absent, each deployment's own scaled limit. */
  maxDeploymentSeconds?: number;
  units: DeploymentUnit[];
  /** Progress already known for these units (a deployment handed over while running is polled, not restarted). */
  deployments: DeploymentProgress[];
  /** Outputs of the deployments these units depend on. */
  outputs: OutputsByDeployment;
}

export interface DeployUnitsResult extends DeploymentLoopResult {
  label: string;
}

export const deployUnitsOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<DeployUnitsInput>();
  const result = yield* runDeploymentLoop(
    context,
    input.units,
    { deployments: input.deployments, outputs: input.outputs },
    {
      environment: input.environment,
      target: input.target,
      mode: input.mode,
      ...(input.maxDeploymentSeconds !== undefined ? { maxDeploymentSeconds: input.maxDeploymentSeconds } : {}),
      onProgress: (deployments) => context.df.setCustomStatus({ label: input.label, deployments }),
      // The cancel API raises the event on this instance too: it stops here as it does in the parent.
      cancel: new EventListener(context, CANCEL_EVENT),
    },
  );
  // A failed deployment is a result, not an exception: the parent lists every failure of every group.
  return { label: input.label, ...result } satisfies DeployUnitsResult;
};

df.app.orchestration(Orchestrations.deployUnits, deployUnitsOrchestrator);
