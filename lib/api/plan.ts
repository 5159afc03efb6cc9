import { buildPlan, criticalPath, estimatedDeploymentSeconds, PlanError } from "../plan";
import { defaultSpec, type PlatformSpec } from "../spec";
import { buildInstanceId, type BuildInstances } from "./builds";
import { methodNotAllowed, problem, routeNames, type ApiRequest, type ApiResponse } from "./http";

/**
 * `GET /environments/{env}/plan`: the expanded plan of the spec the environment was last built from (or is being
 * built from), or of the seed default for the default environment.
 */
export async function handlePlan(request: ApiRequest, instances: BuildInstances): Promise<ApiResponse> {
  if (request.method !== "GET") return methodNotAllowed(request.method, ["GET"]);
  const route = routeNames(request, ["env"]);
  if (!route.ok) return route.response;
  const { env } = route.names;
  const spec = await specOf(env, instances);
  if (!spec)
    return problem(
      404,
      `no build of environment ${env} is known and it is not the default (${defaultSpec.name}); start one first`,
    );
  try {
    const plan = buildPlan(spec);
    return { status: 200, jsonBody: { ...plan, criticalPath: criticalPath(plan, estimatedDeploymentSeconds) } };
  } catch (err) {
    if (err instanceof PlanError) return problem(500, err.message, { problems: err.problems });
    throw err;
  }
}

async function specOf(env: string, instances: BuildInstances): Promise<PlatformSpec | undefined> {
  const view = await instances.get(buildInstanceId(env));
  const input = view?.input as { spec?: PlatformSpec } | undefined;
  if (input?.spec) return input.spec;
  return env === defaultSpec.name ? defaultSpec : undefined;
}
