import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ArmContractError,
  DeploymentsAdapter,
  ResourceGroupsAdapter,
  ResourcesAdapter,
  type DeleteProgress,
} from "../../lib/azure";
import { sandboxFetch, startFixture, waitForDeployment, type SandboxFixture } from "../sandbox/helpers";

/**
 * lib/azure/resources.ts against the sandbox over HTTPS: role assignments of one principal at a scope (filtered,
 * paged), deletes started and followed by id, and the sandbox refusing filters it does not understand.
 */

const P1 = "11111111-1111-4111-a111-111111111111";
const P2 = "22222222-2222-4222-a222-222222222222";
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

const grant = (principal: string, salt: string, scoped: boolean) => ({
  type: "Microsoft.Authorization/roleAssignments",
  apiVersion: "2022-04-01",
  name: `[guid(resourceGroup().id, '${principal}', '${salt}')]`,
  ...(scoped
    ? {
        scope: "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'id-a')]",
        dependsOn: ["[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'id-a')]"],
      }
    : {}),
  properties: {
    roleDefinitionId: `[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${READER}')]`,
    principalId: principal,
    principalType: "ServicePrincipal",
  },
});

const template = {
  $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  contentVersion: "1.0.0.0",
  resources: [
    {
      type: "Microsoft.ManagedIdentity/userAssignedIdentities",
      apiVersion: "2024-11-30",
      name: "id-a",
      location: "[resourceGroup().location]",
    },
    grant(P1, "group", false),
    grant(P1, "identity", true),
    grant(P1, "group-2", false),
    grant(P2, "group", false),
  ],
};

describe("ResourcesAdapter on the sandbox ARM", () => {
  let f: SandboxFixture;
  let resources: ResourcesAdapter;
  let groups: ResourceGroupsAdapter;
  let scope: string;

  beforeAll(async () => {
    // Page size 2 so the three assignments of P1 take two pages.
    f = await startFixture({ pageSize: 2 });
    resources = new ResourcesAdapter(f.connection);
    groups = new ResourceGroupsAdapter(f.connection, f.sandbox.subscriptionId);
    expect((await groups.ensure("rg-t", "koreacentral")).ok).toBe(true);
    const deployments = new DeploymentsAdapter(f.connection, f.sandbox.subscriptionId);
    const ref = { scope: "resourceGroup" as const, resourceGroup: "rg-t", name: "grants" };
    expect((await deployments.start({ ...ref, template, parameters: {} })).ok).toBe(true);
    expect((await waitForDeployment(deployments, ref)).state).toBe("succeeded");
    scope = `/subscriptions/${f.sandbox.subscriptionId}/resourceGroups/rg-t`;
  });

  afterAll(async () => {
    await f?.stop();
  });

  it("lists a principal's role assignments at and below a scope, across pages", async () => {
    const listed = await resources.listRoleAssignments(scope, P1);
    expect(listed.ok).toBe(true);
    const assignments = listed.ok ? listed.value : [];
    expect(assignments).toHaveLength(3);
    expect(assignments.every((a) => a.principalId === P1 && a.roleDefinitionId.endsWith(READER))).toBe(true);
    expect(assignments.map((a) => a.scope.toLowerCase()).sort()).toEqual(
      [scope, scope, `${scope}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-a`]
        .map((s) => s.toLowerCase())
        .sort(),
    );
    // Below the identity only its own grant; another principal only its own.
    const atIdentity = await resources.listRoleAssignments(
      `${scope}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-a`,
      P1,
    );
    expect(atIdentity.ok && atIdentity.value.length).toBe(3); // at, and above (the group's two)
    const other = await resources.listRoleAssignments(scope, P2);
    expect(other.ok && other.value.map((a) => a.principalId)).toEqual([P2]);
  });

  it("refuses a principal id that is not a GUID before it reaches the filter", async () => {
    await expect(resources.listRoleAssignments(scope, "x' or 1 eq 1 or principalId eq 'y")).rejects.toBeInstanceOf(
      ArmContractError,
    );
  });

  it("the sandbox refuses a role-assignment filter it does not understand instead of ignoring it", async () => {
    const filter = encodeURIComponent("atScope() and assignedTo('x')");
    const res = await sandboxFetch(
      f.sandbox,
      `${scope}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=${filter}`,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("UnsupportedFilter");
  });

  it("deletes by id: a grant, a missing resource, and a resource group followed until it is gone", async () => {
    const listed = await resources.listRoleAssignments(scope, P2);
    const id = listed.ok ? listed.value[0]!.id : "";
    const follow = async (progress: DeleteProgress, target: string): Promise<DeleteProgress> => {
      for (let i = 0; i < 200 && progress.state === "deleting"; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const next = await resources.deleteStatus(progress.poll, target);
        if (!next.ok) throw new Error(next.error.message);
        progress = next.value;
      }
      return progress;
    };
    const grantDelete = await resources.beginDelete(id, "2022-04-01");
    expect(grantDelete.ok).toBe(true);
    expect(await follow(grantDelete.ok ? grantDelete.value : { state: "deleted" }, id)).toEqual({ state: "deleted" });
    expect(await resources.listRoleAssignments(scope, P2)).toEqual({ ok: true, value: [] });

    expect(
      await resources.beginDelete(`${scope}/providers/Microsoft.Network/virtualNetworks/none`, "2025-05-01"),
    ).toEqual({ ok: true, value: { state: "absent" } });

    const groupDelete = await resources.beginDelete(scope, "2025-04-01");
    expect(groupDelete.ok && groupDelete.value.state).toBe("deleting");
    expect(await follow(groupDelete.ok ? groupDelete.value : { state: "deleted" }, scope)).toEqual({
      state: "deleted",
    });
    expect(await groups.get("rg-t")).toEqual({ ok: true, value: undefined });
  });
});
