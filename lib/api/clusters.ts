import type { PlatformSpec } from "../spec";
import { instanceStatusResponse, isActive, type InstanceView } from "./builds";
import { findEnvironmentOr404, type Environments } from "./environments";
import { buildInstanceId, restoreInstanceId, teardownInstanceId } from "./instance-ids";
import { methodNotAllowed, problem, routeNames, type ApiRequest, type ApiResponse } from "./http";

/**
 * `DELETE /environments/{env}/clusters/{cluster}` tears one cluster down (RG-1: per-cluster groups come and go
 * independently); `GET` on the same URL reports the teardown. The environment's spec is the registry's (the one it
 * was last submitted with, else the offered seed), so the teardown removes what was built.
 */

export interface TeardownClusterInput {
  spec: PlatformSpec;
  cluster: string;
}

/** One thing the teardown deletes, and how that went. */
export interface TeardownStep {
  /** What it is, for people: "peering peer-to-vnet-app2 of vnet-mgmt". */
  what: string;
  id: string;
  state: "pending" | "deleting" | "deleted" | "failed";
  error?: { code: string; message: string };
}

export interface TeardownStatus {
  environment: string;
  cluster: string;
  stage: "planning" | "forgetting deployments" | "detaching" | "deleting resource group" | "done";
  startedAt: string;
  steps: TeardownStep[];
  /** What stays on purpose, with why. */
  kept: string[];
}

export interface TeardownResult {
  environment: string;
  cluster: string;
  succeeded: boolean;
  startedAt: string;
  endedAt: string;
  steps: TeardownStep[];
  kept: string[];
  /** Deployment records removed so the next build recreates the cluster. */
  forgottenDeployments: string[];
  /** Why the teardown stopped before deleting anything (reading the cluster or forgetting its deployments failed). */
  reason?: string;
}

/** What the cluster API needs from Durable Functions (the durable client in Azure, the local driver outside). */
export interface ClusterInstances {
  get(instanceId: string): Promise<InstanceView | undefined>;
  startTeardown(instanceId: string, input: TeardownClusterInput): Promise<void>;
  managementUrls(instanceId: string): Record<string, string>;
}

export { teardownInstanceId };

/** Why a teardown of `cluster` cannot start now (409), or undefined when nothing is in its way. */
export async function teardownBlocker(
  env: string,
  cluster: string,
  instances: ClusterInstances,
): Promise<ApiResponse | undefined> {
  const blockers: [string, string][] = [
    [buildInstanceId(env), `a build of environment ${env} is running; tear down cluster ${cluster} after it ends`],
    [restoreInstanceId(env, cluster), `a restore of cluster ${cluster} is running`],
    [teardownInstanceId(env, cluster), `a teardown of cluster ${cluster} is already running`],
  ];
  for (const [instanceId, message] of blockers) {
    const view = await instances.get(instanceId);
    if (isActive(view))
      return problem(409, message, {
        instanceId,
        runtimeStatus: view!.runtimeStatus,
        ...statusUrl(instances, instanceId),
      });
  }
  return undefined;
}

export async function handleClusterTeardown(
  request: ApiRequest,
  instances: ClusterInstances,
  environments: Pick<Environments, "find" | "list">,
): Promise<ApiResponse> {
  if (request.method !== "DELETE" && request.method !== "GET")
    return methodNotAllowed(request.method, ["DELETE", "GET"]);
  const route = routeNames(request, ["env", "cluster"]);
  if (!route.ok) return route.response;
  const { env, cluster: clusterName } = route.names;
  const instanceId = teardownInstanceId(env, clusterName);
  if (request.method === "GET") return teardownStatusResponse(env, clusterName, instanceId, instances);

  const found = await findEnvironmentOr404(environments, env);
  if (!found.ok) return found.response;
  const { spec } = found;
  if (!spec.clusters.some((c) => c.name === clusterName))
    return problem(
      404,
      `environment ${env} has no cluster ${clusterName} (clusters: ${spec.clusters.map((c) => c.name).join(", ")})`,
      { clusters: spec.clusters.map((c) => c.name) },
    );
  const blocked = await teardownBlocker(env, clusterName, instances);
  if (blocked) return blocked;

  await instances.startTeardown(instanceId, { spec, cluster: clusterName });
  return {
    status: 202,
    headers: { Location: request.url, "Retry-After": "30" },
    jsonBody: {
      instanceId,
      environment: env,
      cluster: clusterName,
      statusUrl: request.url,
      management: instances.managementUrls(instanceId),
    },
  };
}

async function teardownStatusResponse(
  env: string,
  cluster: string,
  instanceId: string,
  instances: ClusterInstances,
): Promise<ApiResponse> {
  const view = await instances.get(instanceId);
  if (!view) return problem(404, `no teardown of cluster ${cluster} in environment ${env} has been started`);
  return instanceStatusResponse(view, view.customStatus);
}

function statusUrl(instances: ClusterInstances, instanceId: string): { statusUrl?: string } {
  const url = instances.managementUrls(instanceId)["statusQueryGetUri"];
  return url !== undefined ? { statusUrl: url } : {};
}
