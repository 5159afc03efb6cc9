import { NetworkManagersAdapter, type NetworkManagerDeployment } from "../../../lib/azure";
import { resourceGroupPrefix } from "../../../lib/arm/ids";
import { Activities } from "../../../lib/function-names";
import type { ArmErrorInfo } from "../../../lib/plan/progress";
import {
  networkManagerCommitRequestSchema,
  type DeploymentStatusResult,
  type NetworkManagerCommitRequest,
  type StartDeploymentResult,
} from "../contracts";
import { registerActivity } from "../../shared/boundary";
import { armConnection, toErrorInfo } from "../../shared/arm";

/**
 * The commit of a Virtual Network Manager configuration, after the unit that deployed it succeeded: posted only
 * when the region does not already have exactly these configurations in effect (a rebuild commits nothing), then
 * read by `getNetworkManagerCommitStatus` at the scheduler's pace like a deployment.
 */

function managerId(request: NetworkManagerCommitRequest): string {
  return `${resourceGroupPrefix(request.subscriptionId, request.resourceGroup)}/providers/Microsoft.Network/networkManagers/${request.networkManager}`;
}

const sameIds = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((id) => b.some((other) => other.toLowerCase() === id.toLowerCase()));

/** Every target region has exactly the request's configurations, in one of these states. */
function everyRegion(
  deployments: readonly NetworkManagerDeployment[],
  request: NetworkManagerCommitRequest,
  states: readonly NetworkManagerDeployment["status"][],
): boolean {
  return deployments.every((d) => states.includes(d.status) && sameIds(d.configurationIds, request.configurationIds));
}

/** What each target region has in effect (or is applying) for the request's commit type. */
async function commitState(
  request: NetworkManagerCommitRequest,
  signal: AbortSignal,
): Promise<{ ok: true; deployments: NetworkManagerDeployment[] } | { ok: false; error: ArmErrorInfo }> {
  const adapter = new NetworkManagersAdapter(armConnection());
  const deployments: NetworkManagerDeployment[] = [];
  for (const region of request.targetLocations) {
    const status = await adapter.deploymentStatus(managerId(request), region, request.commitType, {
      abortSignal: signal,
    });
    if (!status.ok) return { ok: false, error: toErrorInfo(status.error) };
    deployments.push(status.value);
  }
  return { ok: true, deployments };
}

export async function commitNetworkManager(
  request: NetworkManagerCommitRequest,
  signal: AbortSignal,
): Promise<StartDeploymentResult> {
  const current = await commitState(request, signal);
  if (!current.ok) return { kind: "failed", error: current.error };
  if (everyRegion(current.deployments, request, ["Deployed"])) return { kind: "reused", outputs: {} };
  // A commit of these configurations already under way everywhere (a resumed or handed-over build): poll it.
  if (everyRegion(current.deployments, request, ["Deployed", "Deploying"]))
    return { kind: "accepted", retryAfterSeconds: 30 };
  const posted = await new NetworkManagersAdapter(armConnection()).commit(
    managerId(request),
    {
      commitType: request.commitType,
      configurationIds: request.configurationIds,
      targetLocations: request.targetLocations,
    },
    { abortSignal: signal },
  );
  if (!posted.ok) return { kind: "failed", error: toErrorInfo(posted.error) };
  return { kind: "accepted", retryAfterSeconds: posted.value.retryAfterSeconds ?? 10 };
}

export async function getNetworkManagerCommitStatus(
  request: NetworkManagerCommitRequest,
  signal: AbortSignal,
): Promise<DeploymentStatusResult> {
  const current = await commitState(request, signal);
  if (!current.ok) return { state: "failed", error: current.error };
  const failed = current.deployments.find((d) => d.status === "Failed");
  if (failed)
    return {
      state: "failed",
      error: {
        code: "NetworkManagerCommitFailed",
        message: `commit of ${request.configurationIds.join(", ")} on ${request.networkManager} failed: ${failed.errorMessage ?? "no message"}`,
        target: managerId(request),
      },
    };
  return everyRegion(current.deployments, request, ["Deployed"])
    ? { state: "succeeded", outputs: {} }
    : { state: "running", retryAfterSeconds: 30 };
}

registerActivity(Activities.commitNetworkManager, networkManagerCommitRequestSchema, (input, signal) =>
  commitNetworkManager(input, signal),
);
registerActivity(Activities.getNetworkManagerCommitStatus, networkManagerCommitRequestSchema, (input, signal) =>
  getNetworkManagerCommitStatus(input, signal),
);
