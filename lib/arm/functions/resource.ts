import type { CallContext } from "../evaluator";
import { ArmExpressionError } from "../errors";
import { providerPath, resourceGroupPrefix, resourceIdUnder, subscriptionPrefix } from "../ids";
import { expectString } from "../values";
import { fn } from "./define";

function strings(name: string, args: unknown[]): string[] {
  return args.map((a, i) => expectString(name, a, i + 1));
}

/** resourceId([subscriptionId], [resourceGroupName], type, name1, ...): the type is the first argument with a '/'. */
function resourceId(args: unknown[], ctx: CallContext): string {
  const s = strings("resourceId", args);
  const typeIndex = s.findIndex((x) => x.includes("/"));
  if (typeIndex < 0 || typeIndex > 2) {
    throw new ArmExpressionError("resourceId() needs a resource type ('Namespace/type') as argument 1, 2 or 3");
  }
  const type = s[typeIndex] as string;
  const names = s.slice(typeIndex + 1);
  const { scope } = ctx.env;
  if (typeIndex === 0) {
    if (scope.kind === "subscription" || !scope.resourceGroup) {
      return resourceIdUnder(subscriptionPrefix(scope.subscriptionId), type, names);
    }
    return resourceIdUnder(resourceGroupPrefix(scope.subscriptionId, scope.resourceGroup), type, names);
  }
  const subscriptionId = typeIndex === 2 ? (s[0] as string) : scope.subscriptionId;
  const group = s[typeIndex - 1] as string;
  return resourceIdUnder(resourceGroupPrefix(subscriptionId, group), type, names);
}

function subscriptionResourceId(args: unknown[], ctx: CallContext): string {
  const s = strings("subscriptionResourceId", args);
  const typeIndex = s.findIndex((x) => x.includes("/"));
  if (typeIndex < 0 || typeIndex > 1) {
    throw new ArmExpressionError(
      "subscriptionResourceId() needs a resource type ('Namespace/type') as argument 1 or 2",
    );
  }
  const subscriptionId = typeIndex === 1 ? (s[0] as string) : ctx.env.scope.subscriptionId;
  return resourceIdUnder(subscriptionPrefix(subscriptionId), s[typeIndex] as string, s.slice(typeIndex + 1));
}

/** Where a reference()/list*() call points and whether this deployment creates it. */
function target(ctx: CallContext, raw: unknown): { id: string; inTemplate: boolean; omitted: boolean } {
  return ctx.env.resolveResource(expectString(ctx.name, raw, 1));
}

function referenceFunction(args: unknown[], ctx: CallContext): unknown {
  const apiVersion = args[1] === undefined ? undefined : expectString("reference", args[1], 2);
  const full = args[2] !== undefined && expectString("reference", args[2], 3).toLowerCase() === "full";
  const resolved = target(ctx, args[0]);
  if (resolved.inTemplate) {
    if (resolved.omitted) return ctx.defer(`reference() to '${resolved.id}', whose condition is false (not deployed)`);
    ctx.env.noteReference(resolved.id);
    // With a runtime (e.g. re-evaluating a deployment whose resources now exist), ask it; otherwise ARM alone knows.
    if (ctx.env.runtime.reference) return ctx.env.runtime.reference(resolved.id, apiVersion, full);
    return ctx.defer(`reference() to '${resolved.id}', deployed by this template, is only known after deployment`);
  }
  if (ctx.env.runtime.reference) return ctx.env.runtime.reference(resolved.id, apiVersion, full);
  return ctx.defer(`reference() to existing resource '${resolved.id}' needs a runtime lookup`);
}

/** Any list* function (listKeys, listCredentials, ...): secrets and runtime data, never computed offline. */
export function listFunction(args: unknown[], ctx: CallContext): unknown {
  const apiVersion = expectString(ctx.name, args[1], 2);
  const resolved = target(ctx, args[0]);
  if (resolved.inTemplate) {
    return ctx.defer(`${ctx.name}() of '${resolved.id}', deployed by this template, is only known after deployment`);
  }
  if (ctx.env.runtime.list) return ctx.env.runtime.list(resolved.id, apiVersion, ctx.name);
  return ctx.defer(`${ctx.name}() of '${resolved.id}' needs a runtime call`);
}

const MANAGEMENT_GROUPS = "/providers/Microsoft.Management/managementGroups";

/** managementGroupResourceId([managementGroupName], type, name1, ...): this deployment targets no management group. */
function managementGroupResourceId(args: unknown[]): string {
  const s = strings("managementGroupResourceId", args);
  const typeIndex = s.findIndex((x) => x.includes("/"));
  if (typeIndex !== 1) {
    throw new ArmExpressionError(
      "managementGroupResourceId() needs the management group name before the resource type outside a management group deployment",
    );
  }
  return `${MANAGEMENT_GROUPS}/${s[0] as string}/providers/${providerPath(s[1] as string, s.slice(2))}`;
}

export const resourceFunctions = [
  fn("managementGroupResourceId", 3, Infinity, managementGroupResourceId),
  // Values only Azure has: zones per region and SKU, the properties of every resource of a copy loop, provider data.
  fn("pickZones", 3, 5, (args, ctx) => {
    strings("pickZones", args.slice(0, 3));
    return ctx.defer("pickZones() reads the region's availability zones, known in Azure");
  }),
  fn("references", 1, 2, (args, ctx) =>
    ctx.defer(
      `references() returns the deployed state of '${expectString("references", args[0], 1)}', known after deployment`,
    ),
  ),
  fn("providers", 1, 2, (args, ctx) =>
    ctx.defer(`providers() reads resource provider '${expectString("providers", args[0], 1)}' from Azure`),
  ),
  fn("resourceId", 2, Infinity, resourceId),
  fn("subscriptionResourceId", 2, Infinity, subscriptionResourceId),
  fn("tenantResourceId", 2, Infinity, (args) => {
    const [type, ...names] = strings("tenantResourceId", args);
    return `/providers/${providerPath(type as string, names)}`;
  }),
  fn("extensionResourceId", 3, Infinity, (args) => {
    const [scopeId, type, ...names] = strings("extensionResourceId", args);
    return `${(scopeId as string).replace(/\/+$/, "")}/providers/${providerPath(type as string, names)}`;
  }),
  fn("reference", 1, 3, referenceFunction),
];
