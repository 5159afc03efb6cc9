import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { handleRestore, handleRestoreCancel, type RestoreInstances } from "../lib/api/restore";
import { Functions, Orchestrations } from "../lib/function-names";
import { environmentRegistry, forKnownEnvironment } from "./shared/environments";
import { toApiRequest, toHttpResponse } from "./shared/httpAdapter";

/** The restore API's view of Durable Functions, over the durable client binding. */
function restoreInstances(context: InvocationContext): RestoreInstances {
  const client = df.getClient(context);
  return {
    async get(instanceId) {
      try {
        const status = await client.getStatus(instanceId);
        return { runtimeStatus: String(status.runtimeStatus), customStatus: status.customStatus };
      } catch (err) {
        // The durable client reports an unknown instance only as an HTTP 404 error.
        if (err instanceof Error && /HTTP 404/.test(err.message)) return undefined;
        throw err;
      }
    },
    async start(instanceId, input) {
      await client.startNew(Orchestrations.restoreCluster, { instanceId, input });
    },
    managementUrls: (instanceId) => ({ ...client.createHttpManagementPayload(instanceId) }),
    raise: (instanceId, eventName, data) => client.raiseEvent(instanceId, eventName, data),
  };
}

/** OPS-7: `POST /api/environments/{env}/clusters/{cluster}/restore` starts the restore orchestration (202 + status URL). */
export async function restoreCluster(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return toHttpResponse(
    await handleRestore(toApiRequest(request), await environmentRegistry(), restoreInstances(context)),
  );
}

/** Stops a running restore of one cluster before its next step. */
export async function restoreClusterCancel(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return toHttpResponse(await handleRestoreCancel(toApiRequest(request), restoreInstances(context)));
}

app.http(Functions.restoreClusterRequest, {
  route: "environments/{env}/clusters/{cluster}/restore",
  methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
  authLevel: "function",
  extraInputs: [df.input.durableClient()],
  handler: restoreCluster,
});

app.http(Functions.restoreClusterCancel, {
  route: "environments/{env}/clusters/{cluster}/restore/cancel",
  methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
  authLevel: "function",
  extraInputs: [df.input.durableClient()],
  handler: forKnownEnvironment(restoreClusterCancel),
});
