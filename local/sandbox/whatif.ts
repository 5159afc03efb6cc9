import { key } from "./ids";
import { resourceView, type ResourceRequest, type SandboxContext } from "./state";

/**
 * What-if: per resource Create / Modify / NoChange (and Delete in Complete mode, Ignore in Incremental),
 * comparing the expanded request with the one stored at the last deployment. A value the sandbox cannot
 * know before deploying (a `$deferred` marker) is not reported as a change.
 */

interface PropertyChange {
  path: string;
  propertyChangeType: "Create" | "Delete" | "Modify";
  before?: unknown;
  after?: unknown;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isDeferredMarker(v: unknown): boolean {
  return isPlainObject(v) && Object.keys(v).length === 1 && typeof v.$deferred === "string";
}

function diff(before: unknown, after: unknown, path: string, out: PropertyChange[]): void {
  if (isDeferredMarker(after)) return;
  if (isPlainObject(before) && isPlainObject(after)) {
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)]))
      diff(before[k], after[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return;
  if (before === undefined) out.push({ path, propertyChangeType: "Create", after });
  else if (after === undefined) out.push({ path, propertyChangeType: "Delete", before });
  else out.push({ path, propertyChangeType: "Modify", before, after });
}

function requestBody(r: ResourceRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (v !== undefined) body[k] = v;
  return body;
}

export function whatIfChanges(
  ctx: SandboxContext,
  resources: { id: string; type: string; apiVersion: string; request: ResourceRequest }[],
  mode: "Incremental" | "Complete",
  scopePrefix: string | undefined,
): unknown[] {
  const changes: unknown[] = [];
  const inTemplate = new Set<string>();
  for (const r of resources) {
    inTemplate.add(key(r.id));
    if (r.type.toLowerCase() === "microsoft.resources/resourcegroups") {
      const name = r.id.split("/").pop() ?? "";
      const exists = ctx.data.resourceGroups[key(name)] !== undefined;
      changes.push({
        resourceId: r.id,
        changeType: exists ? "NoChange" : "Create",
        after: { id: r.id, ...requestBody(r.request) },
      });
      continue;
    }
    const stored = ctx.data.resources[key(r.id)];
    const after = { id: r.id, type: r.type, apiVersion: r.apiVersion, ...requestBody(r.request) };
    if (!stored) {
      changes.push({ resourceId: r.id, changeType: "Create", after });
      continue;
    }
    const delta: PropertyChange[] = [];
    diff(requestBody(stored.request), requestBody(r.request), "", delta);
    changes.push({
      resourceId: r.id,
      changeType: delta.length ? "Modify" : "NoChange",
      before: resourceView(stored),
      after,
      ...(delta.length ? { delta } : {}),
    });
  }
  if (scopePrefix !== undefined) {
    for (const [k, stored] of Object.entries(ctx.data.resources)) {
      if (!k.startsWith(scopePrefix) || inTemplate.has(k)) continue;
      changes.push({
        resourceId: stored.id,
        changeType: mode === "Complete" ? "Delete" : "Ignore",
        before: resourceView(stored),
      });
    }
  }
  return changes;
}
