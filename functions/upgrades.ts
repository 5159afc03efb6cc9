import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { handleUpgradeAction, handleUpgrades, type UpgradeInstances } from "../lib/api/upgrades";
import { Functions, Orchestrations } from "../lib/function-names";
import { durableBuildInstances } from "../orchestrations/shared/durableBuilds";
import { environmentRegistry, forKnownEnvironment } from "./shared/environments";
import { toApiRequest, toHttpResponse } from "./shared/httpAdapter";

/** Issue 20: start, list and follow upgrade runs of any registered environment; approve, reject, resume or cancel one. */

function upgradeInstances(context: InvocationContext): UpgradeInstances {
  const client = df.getClient(context);
  const builds = durableBuildInstances(client);
  return {
    get: (instanceId) => builds.get(instanceId),
    async start(instanceId, input) {
      await client.startNew(Orchestrations.upgradePlatform, { instanceId, input });
    },
    raiseEvent: (instanceId, eventName, data) => client.raiseEvent(instanceId, eventName, data),
    terminate: (instanceId, reason) => client.terminate(instanceId, reason),
    managementUrls: (instanceId) => builds.managementUrls(instanceId),
  };
}

export async function upgrades(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return toHttpResponse(
    await handleUpgrades(
      toApiRequest(request),
      upgradeInstances(context),
      await environmentRegistry(),
      () => new Date(),
    ),
  );
}

export async function upgradeAction(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return toHttpResponse(
    await handleUpgradeAction(toApiRequest(request), upgradeInstances(context), await environmentRegistry()),
  );
}

app.http(Functions.upgrades, {
  route: "environments/{env}/upgrades/{id?}",
  methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
  authLevel: "function",
  extraInputs: [df.input.durableClient()],
  handler: forKnownEnvironment(upgrades),
});

app.http(Functions.upgradeAction, {
  route: "environments/{env}/upgrades/{id}/{action}",
  methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
  authLevel: "function",
  extraInputs: [df.input.durableClient()],
  handler: forKnownEnvironment(upgradeAction),
});
