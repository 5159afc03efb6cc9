import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { handleRestore, type RestoreInstances } from "../lib/api/restore";
import { Functions, Orchestrations } from "../lib/function-names";
import { environmentRegistry } from "./shared/environments";
import { toApiRequest, toHttpResponse } from "./shared/httpAdapter";

/** OPS-7: `POST /api/environments/{env}/clusters/{cluster}/restore` starts the restore orchestration (202 + status URL). */
export async function restoreCluster(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const client = df.getClient(context);
  const instances: RestoreInstances = {
    async status(instanceId) {
      try {
        return String((await client.getStatus(instanceId)).runtimeStatus);
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
  };
  return toHttpResponse(await handleRestore(toApiRequest(request), await environmentRegistry(), instances));
}

app.http(Functions.restoreClusterRequest, {
  route: "environments/{env}/clusters/{cluster}/restore",
  methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
  authLevel: "function",
  extraInputs: [df.input.durableClient()],
  handler: restoreCluster,
});
