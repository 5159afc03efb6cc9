import { DeferredValue } from "../deferred";
import { ArmExpressionError } from "../errors";
import { resourceGroupPrefix, subscriptionPrefix } from "../ids";
import { expectInt, expectString } from "../values";
import { fn } from "./define";

/** Public Azure cloud endpoints, as environment() returns them there. */
const AZURE_CLOUD = {
  name: "AzureCloud",
  gallery: "https://gallery.azure.com/",
  graph: "https://graph.windows.net/",
  portal: "https://portal.azure.com",
  graphAudience: "https://graph.windows.net/",
  activeDirectoryDataLake: "https://datalake.azure.net/",
  batch: "https://batch.core.windows.net/",
  media: "https://rest.media.azure.net",
  sqlManagement: "https://management.core.windows.net:8443/",
  vmImageAliasDoc:
    "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/master/arm-compute/quickstart-templates/aliases.json",
  resourceManager: "https://management.azure.com/",
  authentication: {
    loginEndpoint: "https://login.microsoftonline.com/",
    audiences: ["https://management.core.windows.net/", "https://management.azure.com/"],
    tenant: "common",
    identityProvider: "AAD",
  },
  suffixes: {
    acrLoginServer: ".azurecr.io",
    azureDatalakeAnalyticsCatalogAndJob: "azuredatalakeanalytics.net",
    azureDatalakeStoreFileSystem: "azuredatalakestore.net",
    azureFrontDoorEndpointSuffix: "azurefd.net",
    keyvaultDns: ".vault.azure.net",
    sqlServerHostname: ".database.windows.net",
    storage: "core.windows.net",
  },
};

export const deploymentFunctions = [
  fn("parameters", 1, 1, ([name], ctx) => ctx.env.parameter(expectString("parameters", name, 1))),
  fn("variables", 1, 1, ([name], ctx) => ctx.env.variable(expectString("variables", name, 1))),
  fn("copyIndex", 0, 2, (args, ctx) => {
    let loopName: string | undefined;
    let offset = 0;
    if (typeof args[0] === "string") {
      loopName = args[0];
      if (args.length === 2) offset = expectInt("copyIndex", args[1], 2);
    } else if (args.length === 1) {
      offset = expectInt("copyIndex", args[0], 1);
    } else if (args.length === 2) {
      throw new ArmExpressionError("copyIndex() with two arguments takes (loopName, offset)");
    }
    const loops = ctx.evaluator.loops;
    for (let i = loops.length - 1; i >= 0; i--) {
      const frame = loops[i];
      if (!frame) continue;
      const match =
        loopName === undefined ? frame.kind !== "property" : frame.name?.toLowerCase() === loopName.toLowerCase();
      if (match) return frame.index + offset;
    }
    throw new ArmExpressionError(
      loopName === undefined
        ? "copyIndex() is used outside a resource, variable or output copy loop"
        : `copyIndex('${loopName}') is used outside a copy loop named '${loopName}'`,
    );
  }),
  fn("deployment", 0, 0, (_args, ctx) => ({
    name: ctx.env.scope.deploymentName,
    properties: { template: { contentVersion: ctx.env.contentVersion }, mode: "Incremental" },
    ...(ctx.env.scope.kind === "subscription" ? { location: ctx.env.scope.location } : {}),
  })),
  fn("environment", 0, 0, () => structuredClone(AZURE_CLOUD)),
  fn("resourceGroup", 0, 0, (_args, ctx) => {
    const { scope } = ctx.env;
    if (scope.kind !== "resourceGroup" || !scope.resourceGroup) {
      throw new ArmExpressionError("resourceGroup() is only available in a resource-group scope deployment");
    }
    return {
      id: resourceGroupPrefix(scope.subscriptionId, scope.resourceGroup),
      name: scope.resourceGroup,
      type: "Microsoft.Resources/resourceGroups",
      location: ctx.env.groupLocation,
      tags: new DeferredValue("[resourceGroup().tags]", "resource group tags are only known in Azure"),
      properties: { provisioningState: "Succeeded" },
    };
  }),
  fn("subscription", 0, 0, (_args, ctx) => ({
    id: subscriptionPrefix(ctx.env.scope.subscriptionId),
    subscriptionId: ctx.env.scope.subscriptionId,
    tenantId: ctx.env.scope.tenantId,
    displayName: new DeferredValue(
      "[subscription().displayName]",
      "the subscription display name is only known in Azure",
    ),
  })),
  fn("deployer", 0, 0, (_args, ctx) => ({
    objectId: new DeferredValue("[deployer().objectId]", "the deploying principal is only known in Azure"),
    tenantId: ctx.env.scope.tenantId,
    userPrincipalName: new DeferredValue(
      "[deployer().userPrincipalName]",
      "the deploying principal is only known in Azure",
    ),
  })),
  fn("managementGroup", 0, 1, ([name], ctx) => {
    if (name === undefined) {
      throw new ArmExpressionError(
        `managementGroup() without a name is only available in a management group deployment (this one targets a ${ctx.env.scope.kind})`,
      );
    }
    const id = expectString("managementGroup", name, 1);
    return {
      id: `/providers/Microsoft.Management/managementGroups/${id}`,
      name: id,
      type: "Microsoft.Management/managementGroups",
    };
  }),
  fn("tenant", 0, 0, (_args, ctx) => ({
    tenantId: ctx.env.scope.tenantId,
    displayName: new DeferredValue("[tenant().displayName]", "the tenant display name is only known in Azure"),
  })),
  fn("newGuid", 0, 0, (_args, ctx) =>
    ctx.env.runtime.newGuid ? ctx.env.runtime.newGuid() : ctx.defer("newGuid() is generated at deployment time"),
  ),
  fn("utcNow", 0, 1, ([format], ctx) =>
    ctx.env.runtime.utcNow
      ? ctx.env.runtime.utcNow(format === undefined ? undefined : expectString("utcNow", format, 1))
      : ctx.defer("utcNow() is the deployment time"),
  ),
];
