import { createRestError, type Client } from "@azure-rest/core-client";
import { z } from "zod";
import type { ArmConnection } from "./connection";
import type { CallOptions } from "./deployments";
import { ArmContractError, armCall, toErrorDetails, type ArmResult } from "./errors";

/**
 * Any ARM resource by id, on `@azure-rest/core-client` with the same connection as every other client: a delete
 * started in one call and followed in later ones (so an orchestration can wait with durable timers instead of an
 * activity sleeping through a cluster deletion), one resource read, and the role assignments of a principal at a
 * scope.
 */

/** The role-assignment api-version the templates deploy with. */
export const ROLE_ASSIGNMENTS_API_VERSION = "2022-04-01";

/** Where to ask how a started delete is doing; opaque to callers, serializable into durable history. */
export const deletePollSchema = z.object({
  url: z.string(),
  /** `asyncOperation`: a status body (`{status}`); `location`: 202 while running, 200/204 when done. */
  kind: z.enum(["asyncOperation", "location"]),
});
export type DeletePoll = z.infer<typeof deletePollSchema>;

/** `absent`: there was nothing to delete (ARM answers a DELETE of a resource that does not exist with 204 or 404). */
export type DeleteProgress =
  { state: "deleted" } | { state: "absent" } | { state: "deleting"; poll: DeletePoll; retryAfterSeconds?: number };

export interface RoleAssignmentInfo {
  id: string;
  name: string;
  principalId: string;
  roleDefinitionId: string;
  /** The scope the assignment is on (from `properties.scope`, else from its id). */
  scope: string;
}

const pageSchema = z.object({ value: z.array(z.unknown()).default([]), nextLink: z.string().nullish() });

const roleAssignmentSchema = z.object({
  id: z.string(),
  name: z.string(),
  properties: z
    .object({ principalId: z.string(), roleDefinitionId: z.string().default(""), scope: z.string().optional() })
    .loose(),
});

const operationStatusSchema = z.object({ status: z.string(), error: z.unknown().optional() }).loose();

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** ARM's usual state words for an asynchronous operation that has ended badly. */
const FAILED_STATES = new Set(["failed", "canceled", "cancelled"]);

export class ResourcesAdapter {
  private readonly client: Client;

  /** No subscription: it is part of every id and scope the calls take. */
  constructor(connection: ArmConnection) {
    this.client = connection.rest();
  }

  /** A resource as ARM returns it (unparsed: callers read what they need), or `undefined` when it does not exist. */
  async get(id: string, apiVersion: string, options: CallOptions = {}): Promise<ArmResult<unknown>> {
    const result = await armCall("get", id, async () => {
      const response = await this.client
        .pathUnchecked(id)
        .get({ abortSignal: options.abortSignal, queryParameters: { "api-version": apiVersion } });
      if (response.status !== "200") throw createRestError(response);
      return response.body as unknown;
    });
    return !result.ok && result.error.kind === "notFound" ? { ok: true, value: undefined } : result;
  }

  /**
   * Starts deleting a resource (or a resource group: its id, api-version of `Microsoft.Resources`). A resource
   * that is already gone counts as deleted, so a repeated teardown is harmless.
   */
  async beginDelete(id: string, apiVersion: string, options: CallOptions = {}): Promise<ArmResult<DeleteProgress>> {
    const result = await armCall("delete", id, async (): Promise<DeleteProgress> => {
      const response = await this.client
        .pathUnchecked(id)
        .delete({ abortSignal: options.abortSignal, queryParameters: { "api-version": apiVersion } });
      if (response.status === "200") return { state: "deleted" };
      if (response.status === "204") return { state: "absent" };
      if (response.status !== "202") throw createRestError(response);
      const asyncOperation = response.headers["azure-asyncoperation"];
      const location = response.headers["location"];
      const poll: DeletePoll | undefined = asyncOperation
        ? { url: asyncOperation, kind: "asyncOperation" }
        : location
          ? { url: location, kind: "location" }
          : undefined;
      if (!poll) throw new ArmContractError(`DELETE ${id}: 202 without Azure-AsyncOperation or Location`);
      return { state: "deleting", poll, ...retryAfter(response.headers["retry-after"]) };
    });
    return !result.ok && result.error.kind === "notFound" ? { ok: true, value: { state: "absent" } } : result;
  }

