import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { handleClusterTeardown, type ClusterInstances } from "../lib/api/clusters";
import { Functions, Orchestrations } from "../lib/function-names";
import { durableBuildInstances } from "./shared/durableBuilds";
import { environmentRegistry } from "./shared/environments";
import { toApiRequest, toHttpResponse } from "./shared/httpAdapter";

/** RG-1: `DELETE` tears one cluster down (its group and what points at it); `GET` reports the teardown. */
export async function deleteCluster(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const client = df.getClient(context);
  const builds = durableBuildInstances(client);
  const instances: ClusterInstances = {
    get: (instanceId) => builds.get(instanceId),
    async startTeardown(instanceId, input) {
      await client.startNew(Orchestrations.teardownCluster, { instanceId, input });
    },
    managementUrls: (instanceId) => builds.managementUrls(instanceId),
  };
  return toHttpResponse(await handleClusterTeardown(toApiRequest(request), instances, await environmentRegistry()));
}

app.http(Functions.deleteCluster, {
  route: "environments/{env}/clusters/{cluster}",
  // Every method reaches the handler so that a wrong one gets a 405 naming the right ones, not a bare 404.
  methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
  authLevel: "function",
  extraInputs: [df.input.durableClient()],
  handler: deleteCluster,
});
