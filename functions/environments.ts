import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { handleEnvironments, type InstanceStatuses } from "../lib/api/environments";
import { azureContext } from "../lib/azure";
import { Functions } from "../lib/function-names";
import { NotifyStore } from "../lib/notify";
import { durableBuildInstances } from "../orchestrations/shared/durableBuilds";
import { environmentRegistry } from "./shared/environments";
import { toApiRequest, toHttpResponse } from "./shared/httpAdapter";

const ACTIVE: df.OrchestrationRuntimeStatus[] = [
  df.OrchestrationRuntimeStatus.Pending,
  df.OrchestrationRuntimeStatus.Running,
  df.OrchestrationRuntimeStatus.ContinuedAsNew,
  df.OrchestrationRuntimeStatus.Suspended,
];

/** `GET /api/environments` lists the registry; `DELETE /api/environments/{env}` forgets one that runs nothing. */
export async function environments(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const client = df.getClient(context);
  const builds = durableBuildInstances(client);
  const instances: InstanceStatuses = {
    get: (instanceId) => builds.get(instanceId),
    active: async () => (await client.getStatusBy({ runtimeStatus: ACTIVE })).map((s) => s.instanceId),
  };
  const discardKeptMessages = async (environment: string) =>
    (await NotifyStore.open({ storage: azureContext().hostStorage(process.env) }, environment)).discardAll();
  return toHttpResponse(
    await handleEnvironments(toApiRequest(request), await environmentRegistry(), instances, discardKeptMessages),
  );
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
