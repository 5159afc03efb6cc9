import { ArmExpressionError } from "./errors";

/** Splits `Microsoft.Network/virtualNetworks/subnets` into namespace and type segments. */
function typeSegments(type: string): { namespace: string; types: string[] } {
  const parts = type.split("/").filter((p) => p.length > 0);
  if (parts.length < 2) throw new ArmExpressionError(`resource type '${type}' must look like 'Namespace/type[/child]'`);
  return { namespace: parts[0] as string, types: parts.slice(1) };
}

/** `Namespace/t1/n1/t2/n2` for a type and its name segments (which must match the type's depth). */
export function providerPath(type: string, names: readonly string[]): string {
  const { namespace, types } = typeSegments(type);
  const segments = names.flatMap((n) => n.split("/")).filter((n) => n.length > 0);
  if (segments.length !== types.length) {
    throw new ArmExpressionError(
      `resource type '${type}' needs ${types.length} name segment(s), got ${segments.length} ('${segments.join("/")}')`,
    );
  }
  let path = namespace;
  types.forEach((t, i) => (path += `/${t}/${segments[i] as string}`));
  return path;
}

export function subscriptionPrefix(subscriptionId: string): string {
  return `/subscriptions/${subscriptionId}`;
}

export function resourceGroupPrefix(subscriptionId: string, resourceGroup: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
}

/**
 * Full id of a resource under a scope prefix. Resource groups are addressed as
 * `/subscriptions/{s}/resourceGroups/{name}`, not through the provider path.
 */
export function resourceIdUnder(prefix: string, type: string, names: readonly string[]): string {
  const path = providerPath(type, names);
  if (type.toLowerCase() === "microsoft.resources/resourcegroups" && /^\/subscriptions\/[^/]+$/i.test(prefix)) {
    return `${prefix}/resourceGroups/${path.split("/")[2] as string}`;
  }
  return `${prefix}/providers/${path}`;
}

/** Lower-cased id for lookups; ARM ids compare case-insensitively. */
export function idKey(id: string): string {
  // resourceId('Microsoft.Resources/resourceGroups', ...) may come in provider form; both address the same group.
  return id
    .replace(/\/+$/, "")
    .toLowerCase()
    .replace(/^(\/subscriptions\/[^/]+)\/providers\/microsoft\.resources\/resourcegroups\//, "$1/resourcegroups/");
}

/**
 * Parses the relative `Namespace/type/name[/childType/childName]` form used by dependsOn and `scope` into a type
 * and its name segments, or undefined when the text has another shape.
 */
export function parseRelativeResource(text: string): { type: string; names: string[] } | undefined {
  const parts = text.split("/").filter((p) => p.length > 0);
  if (parts.length < 3 || parts.length % 2 === 0 || !(parts[0] as string).includes(".")) return undefined;
  const types = [parts[0] as string];
  const names: string[] = [];
  for (let i = 1; i < parts.length; i += 2) {
    types.push(parts[i] as string);
    names.push(parts[i + 1] as string);
  }
  return { type: types.join("/"), names };
}
