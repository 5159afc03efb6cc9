import { buildPlan, criticalPath, estimatedDeploymentSeconds, PlanError } from "../plan";
import { findEnvironmentOr404, type Environments } from "./environments";
import { methodNotAllowed, problem, routeNames, type ApiRequest, type ApiResponse } from "./http";

/**
 * `GET /environments/{env}/plan`: the expanded plan of the spec the environment was last submitted with (the
 * registry), or of the offered seed default.
 */
export async function handlePlan(
  request: ApiRequest,
  environments: Pick<Environments, "find" | "list">,
): Promise<ApiResponse> {
  if (request.method !== "GET") return methodNotAllowed(request.method, ["GET"]);
  const route = routeNames(request, ["env"]);
  if (!route.ok) return route.response;
  const found = await findEnvironmentOr404(environments, route.names.env);
  if (!found.ok) return found.response;
  try {
    const plan = buildPlan(found.spec);
    return { status: 200, jsonBody: { ...plan, criticalPath: criticalPath(plan, estimatedDeploymentSeconds) } };
  } catch (err) {
    if (err instanceof PlanError) return problem(500, err.message, { problems: err.problems });
    throw err;
  }
}