  /** One look at a delete started by `beginDelete`; `target` names the resource in errors. */
  async deleteStatus(poll: DeletePoll, target: string, options: CallOptions = {}): Promise<ArmResult<DeleteProgress>> {
    return armCall("delete", target, async (): Promise<DeleteProgress> => {
      const response = await this.client
        .pathUnchecked(poll.url)
        .get({ abortSignal: options.abortSignal, skipUrlEncoding: true });
      if (poll.kind === "location") {
        if (response.status === "202")
          return { state: "deleting", poll, ...retryAfter(response.headers["retry-after"]) };
        if (response.status === "200" || response.status === "204") return { state: "deleted" };
        throw createRestError(response);
      }
      if (response.status !== "200") throw createRestError(response);
      const status = operationStatusSchema.safeParse(response.body);
      if (!status.success) throw new ArmContractError(`delete ${target}: unexpected operation status body`);
      const state = status.data.status.toLowerCase();
      if (state === "succeeded") return { state: "deleted" };
      if (FAILED_STATES.has(state)) {
        const error = toErrorDetails([status.data.error])[0] ?? { code: "OperationFailed", message: state };
        // Reported as a failed request so armCall classifies it like any other ARM error.
        throw createRestError(error.message, { ...response, status: "400", body: { error } });
      }
      return { state: "deleting", poll, ...retryAfter(response.headers["retry-after"]) };
    });
  }

  /**
   * Role assignments of `principalId` that ARM returns for `scope` (`$filter=principalId eq '…'`: at the scope,
   * above it and below it), every page.
   */
  async listRoleAssignments(
    scope: string,
    principalId: string,
    options: CallOptions = {},
  ): Promise<ArmResult<RoleAssignmentInfo[]>> {
    // The id goes into an OData filter: only a GUID may (anything else would change the filter's meaning).
    if (!GUID.test(principalId))
      throw new ArmContractError(`list role assignments at ${scope}: principal id '${principalId}' is not a GUID`);
    return armCall("list role assignments", `${scope} (principal ${principalId})`, async () => {
      const out: RoleAssignmentInfo[] = [];
      const first = `${scope.replace(/\/+$/, "")}/providers/Microsoft.Authorization/roleAssignments`;
      let next: string | undefined = first;
      while (next !== undefined) {
        const response = await this.client.pathUnchecked(next).get({
          abortSignal: options.abortSignal,
          ...(next === first
            ? {
                queryParameters: {
                  "api-version": ROLE_ASSIGNMENTS_API_VERSION,
                  $filter: `principalId eq '${principalId}'`,
                },
              }
            : { skipUrlEncoding: true }),
        });
        if (response.status !== "200") throw createRestError(response);
        const page = pageSchema.safeParse(response.body);
        if (!page.success) throw new ArmContractError(`list role assignments at ${scope}: unexpected list response`);
        for (const item of page.data.value) {
          const parsed = roleAssignmentSchema.safeParse(item);
          if (!parsed.success)
            throw new ArmContractError(
              `list role assignments at ${scope}: unexpected item at ${parsed.error.issues[0]?.path.join(".") ?? ""}`,
            );
          const { id, name, properties } = parsed.data;
          out.push({
            id,
            name,
            principalId: properties.principalId,
            roleDefinitionId: properties.roleDefinitionId,
            scope:
              properties.scope ?? id.replace(/\/providers\/Microsoft\.Authorization\/roleAssignments\/[^/]+$/i, ""),
          });
        }
        next = page.data.nextLink ?? undefined;
      }
      return out;
    });
  }
}

/** ARM's Retry-After header in seconds, when it sent a usable one. */
export function retryAfter(value: string | undefined): { retryAfterSeconds?: number } {
  const seconds = Number(value);
  return value !== undefined && Number.isFinite(seconds) && seconds >= 0 ? { retryAfterSeconds: seconds } : {};
}
