import { app, type HttpRequest, type HttpResponseInit } from "@azure/functions";
import { handlePlan } from "../lib/api/plan";
import { Functions } from "../lib/function-names";
import { environmentRegistry } from "./shared/environments";
import { toApiRequest, toHttpResponse } from "./shared/httpAdapter";

/** The expanded plan (phases, deployments, resources, critical path) of an environment. */
export async function plan(request: HttpRequest): Promise<HttpResponseInit> {
  return toHttpResponse(await handlePlan(toApiRequest(request), await environmentRegistry()));
}

app.http(Functions.plan, {
  route: "environments/{env}/plan",
  methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
  authLevel: "function",
  handler: plan,
});
