import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { handleProvision } from "../lib/api/builds";
import { Functions } from "../lib/function-names";
import { durableBuildInstances } from "../orchestrations/shared/durableBuilds";
import { aboutWhatIf, buildAcceptance, environmentRegistry, forKnownEnvironment } from "./shared/environments";
import { toApiRequest, toHttpResponse } from "./shared/httpAdapter";

/** OPS-1: `POST` starts the build of an environment (`?mode=whatif` changes nothing), `GET` reports its progress. */
export async function provision(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const instances = durableBuildInstances(df.getClient(context));
  const acceptance = buildAcceptance(await environmentRegistry());
  return toHttpResponse(await handleProvision(toApiRequest(request), instances, acceptance));
}

app.http(Functions.provision, {
  route: "environments/{env}/provision",
  // Every method reaches the handler so that a wrong one gets a 405 naming the right ones, not a bare 404.
  methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
  authLevel: "function",
  extraInputs: [df.input.durableClient()],
  // A POST registers the environment it builds, and a what-if (read-only) registers nothing, so its answer is
  // there for an environment the registry does not know yet; anything else is about a known environment.
  handler: forKnownEnvironment(provision, (request) => request.method.toUpperCase() === "POST" || aboutWhatIf(request)),
});
