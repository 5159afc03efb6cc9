import { z } from "zod";
import type { RestoreClusterInput, RestoreStatus } from "../backup";
import { findEnvironmentOr404, type Environments } from "./environments";
import { cancelRequestFrom, type CancelRequest } from "./cancel-request";
import { reachCancelTree, type CancelTreeView } from "./cancel-tree";
import { buildInstanceId, isActiveStatus, restoreInstanceId, teardownInstanceId } from "./instance-ids";
import { methodNotAllowed, problem, readBody, routeNames, type ApiRequest, type ApiResponse } from "./http";
import { upgradeRunBlocker } from "./upgrade-runs";

/**
 * `POST /api/environments/{env}/clusters/{cluster}/restore` (OPS-7): checks the request, starts the restore
 * orchestration (one per cluster at a time) and answers 202 with where to follow it.
 */

export interface RestoreInstances {
  /** An instance's runtime and custom status, undefined when there is none. */
  get(instanceId: string): Promise<CancelTreeView | undefined>;
  start(instanceId: string, input: RestoreClusterInput): Promise<void>;
  managementUrls(instanceId: string): Record<string, string>;
  /** Raises an external event on an instance (the cancel). */
  raise(instanceId: string, eventName: string, data: unknown): Promise<void>;
}

const bodySchema = z.strictObject({ recoveryPointId: z.string().trim().min(1, "must not be empty").optional() });

/**
 * What keeps a restore of the cluster from starting now, or undefined: another restore of it, a build of the
 * environment, a teardown of the cluster (neither may run under a restore) or an upgrade run of the environment
 * (a restore must not run under it). The API and the CLI ask the same.
 */
export async function restoreBlocker(
  env: string,
  cluster: string,
  instances: Pick<RestoreInstances, "get">,
): Promise<{ instanceId: string; reason: string } | undefined> {
  for (const [instanceId, reason] of [
    [restoreInstanceId(env, cluster), `a restore of cluster ${cluster} is already running`],
    [buildInstanceId(env), `a build of environment ${env} is running; restore cluster ${cluster} after it ends`],
    [
      teardownInstanceId(env, cluster),
      `a teardown of cluster ${cluster} is running; restore cluster ${cluster} after it ends`,
    ],
  ] as const) {
    if (isActiveStatus((await instances.get(instanceId))?.runtimeStatus)) return { instanceId, reason };
  }
  return upgradeRunBlocker(env, `restore cluster ${cluster}`, (id) => instances.get(id));
}

