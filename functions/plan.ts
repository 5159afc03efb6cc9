import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { handlePlan } from "../lib/api/plan";
import { Functions } from "../lib/function-names";
import { durableBuildInstances } from "./shared/durableBuilds";
import { toApiRequest, toHttpResponse } from "./shared/httpAdapter";

/** The expanded plan (phases, deployments, resources, critical path) of an environment. */
export async function plan(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return toHttpResponse(await handlePlan(toApiRequest(request), durableBuildInstances(df.getClient(context))));
}

app.http(Functions.plan, {
  route: "environments/{env}/plan",
  methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
  authLevel: "function",
  extraInputs: [df.input.durableClient()],
  handler: plan,
});
