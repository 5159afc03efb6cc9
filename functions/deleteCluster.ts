import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import type { BuildInstances } from "../lib/api/builds";
import { handleClusterTeardown, handleClusterTeardownCancel, type ClusterInstances } from "../lib/api/clusters";
import { Functions, Orchestrations } from "../lib/function-names";
import { durableBuildInstances } from "../orchestrations/shared/durableBuilds";
import { environmentRegistry, forKnownEnvironment } from "./shared/environments";
import { toApiRequest, toHttpResponse } from "./shared/httpAdapter";

/** The cluster API's view of Durable Functions, over the durable client binding. */
function clusterInstances(context: InvocationContext): ClusterInstances & Pick<BuildInstances, "raise"> {
  const client = df.getClient(context);
  const builds = durableBuildInstances(client);
  return {
    get: (instanceId) => builds.get(instanceId),
    async startTeardown(instanceId, input) {
      await client.startNew(Orchestrations.teardownCluster, { instanceId, input });
    },
    raise: (instanceId, eventName, data) => builds.raise(instanceId, eventName, data),
    managementUrls: (instanceId) => builds.managementUrls(instanceId),
  };
}

/** RG-1: `DELETE` tears one cluster down (its group and what points at it); `GET` reports the teardown. */
export async function deleteCluster(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return toHttpResponse(
    await handleClusterTeardown(toApiRequest(request), clusterInstances(context), await environmentRegistry()),
  );
}

/** Stops a running teardown of one cluster before its next delete. */
export async function deleteClusterCancel(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return toHttpResponse(await handleClusterTeardownCancel(toApiRequest(request), clusterInstances(context)));
}

app.http(Functions.deleteCluster, {
  route: "environments/{env}/clusters/{cluster}",
  // Every method reaches the handler so that a wrong one gets a 405 naming the right ones, not a bare 404.
  methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
  authLevel: "function",
  extraInputs: [df.input.durableClient()],
  handler: forKnownEnvironment(deleteCluster),
});

app.http(Functions.deleteClusterCancel, {
  route: "environments/{env}/clusters/{cluster}/teardown/cancel",
  methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
  authLevel: "function",
  extraInputs: [df.input.durableClient()],
  handler: forKnownEnvironment(deleteClusterCancel),
});
