import { z } from "zod";
import { upgradeInstanceId, upgradeTargetSchema, type UpgradeRunInput, type UpgradeRunStatus } from "../upgrade";
import { instanceStatusResponse, isActive, type InstanceView } from "./builds";
import { findEnvironmentOr404, type Environments } from "./environments";
import { methodNotAllowed, problem, readBody, routeNames, type ApiRequest, type ApiResponse } from "./http";
import { buildInstanceId, restoreInstanceId, teardownInstanceId } from "./instance-ids";
import { runOf } from "./upgrade-runs";

/**
 * The upgrade API (issue 20): `POST/GET /environments/{env}/upgrades`, `GET /environments/{env}/upgrades/{id}`,
 * `POST /environments/{env}/upgrades/{id}/{approve|reject|resume|cancel}`, for any environment of the registry
 * (its spec is the one the environment was last submitted with; an unknown one is a 404 naming the known). One run
 * per environment at a time: its Durable instance id is `upgrade:<env>` (lib/upgrade `upgradeInstanceId`), the run id
 * (in the status and the links) names one run.
 */

export { upgradeInstanceId };

export const UPGRADE_EVENTS = { approval: "approval", resume: "resume" } as const;

/** What the upgrade API needs from Durable Functions (the durable client in Azure, the local driver outside). */
export interface UpgradeInstances {
  get(instanceId: string): Promise<InstanceView | undefined>;
  start(instanceId: string, input: UpgradeRunInput): Promise<void>;
  raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<void>;
  terminate(instanceId: string, reason: string): Promise<void>;
  managementUrls(instanceId: string): Record<string, string>;
}

const startBodySchema = z.strictObject({
  target: upgradeTargetSchema,
  approved: z.boolean().optional(),
  requestedBy: z.string().max(200).optional(),
});

/** A run id from the environment and the time (seconds): readable, sortable, unique per environment. */
export function newRunId(environment: string, now: Date): string {
  return `${environment}-${now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}`;
}

