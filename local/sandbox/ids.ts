import { createHash } from "node:crypto";

/** ARM resource ids, compared case-insensitively like ARM does. */

export interface ParsedResourceId {
  subscriptionId: string;
  resourceGroup?: string;
  /** Full type, e.g. `Microsoft.ContainerService/managedClusters/agentPools`; undefined for a group or subscription. */
  type?: string;
  /** Full name, e.g. `aks-mgmt/ingress`. */
  name?: string;
  /** For extension resources (`{scope}/providers/…`): the id of the resource they extend. */
  extendedScope?: string;
  /** The top-level resource (`…/providers/NS/type/name`) this id belongs to. */
  topLevelId?: string;
}

export function key(id: string): string {
  return id.toLowerCase().replace(/\/+$/, "");
}

export function parseResourceId(id: string): ParsedResourceId | undefined {
  const parts = id.replace(/^\/+|\/+$/g, "").split("/");
  if (parts[0]?.toLowerCase() !== "subscriptions" || !parts[1]) return undefined;
  const result: ParsedResourceId = { subscriptionId: parts[1] };
  let i = 2;
  if (parts[i]?.toLowerCase() === "resourcegroups") {
    if (!parts[i + 1]) return undefined;
    result.resourceGroup = parts[i + 1];
    i += 2;
  }
  if (i >= parts.length) return result;
  const lastProviders = parts.map((p) => p.toLowerCase()).lastIndexOf("providers");
  if (lastProviders < i) return undefined;
  const rest = parts.slice(lastProviders + 1);
  if (rest.length < 3 || rest.length % 2 === 0) return undefined;
  const [namespace, ...pairs] = rest;
  const types: string[] = [];
  const names: string[] = [];
  for (let j = 0; j < pairs.length; j += 2) {
    types.push(pairs[j]!);
    names.push(pairs[j + 1]!);
  }
  result.type = [namespace, ...types].join("/");
  result.name = names.join("/");
  const scope = "/" + parts.slice(0, lastProviders).join("/");
  if (lastProviders > i) result.extendedScope = scope;
  result.topLevelId = `${scope}/providers/${namespace}/${types[0]}/${names[0]}`;
  return result;
}

/** The id of the parent resource (`…/a/x/b/y` → `…/a/x`), or the scope for a top-level resource. */
export function parentId(id: string): string | undefined {
  const parsed = parseResourceId(id);
  if (!parsed?.type) return undefined;
  const depth = parsed.type.split("/").length - 1;
  const parts = id.replace(/\/+$/, "").split("/");
  return depth > 1 ? parts.slice(0, -2).join("/") : parts.slice(0, -4).join("/") || undefined;
}

/** A stable GUID derived from a seed, so simulated principal ids repeat across runs. */
export function guidFrom(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
