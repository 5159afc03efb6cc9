import { ArmHttpError } from "./http";
import { key } from "./ids";
import { resourceView, type SandboxContext } from "./state";

/**
 * `GET {scope}/providers/Microsoft.Authorization/roleAssignments[?$filter=principalId eq '…']`: what ARM returns
 * for a scope, the assignments at it, above it and below it, optionally of one principal. Role assignments are
 * stored like any deployed resource (an extension resource whose id starts with the scope it is on).
 */

export const ROLE_ASSIGNMENTS_SUFFIX = /\/providers\/microsoft\.authorization\/roleassignments$/i;

const ROLE_ASSIGNMENT_TYPE = "microsoft.authorization/roleassignments";

export function listRoleAssignments(ctx: SandboxContext, path: string, filter: string | null): unknown[] {
  const scope = key(path.replace(ROLE_ASSIGNMENTS_SUFFIX, ""));
  const principal = principalFilter(filter);
  const related = (other: string) => other === scope || other.startsWith(`${scope}/`) || scope.startsWith(`${other}/`);
  return Object.values(ctx.data.resources)
    .filter((r) => r.type.toLowerCase() === ROLE_ASSIGNMENT_TYPE)
    .map((r) => {
      const view = resourceView(r);
      const assignmentScope = r.id.replace(/\/providers\/microsoft\.authorization\/roleassignments\/[^/]+$/i, "");
      return { ...view, properties: { ...(view.properties as object), scope: assignmentScope } };
    })
    .filter((view) => related(key(view.properties.scope)))
    .filter((view) => {
      const assigned = (view.properties as { principalId?: unknown }).principalId;
      return principal === undefined || (typeof assigned === "string" && assigned.toLowerCase() === principal);
    });
}

/** The principal of `principalId eq '…'`; no filter means every principal. Other filters are refused, not ignored. */
function principalFilter(filter: string | null): string | undefined {
  if (filter === null || filter.trim() === "") return undefined;
  const m = /^\s*principalId\s+eq\s+'([0-9a-f-]{36})'\s*$/i.exec(filter);
  if (!m)
    throw new ArmHttpError(
      400,
      "UnsupportedFilter",
      `The sandbox supports only $filter=principalId eq '<guid>' on role assignments, not '${filter}'.`,
    );
  return m[1]!.toLowerCase();
}