export async function handleUpgrades(
  request: ApiRequest,
  instances: UpgradeInstances,
  environments: Pick<Environments, "find" | "list">,
  now: () => Date,
): Promise<ApiResponse> {
  const route = routeNames(request, ["env"]);
  if (!route.ok) return route.response;
  const { env } = route.names;
  const id = request.params["id"];
  const instanceId = upgradeInstanceId(env);
  const found = await findEnvironmentOr404(environments, env);
  if (!found.ok) return found.response;
  if (id !== undefined) {
    if (request.method !== "GET") return methodNotAllowed(request.method, ["GET"]);
    const view = await instances.get(instanceId);
    if (!view || runOf(view).runId !== id) return problem(404, `no upgrade run ${id} in environment ${env}`);
    return instanceStatusResponse(view, view.customStatus);
  }
  if (request.method === "GET") {
    const view = await instances.get(instanceId);
    if (!view) return problem(404, `no upgrade run has been started in environment ${env}`);
    return instanceStatusResponse(view, view.customStatus);
  }
  if (request.method !== "POST") return methodNotAllowed(request.method, ["GET", "POST"]);

  const body = await readBody(request);
  if (!body.ok) return body.response;
  let json: unknown;
  try {
    json = body.text.trim() ? JSON.parse(body.text) : {};
  } catch {
    return problem(400, 'the body is not JSON; send {"target": {"kubernetesVersion": "1.34"}}');
  }
  const parsed = startBodySchema.safeParse(json);
  if (!parsed.success)
    return problem(400, "invalid upgrade request", {
      problems: parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`),
    });
  const { spec } = found;
  const running = await instances.get(instanceId);
  if (isActive(running))
    return problem(
      409,
      `upgrade run ${runOf(running).runId ?? "?"} of environment ${env} is ${runOf(running).state ?? "running"}; approve, resume or cancel it first`,
      {
        runId: runOf(running).runId,
      },
    );
  const build = await instances.get(buildInstanceId(env));
  if (isActive(build)) return problem(409, `a build of environment ${env} is running; upgrade after it ends`);
  // Nor under a cluster being restored or torn down: the run would upgrade (or gate) a cluster that is going.
  for (const cluster of spec.clusters)
    for (const [id, what] of [
      [restoreInstanceId(env, cluster.name), "restore"],
      [teardownInstanceId(env, cluster.name), "teardown"],
    ] as const)
      if (isActive(await instances.get(id)))
        return problem(409, `a ${what} of cluster ${cluster.name} is running; upgrade ${env} after it ends`, {
          instanceId: id,
        });
  const runId = newRunId(env, now());
  await instances.start(instanceId, {
    runId,
    spec,
    target: parsed.data.target,
    approved: parsed.data.approved ?? false,
    ...(parsed.data.requestedBy !== undefined ? { requestedBy: parsed.data.requestedBy } : {}),
  });
  const statusUrl = `${request.url.replace(/\/+$/, "")}/${runId}`;
  return {
    status: 202,
    headers: { Location: statusUrl, "Retry-After": "30" },
    jsonBody: { runId, environment: env, statusUrl, management: instances.managementUrls(instanceId) },
  };
}

const ACTIONS = ["approve", "reject", "resume", "cancel"] as const;

export async function handleUpgradeAction(
  request: ApiRequest,
  instances: UpgradeInstances,
  environments: Pick<Environments, "find" | "list">,
): Promise<ApiResponse> {
  if (request.method !== "POST") return methodNotAllowed(request.method, ["POST"]);
  const route = routeNames(request, ["env"]);
  if (!route.ok) return route.response;
  const { env } = route.names;
  const found = await findEnvironmentOr404(environments, env);
  if (!found.ok) return found.response;
  const id = request.params["id"] ?? "";
  const action = request.params["action"] ?? "";
  if (!(ACTIONS as readonly string[]).includes(action))
    return problem(404, `unknown action ${action}; use one of ${ACTIONS.join(", ")}`);
  const instanceId = upgradeInstanceId(env);
  const view = await instances.get(instanceId);
  const run = runOf(view);
  if (!view || run.runId !== id) return problem(404, `no upgrade run ${id} in environment ${env}`);
  if (!isActive(view)) return problem(409, `upgrade run ${id} has ended (${run.state ?? view.runtimeStatus})`);
  const by = request.headers.get("x-ms-client-principal-name") ?? undefined;
  const who = by !== undefined ? { by } : {};
  const wrongState = (wanted: string) =>
    problem(409, `upgrade run ${id} is not waiting for ${wanted} (state: ${run.state ?? view.runtimeStatus})`, {
      state: run.state,
    });
  switch (action) {
    case "approve":
    case "reject":
      if (run.waitingFor !== "approval") return wrongState("approval");
      await instances.raiseEvent(instanceId, UPGRADE_EVENTS.approval, { approved: action === "approve", ...who });
      break;
    case "resume":
      if (run.waitingFor !== "resume") return wrongState("a resume (it is not blocked)");
      await instances.raiseEvent(instanceId, UPGRADE_EVENTS.resume, { action: "resume", ...who });
      break;
    case "cancel":
      // A blocked run ends cleanly; otherwise the run stops now (an AKS operation already started finishes on its own).
      if (run.waitingFor === "resume")
        await instances.raiseEvent(instanceId, UPGRADE_EVENTS.resume, { action: "stop", ...who });
      else await stopRun(instances, instanceId, `cancelled through the API${by !== undefined ? ` by ${by}` : ""}`);
      break;
  }
  return { status: 202, jsonBody: { runId: id, action, statusUrl: request.url.replace(/\/[a-z]+$/, "") } };
}

/**
 * Terminates a run and the cluster upgrades it started: Durable does not terminate sub-orchestrations with their
 * parent ("Terminating an orchestration instance has no effect on any in-flight activity function executions or
 * sub-orchestrations that were started by the terminated instance", learn.microsoft.com, TerminateAsync), so a
 * cancelled run's `upgradeCluster` would go on to the cluster's next pools, and a run started again would find its
 * instance id taken. The run goes first (it starts no cluster after that); then each cluster its status lists as
 * running. An AKS operation already started finishes on its own (AKS cannot abort it).
 */
async function stopRun(instances: UpgradeInstances, instanceId: string, reason: string): Promise<void> {
  await instances.terminate(instanceId, reason);
  const status = (await instances.get(instanceId))?.customStatus as Partial<UpgradeRunStatus> | undefined;
  const children = (status?.stages ?? []).flatMap((s) => s.clusters.flatMap((c) => c.instanceId ?? []));
  for (const child of children) {
    if (!isActive(await instances.get(child))) continue;
    try {
      await instances.terminate(child, reason);
    } catch (err) {
      // It ended between the read and the terminate: nothing left to stop.
      if (isActive(await instances.get(child))) throw err;
    }
  }
}
