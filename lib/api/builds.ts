import { defaultSpec, validateSpec, type PlatformSpec } from "../spec";
import type { BuildInput, BuildMode, BuildStatus, DeploymentProgress } from "../plan/progress";
import { methodNotAllowed, problem, readBody, type ApiRequest, type ApiResponse } from "./http";
import { buildInstanceId, isActiveStatus, restoreInstanceId, teardownInstanceId } from "./instance-ids";

/** What the build API needs from Durable Functions (the durable client in Azure, the local driver outside). */
export interface BuildInstances {
  get(instanceId: string): Promise<InstanceView | undefined>;
  start(instanceId: string, input: BuildInput): Promise<void>;
  terminate(instanceId: string, reason: string): Promise<void>;
  /** Management URLs of an instance (status, terminate, raise event) for the 202 answer. */
  managementUrls(instanceId: string): Record<string, string>;
}

export interface InstanceView {
  instanceId: string;
  runtimeStatus: string;
  input?: unknown;
  customStatus?: unknown;
  output?: unknown;
  createdTime?: string;
  lastUpdatedTime?: string;
}

export function isActive(view: InstanceView | undefined): boolean {
  return isActiveStatus(view?.runtimeStatus);
}

export { buildInstanceId };

/** `POST /environments/{env}/provision` starts a build; `GET` reports its progress. */
export async function handleProvision(request: ApiRequest, instances: BuildInstances): Promise<ApiResponse> {
  const env = request.params["env"] ?? "";
  if (request.method === "GET") return buildStatusResponse(env, instances);
  if (request.method !== "POST") return methodNotAllowed(request.method, ["GET", "POST"]);

  const modeParam = request.query.get("mode") ?? "deploy";
  if (modeParam !== "deploy" && modeParam !== "whatif") {
    return problem(400, `query parameter mode must be 'deploy' or 'whatif', not '${modeParam}'`);
  }
  const body = await readBody(request);
  if (!body.ok) return body.response;
  const spec = specFromBody(env, body.text);
  if (!spec.ok) return spec.response;

  const instanceId = buildInstanceId(env);
  const existing = await instances.get(instanceId);
  if (isActive(existing)) {
    return problem(409, `a build of environment ${env} is already running`, {
      instanceId,
      runtimeStatus: existing!.runtimeStatus,
      statusUrl: instances.managementUrls(instanceId)["statusQueryGetUri"],
    });
  }
  // A cluster being restored or torn down must not be rebuilt under it.
  for (const cluster of spec.spec.clusters) {
    for (const [id, what] of [
      [restoreInstanceId(env, cluster.name), "restore"],
      [teardownInstanceId(env, cluster.name), "teardown"],
    ] as const) {
      if (isActive(await instances.get(id))) {
        return problem(409, `a ${what} of cluster ${cluster.name} is running; build ${env} after it ends`, {
          instanceId: id,
        });
      }
    }
  }
  await instances.start(instanceId, { spec: spec.spec, mode: modeParam satisfies BuildMode });
  const urls = instances.managementUrls(instanceId);
  return {
    status: 202,
    headers: { Location: request.url, "Retry-After": "10" },
    jsonBody: { instanceId, environment: env, mode: modeParam, statusUrl: request.url, management: urls },
  };
}

/** `POST /environments/{env}/provision/cancel` stops a running build (ARM deployments already running finish on their own). */
export async function handleCancel(request: ApiRequest, instances: BuildInstances): Promise<ApiResponse> {
  if (request.method !== "POST") return methodNotAllowed(request.method, ["POST"]);
  const env = request.params["env"] ?? "";
  const instanceId = buildInstanceId(env);
  const view = await instances.get(instanceId);
  if (!isActive(view))
    return problem(409, `no build of environment ${env} is running`, { runtimeStatus: view?.runtimeStatus ?? "none" });
  await instances.terminate(instanceId, "cancelled through the API");
  const status = await mergedStatus(view!, instances);
  const running = status?.deployments.filter((d) => d.state === "running").map((d) => d.name) ?? [];
  return { status: 202, jsonBody: { instanceId, cancelled: true, deploymentsStillRunningInArm: running } };
}

async function buildStatusResponse(env: string, instances: BuildInstances): Promise<ApiResponse> {
  const instanceId = buildInstanceId(env);
  const view = await instances.get(instanceId);
  if (!view) return problem(404, `no build of environment ${env} has been started`);
  return instanceStatusResponse(view, await mergedStatus(view, instances));
}

/** `GET` of a long-running operation: its runtime status, progress, and its result or failure once it ended. */
export function instanceStatusResponse(view: InstanceView, progress: unknown): ApiResponse {
  return {
    status: 200,
    jsonBody: {
      instanceId: view.instanceId,
      runtimeStatus: view.runtimeStatus,
      createdTime: view.createdTime,
      lastUpdatedTime: view.lastUpdatedTime,
      ...(progress !== undefined && progress !== null ? { progress } : {}),
      ...(view.runtimeStatus === "Failed" ? { failure: view.output } : {}),
      ...(view.runtimeStatus === "Completed" ? { result: view.output } : {}),
    },
  };
}

/**
 * The build's own status plus the live progress its cluster sub-orchestrations report, so a caller sees every
 * deployment while the clusters are still being built.
 */
export async function mergedStatus(view: InstanceView, instances: BuildInstances): Promise<BuildStatus | undefined> {
  const status = view.customStatus as BuildStatus | undefined;
  if (!status || !Array.isArray(status.deployments)) return undefined;
  const byName = new Map<string, DeploymentProgress>(status.deployments.map((d) => [d.name, d]));
  for (const child of status.children ?? []) {
    const childView = await instances.get(child.instanceId);
    const childStatus = childView?.customStatus as { deployments?: DeploymentProgress[] } | undefined;
    for (const d of childStatus?.deployments ?? []) {
      const known = byName.get(d.name);
      // The parent's record wins once it has it (it is written when the child finishes).
      if (!known || known.state === "pending" || (known.state === "running" && d.state !== "pending"))
        byName.set(d.name, d);
    }
  }
  return { ...status, deployments: [...byName.values()] };
}

type SpecOutcome = { ok: true; spec: PlatformSpec } | { ok: false; response: ApiResponse };

/** An empty body means the seed default; a spec must name the environment of the URL. */
export function specFromBody(env: string, text: string): SpecOutcome {
  if (text.trim() === "") {
    if (env === defaultSpec.name) return { ok: true, spec: defaultSpec };
    return {
      ok: false,
      response: problem(
        400,
        `no spec in the body, and environment ${env} is not the default (${defaultSpec.name}): send a spec`,
      ),
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return {
      ok: false,
      response: problem(400, `body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`),
    };
  }
  const result = validateSpec(parsed);
  if (!result.ok) {
    return { ok: false, response: problem(400, "the spec is not valid", { problems: result.problems }) };
  }
  if (result.spec.name !== env) {
    return {
      ok: false,
      response: problem(400, `the spec is for environment ${result.spec.name}, but the URL names ${env}`, {
        problems: [{ path: "name", message: `must be ${env} to match the URL` }],
      }),
    };
  }
  return { ok: true, spec: result.spec };
}
