import { Activities } from "../../../lib/function-names";
import { deploymentRefSchema, type DeploymentRef, type DeploymentStatusResult } from "../contracts";
import { registerActivity } from "../../shared/boundary";
import { adapterRef, deploymentsFor, toErrorInfo } from "../../shared/arm";

/** One status check of a running deployment; a failed one comes back with the failing resources' own ARM errors. */
export async function getDeploymentStatus(ref: DeploymentRef, signal: AbortSignal): Promise<DeploymentStatusResult> {
  const deployments = deploymentsFor(ref.subscriptionId);
  const target = adapterRef(ref);
  const status = await deployments.status(target, { abortSignal: signal });
  if (!status.ok)
    return status.error.status === 404
      ? { state: "vanished", error: toErrorInfo(status.error) }
      : { state: "failed", error: toErrorInfo(status.error) };
  const correlation = status.value.correlationId !== undefined ? { correlationId: status.value.correlationId } : {};
  switch (status.value.state) {
    case "running":
      return { state: "running", retryAfterSeconds: status.value.retryAfterSeconds ?? 10, ...correlation };
    case "succeeded":
      return { state: "succeeded", outputs: status.value.outputs, ...correlation };
    case "failed":
    case "canceled": {
      const operations = await deployments.operations(target, { abortSignal: signal });
      const failedResources = operations.ok
        ? operations.value
            .filter((op) => op.error !== undefined)
            .map((op) => ({ ...op.error!, target: op.targetId ?? op.resourceName ?? op.error!.target }))
        : [];
      const top = status.value.error ?? {
        code: status.value.state === "canceled" ? "DeploymentCanceled" : "DeploymentFailed",
        message: `deployment ${ref.name} ${status.value.state}`,
      };
      return {
        state: "failed",
        error: toErrorInfo({ ...top, details: failedResources.length > 0 ? failedResources : (top.details ?? []) }),
        ...correlation,
      };
    }
  }
}

registerActivity(Activities.getDeploymentStatus, deploymentRefSchema, (input, signal) =>
  getDeploymentStatus(input, signal),
);