export async function handleRestore(
  request: ApiRequest,
  environments: Pick<Environments, "find" | "list">,
  instances: RestoreInstances,
): Promise<ApiResponse> {
  if (request.method !== "POST") return methodNotAllowed(request.method, ["POST"]);
  const route = routeNames(request, ["env", "cluster"]);
  if (!route.ok) return route.response;
  const { env, cluster: clusterName } = route.names;
  const found = await findEnvironmentOr404(environments, env);
  if (!found.ok) return found.response;
  const { spec } = found;
  const cluster = spec.clusters.find((c) => c.name === clusterName);
  if (!cluster)
    return problem(
      404,
      `environment ${env} has no cluster ${clusterName} (clusters: ${spec.clusters.map((c) => c.name).join(", ")})`,
    );
  if (!cluster.addons.backup)
    return problem(400, `cluster ${clusterName} is not backed up (addons.backup is false), so it cannot be restored`);

  const body = await readBody(request);
  if (!body.ok) return body.response;
  let parsed: unknown = {};
  if (body.text.trim() !== "") {
    try {
      parsed = JSON.parse(body.text);
    } catch (err) {
      return problem(400, `body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const input = bodySchema.safeParse(parsed);
  if (!input.success) {
    const issue = input.error.issues[0];
    return problem(
      400,
      `body ${issue?.path.length ? `field ${issue.path.join(".")}` : ""} ${issue?.message ?? "is invalid"}; expected { "recoveryPointId"?: string }`.replace(
        /\s+/g,
        " ",
      ),
    );
  }

  const instanceId = restoreInstanceId(env, clusterName);
  const blocked = await restoreBlocker(env, clusterName, instances);
  if (blocked)
    return problem(409, blocked.reason, {
      instanceId: blocked.instanceId,
      ...(blocked.instanceId === instanceId
        ? { statusUrl: instances.managementUrls(instanceId)["statusQueryGetUri"] }
        : {}),
    });
  await instances.start(instanceId, {
    spec,
    cluster: clusterName,
    ...(input.data.recoveryPointId !== undefined ? { recoveryPointId: input.data.recoveryPointId } : {}),
  });
  const management = instances.managementUrls(instanceId);
  return {
    status: 202,
    headers: {
      ...(management["statusQueryGetUri"] ? { Location: management["statusQueryGetUri"] } : {}),
      "Retry-After": "30",
    },
    jsonBody: {
      instanceId,
      environment: env,
      cluster: clusterName,
      statusUrl: management["statusQueryGetUri"],
      management,
    },
  };
}

/**
 * `POST /api/environments/{env}/clusters/{cluster}/restore/cancel` stops a running restore before its next step: it
 * raises the cancel event on the restore and on its cluster rebuild (when one runs, so that no new deployment
 * starts). The restore completes `canceled` naming what it left running (a restore job Data Protection cannot
 * cancel); a new `POST …/restore` starts it again.
 */
export async function handleRestoreCancel(
  request: ApiRequest,
  instances: Pick<RestoreInstances, "get" | "raise" | "managementUrls">,
): Promise<ApiResponse> {
  if (request.method !== "POST") return methodNotAllowed(request.method, ["POST"]);
  const route = routeNames(request, ["env", "cluster"]);
  if (!route.ok) return route.response;
  const { env, cluster } = route.names;
  const instanceId = restoreInstanceId(env, cluster);
  const cancelled = await cancelRestore(env, cluster, instances, cancelRequestFrom(request));
  if (!cancelled.ok)
    return problem(
      409,
      !cancelled.raced
        ? `no restore of cluster ${cluster} in environment ${env} is running`
        : `the restore of cluster ${cluster} in environment ${env} ended before the cancel`,
      { runtimeStatus: cancelled.runtimeStatus ?? "none" },
    );
  const statusUrl = instances.managementUrls(instanceId)["statusQueryGetUri"];
  return {
    status: 202,
    headers: statusUrl ? { Location: statusUrl } : {},
    jsonBody: {
      instanceId,
      environment: env,
      cluster,
      cancelling: cancelled.cancelling,
      ...(statusUrl ? { statusUrl } : {}),
      // A rebuild it listed that never appeared: post the cancel again (it is idempotent).
      ...(cancelled.notYetStarted ? { notYetStarted: cancelled.notYetStarted } : {}),
    },
  };
}

/**
 * Raises the cancel on a running restore of the cluster and on its rebuild, reaching a rebuild it starts as the cancel
 * arrives (the build's cancel loop, reachCancelTree), so that no new deployment starts; the restore awaits the
 * rebuild once it hears the cancel. The API and the CLI cancel the same way.
 */
export async function cancelRestore(
  env: string,
  cluster: string,
  instances: Pick<RestoreInstances, "get" | "raise">,
  request: CancelRequest,
): Promise<
  | { ok: true; cancelling: string[]; notYetStarted?: string[] }
  | { ok: false; runtimeStatus: string | undefined; raced: boolean }
> {
  const instanceId = restoreInstanceId(env, cluster);
  const status = (await instances.get(instanceId))?.runtimeStatus;
  if (!isActiveStatus(status)) return { ok: false, runtimeStatus: status, raced: false };
  const { reached, unreached } = await reachCancelTree(
    instanceId,
    instances,
    (root) => {
      const restore = root.customStatus as Partial<RestoreStatus> | undefined;
      return {
        heard: restore?.cancelRequestedAt !== undefined,
        children: restore?.rebuildInstanceId !== undefined ? [restore.rebuildInstanceId] : [],
      };
    },
    request,
  );
  if (!reached.includes(instanceId))
    return { ok: false, runtimeStatus: (await instances.get(instanceId))?.runtimeStatus, raced: true };
  return { ok: true, cancelling: reached, ...(unreached.length > 0 ? { notYetStarted: unreached } : {}) };
}
