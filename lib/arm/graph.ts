import { ArmTemplateError } from "./errors";
import { idKey } from "./ids";
import type { ExpandedResource } from "./types";

/** Ids without duplicates (ids compare case-insensitively) and without `self`, first occurrence kept. */
export function uniqueIds(ids: readonly string[], self: string): string[] {
  const seen = new Set<string>([idKey(self)]);
  const out: string[] = [];
  for (const id of ids) {
    const key = idKey(id);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(id);
  }
  return out;
}

/** Fails with the cycle spelled out when dependsOn edges loop. */
export function checkCycles(
  resources: readonly ExpandedResource[],
  templateName: string,
  pathOf: (id: string) => string,
): void {
  const byKey = new Map(resources.map((r) => [idKey(r.id), r]));
  const state = new Map<string, 1 | 2>();
  for (const start of resources) {
    const startKey = idKey(start.id);
    if (state.has(startKey)) continue;
    const stack: { key: string; next: number }[] = [{ key: startKey, next: 0 }];
    state.set(startKey, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { key: string; next: number };
      const deps = byKey.get(top.key)?.dependsOn ?? [];
      if (top.next >= deps.length) {
        state.set(top.key, 2);
        stack.pop();
        continue;
      }
      const depKey = idKey(deps[top.next++] as string);
      if (!byKey.has(depKey)) continue;
      const s = state.get(depKey);
      if (s === 1) {
        const from = stack.findIndex((f) => f.key === depKey);
        const cycle = [...stack.slice(from).map((f) => f.key), depKey].map(
          (k) => (byKey.get(k) as ExpandedResource).id,
        );
        throw new ArmTemplateError(
          templateName,
          pathOf(cycle[0] as string),
          undefined,
          `circular dependency: ${cycle.join(" -> ")}`,
        );
      }
      if (s === undefined) {
        state.set(depKey, 1);
        stack.push({ key: depKey, next: 0 });
      }
    }
  }
}
