import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { handleCancel } from "../lib/api/builds";
import { Functions } from "../lib/function-names";
import { durableBuildInstances } from "../orchestrations/shared/durableBuilds";
import { aboutWhatIf, forKnownEnvironment } from "./shared/environments";
import { toApiRequest, toHttpResponse } from "./shared/httpAdapter";

/** Stops a running build of an environment. */
export async function provisionCancel(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return toHttpResponse(await handleCancel(toApiRequest(request), durableBuildInstances(df.getClient(context))));
}

app.http(Functions.provisionCancel, {
  route: "environments/{env}/provision/cancel",
  methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
  authLevel: "function",
  extraInputs: [df.input.durableClient()],
  // Stopping a what-if is about an environment the registry may not know yet (a what-if registers nothing).
  handler: forKnownEnvironment(provisionCancel, aboutWhatIf),
});
