import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { handleEnvironments } from "../lib/api/environments";
import { Functions } from "../lib/function-names";
import { durableBuildInstances } from "./shared/durableBuilds";
import { environmentRegistry } from "./shared/environments";
import { toApiRequest, toHttpResponse } from "./shared/httpAdapter";

/** `GET /api/environments` lists the registry; `DELETE /api/environments/{env}` forgets one that runs nothing. */
export async function environments(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const instances = durableBuildInstances(df.getClient(context));
  return toHttpResponse(await handleEnvironments(toApiRequest(request), await environmentRegistry(), instances));
}

const common = {
  // Every method reaches the handler so that a wrong one gets a 405 naming the right ones, not a bare 404.
  methods: ["GET", "POST", "PUT", "PATCH", "DELETE"] as const,
  authLevel: "function" as const,
  extraInputs: [df.input.durableClient()],
  handler: environments,
};
app.http(Functions.environments, { ...common, methods: [...common.methods], route: "environments" });
app.http(Functions.environmentRemove, { ...common, methods: [...common.methods], route: "environments/{env}" });
