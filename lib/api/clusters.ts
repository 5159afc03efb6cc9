import { z } from "zod";
import { platformSpecSchema, type PlatformSpec } from "../spec";
import { instanceStatusResponse, isActive, type BuildInstances, type InstanceView } from "./builds";
import { cancelRequestFrom } from "./cancel-request";
import { findEnvironmentOr404, type Environments } from "./environments";
import { buildInstanceId, CANCEL_EVENT, restoreInstanceId, teardownInstanceId } from "./instance-ids";
import { methodNotAllowed, problem, routeNames, type ApiRequest, type ApiResponse } from "./http";
import { upgradeRunBlocker } from "./upgrade-runs";

/**
 * `DELETE /environments/{env}/clusters/{cluster}` tears one cluster down (RG-1: per-cluster groups come and go
 * independently); `GET` on the same URL reports the teardown. The environment's spec is the registry's (the one it
 * was last submitted with, else the offered seed), so the teardown removes what was built.
 */

export const teardownClusterInputSchema = z.object({
  spec: platformSpecSchema,
  cluster: z.string(),
  /**
   * Delete the cluster's backup instance and with it every recovery point. By default the teardown only stops its
   * protection and keeps the recovery points, so the cluster can be restored later.
   */
  deleteBackups: z.boolean().optional(),
  /**
   * The creation times of the environment's build and the cluster's restore instances when the teardown was asked
   * for: a build or restore whose instance differs later ran after it (instance ids are reused, so this needs no
   * clock comparison across processes, whose local clocks may be scaled differently).
   */
  supersedes: z.object({ build: z.string().optional(), restore: z.string().optional() }).optional(),
});
export type TeardownClusterInput = z.infer<typeof teardownClusterInputSchema>;

/**
 * One thing the teardown deletes (or, for a kept backup instance, stops protecting), and how that went. `absent`:
 * there was nothing to delete; `stopped`: a backup instance no longer backs up, its recovery points are kept.
 */
