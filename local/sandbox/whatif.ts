import { key } from "./ids";
import { resourceView, type ResourceRequest, type SandboxContext } from "./state";

/**
 * What-if: per resource Create / Modify / NoChange (and Delete in Complete mode, Ignore in Incremental),
 * comparing the expanded request with the resource's CURRENT state: what the last write asked for, whether that
 * was a deployment or a direct PUT through the API (so a change made by hand shows as Modify, a resource deleted
 * by hand as Create). A value the sandbox cannot know before deploying (a `$deferred` marker) is not a change.
 * Arrays are compared element by element as ARM's what-if does (`propertyChangeType: "Array"` with `children`
 * whose paths are indexes), so an added NSG rule is one `Delete` child, not a whole-array Modify.
 */

interface PropertyChange {
  path: string;
  propertyChangeType: "Create" | "Delete" | "Modify" | "Array";
  before?: unknown;
  after?: unknown;
  children?: PropertyChange[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isDeferredMarker(v: unknown): boolean {
  return isPlainObject(v) && Object.keys(v).length === 1 && typeof v.$deferred === "string";
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Index pairs of equal elements in order (longest common subsequence). */
function commonElements(before: unknown[], after: unknown[]): [number, number][] {
  const table = before.map(() => new Array<number>(after.length + 1).fill(0));
  table.push(new Array<number>(after.length + 1).fill(0));
  for (let i = before.length - 1; i >= 0; i--)
    for (let j = after.length - 1; j >= 0; j--)
      table[i]![j] = same(before[i], after[j])
        ? table[i + 1]![j + 1]! + 1
        : Math.max(table[i + 1]![j]!, table[i]![j + 1]!);
  const pairs: [number, number][] = [];
  for (let i = 0, j = 0; i < before.length && j < after.length;) {
    if (same(before[i], after[j])) pairs.push([i++, j++]);
    else if (table[i + 1]![j]! >= table[i]![j + 1]!) i++;
    else j++;
  }
  return pairs;
}

function arrayChildren(before: unknown[], after: unknown[]): PropertyChange[] {
  const pairs = commonElements(before, after);
  const keptBefore = new Set(pairs.map(([i]) => i));
  const keptAfter = new Set(pairs.map(([, j]) => j));
  const removed = before.map((_, i) => i).filter((i) => !keptBefore.has(i));
  const added = after.map((_, j) => j).filter((j) => !keptAfter.has(j));
  const children: PropertyChange[] = [];
  // An element replaced in place (same position) is a Modify of that element, with its own nested changes.
  for (const i of [...removed]) {
    if (!added.includes(i)) continue;
    const nested: PropertyChange[] = [];
    diff(before[i], after[i], "", nested);
    removed.splice(removed.indexOf(i), 1);
    added.splice(added.indexOf(i), 1);
    if (nested.length)
      children.push({
        path: String(i),
        propertyChangeType: "Modify",
        before: before[i],
        after: after[i],
        children: nested,
      });
  }
  for (const i of removed) children.push({ path: String(i), propertyChangeType: "Delete", before: before[i] });
  for (const j of added) children.push({ path: String(j), propertyChangeType: "Create", after: after[j] });
  return children.sort((a, b) => Number(a.path) - Number(b.path));
}

function diff(before: unknown, after: unknown, path: string, out: PropertyChange[]): void {
  if (isDeferredMarker(after)) return;
  if (isPlainObject(before) && isPlainObject(after)) {
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)]))
      diff(before[k], after[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const children = arrayChildren(before, after);
    if (children.length) out.push({ path, propertyChangeType: "Array", children });
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