export const teardownStepSchema = z.object({
  /** What it is, for people: "peering peer-to-vnet-app2 of vnet-mgmt". */
  what: z.string(),
  id: z.string(),
  state: z.enum(["pending", "deleting", "deleted", "absent", "stopped", "failed"]),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type TeardownStep = z.infer<typeof teardownStepSchema>;

/** A step that has nothing left to do. */
export function stepDone(step: TeardownStep): boolean {
  return step.state === "deleted" || step.state === "absent" || step.state === "stopped";
}

export interface TeardownStatus {
  environment: string;
  cluster: string;
  stage:
    | "planning"
    | "forgetting deployments"
    | "stopping backup protection"
    | "detaching"
    | "deleting resource group"
    | "cancelling"
    | "done";
  startedAt: string;
  steps: TeardownStep[];
  /** What stays on purpose, with why. */
  kept: string[];
  /** Set when a cancel reached the teardown: no delete starts after it; deletes ARM accepted are awaited. */
  cancelRequestedAt?: string;
}

/** What a cancel did to a teardown: deletes ARM had accepted were awaited, none started after. */
const teardownCancellationSchema = z.object({
  requestedAt: z.string(),
  request: z.string().optional(),
  requestedBy: z.string().optional(),
  /** What was deleted (before the cancel, or by a delete ARM had already accepted). */
  deleted: z.array(z.string()),
  /** What is still there: never started, or a delete that failed. */
  left: z.array(z.string()),
});
export type TeardownCancellation = z.infer<typeof teardownCancellationSchema>;

export const teardownResultSchema = z.object({
  environment: z.string(),
  cluster: z.string(),
  succeeded: z.boolean(),
  startedAt: z.string(),
  endedAt: z.string(),
  steps: z.array(teardownStepSchema),
  kept: z.array(z.string()),
  /** Deployment records removed so the next build recreates the cluster. */
  forgottenDeployments: z.array(z.string()),
  /** Why the teardown stopped before deleting anything (reading the cluster or forgetting its deployments failed). */
  reason: z.string().optional(),
  /** Present when a person cancelled it: it stopped before its next delete, on purpose (run it again to finish). */
  canceled: teardownCancellationSchema.optional(),
});
export type TeardownResult = z.infer<typeof teardownResultSchema>;

/** What the cluster API needs from Durable Functions (the durable client in Azure, the local driver outside). */
export interface ClusterInstances {
  get(instanceId: string): Promise<InstanceView | undefined>;
  startTeardown(instanceId: string, input: TeardownClusterInput): Promise<void>;
  managementUrls(instanceId: string): Record<string, string>;
}

export { teardownInstanceId };

/** The input of a teardown of `cluster` started now. */
export async function teardownInput(
  spec: PlatformSpec,
  cluster: string,
  deleteBackups: boolean,
  instances: Pick<ClusterInstances, "get">,
): Promise<TeardownClusterInput> {
  const [build, restore] = await Promise.all([
    instances.get(buildInstanceId(spec.name)),
    instances.get(restoreInstanceId(spec.name, cluster)),
  ]);
  return {
    spec,
    cluster,
    ...(deleteBackups ? { deleteBackups: true } : {}),
    supersedes: {
      ...(build?.createdTime !== undefined ? { build: build.createdTime } : {}),
      ...(restore?.createdTime !== undefined ? { restore: restore.createdTime } : {}),
    },
  };
}

/** Why a teardown of `cluster` cannot start now (409), or undefined when nothing is in its way. */
export async function teardownBlocker(
  env: string,
  cluster: string,
  instances: Pick<ClusterInstances, "get" | "managementUrls">,
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
  const upgrading = await upgradeRunBlocker(env, `tear down cluster ${cluster}`, (id) => instances.get(id));
  return upgrading && problem(409, upgrading.reason, { instanceId: upgrading.instanceId, runId: upgrading.runId });
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

  const deleteBackups = request.query.get("deleteBackups");
  if (deleteBackups !== null && !["true", "false"].includes(deleteBackups))
    return problem(
      400,
      `deleteBackups must be true or false, not '${deleteBackups}' (true deletes the cluster's recovery points for good)`,
    );
  await instances.startTeardown(
    instanceId,
    await teardownInput(spec, clusterName, deleteBackups === "true", instances),
  );
  return {
    status: 202,
    headers: { Location: request.url, "Retry-After": "30" },
    jsonBody: {
      instanceId,
      environment: env,
      cluster: clusterName,
      backups: deleteBackups === "true" ? "deleted with the backup instance" : "kept (protection stopped)",
      statusUrl: request.url,
      management: instances.managementUrls(instanceId),
    },
  };
}

/**
 * `POST /environments/{env}/clusters/{cluster}/teardown/cancel` stops a running teardown before its next delete:
 * it raises the cancel event the teardown waits on. Deletes ARM has accepted cannot be cancelled (a resource group
 * delete runs to its end) and are awaited; nothing starts after; the teardown completes `Canceled` naming what was
 * deleted and what is left, and a new `DELETE` finishes it.
 */
export async function handleClusterTeardownCancel(
  request: ApiRequest,
  instances: Pick<ClusterInstances, "get"> & Pick<BuildInstances, "raise">,
): Promise<ApiResponse> {
  if (request.method !== "POST") return methodNotAllowed(request.method, ["POST"]);
  const route = routeNames(request, ["env", "cluster"]);
  if (!route.ok) return route.response;
  const { env, cluster } = route.names;
  const instanceId = teardownInstanceId(env, cluster);
  const view = await instances.get(instanceId);
  if (!isActive(view))
    return problem(409, `no teardown of cluster ${cluster} in environment ${env} is running`, {
      runtimeStatus: view?.runtimeStatus ?? "none",
    });
  try {
    await instances.raise(instanceId, CANCEL_EVENT, cancelRequestFrom(request));
  } catch (err) {
    // It ended between the read and the raise: nothing left to stop.
    const now = await instances.get(instanceId);
    if (isActive(now)) throw err;
    return problem(409, `the teardown of cluster ${cluster} in environment ${env} ended before the cancel`, {
      runtimeStatus: now?.runtimeStatus ?? "none",
    });
  }
  const statusUrl = request.url.replace(/\/teardown\/cancel(?=$|\?)/, "");
  return {
    status: 202,
    headers: { Location: statusUrl },
    jsonBody: { instanceId, environment: env, cluster, cancelling: [instanceId], statusUrl },
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

function statusUrl(instances: Pick<ClusterInstances, "managementUrls">, instanceId: string): { statusUrl?: string } {
  const url = instances.managementUrls(instanceId)["statusQueryGetUri"];
  return url !== undefined ? { statusUrl: url } : {};
}

/**
 * What the last teardown did to a cluster, as `status` and the operations page show it, when that is newer than
 * the work that (re)built it: `removed` (and when, and what happened to its backups), `tearing down`, or
 * `teardown failed`. A build or a successful restore started after the teardown ended brings the cluster back
 * (a teardown cannot start while either runs, so start times order them).
 */
export interface ClusterRemoval {
  state: "removed" | "tearing down" | "teardown failed";
  /** When the teardown ended (or, while it runs, started). */
  at: string;
  /** The steps that did not finish, for `teardown failed`. */
  left?: string[];
  backups?: "kept" | "deleted";
}

export async function clusterRemoval(
  env: string,
  cluster: string,
  instances: Pick<ClusterInstances, "get">,
): Promise<ClusterRemoval | undefined> {
  const teardown = await instances.get(teardownInstanceId(env, cluster));
  if (!teardown) return undefined;
  if (isActive(teardown)) return { state: "tearing down", at: teardown.createdTime ?? teardown.lastUpdatedTime ?? "" };
  const ended = teardown.lastUpdatedTime ?? "";
  const [build, restore] = await Promise.all([
    instances.get(buildInstanceId(env)),
    instances.get(restoreInstanceId(env, cluster)),
  ]);
  const restored = (restore?.output as { outcome?: unknown } | undefined)?.outcome === "restored";
  const input = teardown.input as Partial<TeardownClusterInput> | undefined;
  const since = input?.supersedes;
  const after = (view: InstanceView | undefined, recorded: string | undefined) =>
    view?.createdTime !== undefined && (since ? view.createdTime !== recorded : view.createdTime > ended);
  if (after(build, since?.build) || (restored && after(restore, since?.restore))) return undefined;
  const backups = input?.deleteBackups === true ? "deleted" : "kept";
  if (teardown.runtimeStatus === "Completed") return { state: "removed", at: ended, backups };
  const steps = (teardown.customStatus as TeardownStatus | undefined)?.steps ?? [];
  return { state: "teardown failed", at: ended, left: steps.filter((s) => !stepDone(s)).map((s) => s.what) };
}
