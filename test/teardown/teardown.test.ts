import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  stepDone,
  teardownInstanceId,
  type TeardownClusterInput,
  type TeardownResult,
  type TeardownStatus,
} from "../../lib/api/clusters";
import { ResourceGroupsAdapter } from "../../lib/azure";
import { Orchestrations } from "../../lib/function-names";
import { buildDeploymentUnits } from "../../lib/plan/units";
import { defaultSpec } from "../../lib/spec";
import { buildPlatform, type Platform } from "../helpers/platform";
import { startSink, type Sink } from "../helpers/sink";

/**
 * RG-1 on the sandbox: the default platform is built, cluster app2 torn down through the real orchestration and
 * activities, and built again. One build plus one rebuild of app2 for the whole file.
 */

const spec = defaultSpec;
const app2 = spec.clusters.find((c) => c.name === "app2")!;
const others = spec.clusters.filter((c) => c.name !== "app2");
const sub = `/subscriptions/${spec.subscriptionId}`;
const common = `${sub}/resourceGroups/${spec.commonResourceGroup}`;
const vnetId = (name: string) => `${common}/providers/Microsoft.Network/virtualNetworks/${name}`;

interface View {
  id: string;
  type: string;
  properties?: Record<string, unknown>;
}

describe("tearing down one cluster (sandbox ARM)", () => {
  let runtime: Platform;
  let sink: Sink;
  let groups: ResourceGroupsAdapter;
  const resources = () => runtime.sandbox.state.resources() as View[];
  const exists = (id: string) => resources().some((r) => r.id.toLowerCase() === id.toLowerCase());
  const inGroupId = (group: string, id: string) =>
    id.toLowerCase().startsWith(`${sub}/resourceGroups/${group}/`.toLowerCase());
  const inGroup = (group: string) => resources().filter((r) => inGroupId(group, r.id));
  const isRoleAssignment = (r: View) => r.type.toLowerCase() === "microsoft.authorization/roleassignments";
  const roleAssignments = () => resources().filter(isRoleAssignment);
  let app2Principals: Set<string>;
  /** Role assignments of app2's identities on shared scopes (ACR, Key Vault, DNS zone, …) after the build. */
  let sharedGrants: View[];
  const backupInstanceId = `${common}/providers/Microsoft.DataProtection/backupVaults/${spec.shared.backupVault.name}/backupInstances/bi-${app2.aksName}`;
  let before: { otherGroups: Map<string, number>; otherAssignments: number; common: number };

  /** Principal and object ids of the identities in a group's resources (identities, kubelet, add-ons, extensions). */
  function principalsIn(group: string): Set<string> {
    const found = new Set<string>();
    const walk = (value: unknown, name: string) => {
      if (typeof value === "string" && /^(principalId|objectId)$/.test(name)) found.add(value.toLowerCase());
      else if (value && typeof value === "object")
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, k);
    };
    // Grants name principals from elsewhere too (the backup vault's identity reads the cluster): not app2's own.
    for (const r of inGroup(group).filter((r) => !isRoleAssignment(r))) walk(r, "");
    return found;
  }

  beforeAll(async () => {
    sink = await startSink();
    runtime = await buildPlatform({ spec, notify: sink });
    groups = new ResourceGroupsAdapter(runtime.connection, spec.subscriptionId);
    app2Principals = principalsIn(app2.resourceGroup);
    const isApp2 = (r: View) => app2Principals.has(String(r.properties?.["principalId"]).toLowerCase());
    sharedGrants = roleAssignments().filter(
      (r) => isApp2(r) && r.id.toLowerCase().startsWith(`${common}/`.toLowerCase()),
    );
    before = {
      otherGroups: new Map(others.map((c) => [c.resourceGroup, inGroup(c.resourceGroup).length])),
      // Grants inside app2's group (the vault's on the cluster) go with the group.
      otherAssignments: roleAssignments().filter((r) => !isApp2(r) && !inGroupId(app2.resourceGroup, r.id)).length,
      common: inGroup(spec.commonResourceGroup).length,
    };
  }, 240_000);

  afterAll(async () => {
    await runtime?.stop();
  });

  async function teardown(
    deleteBackups = false,
  ): Promise<{ runtimeStatus: string; output: unknown; customStatus: unknown }> {
    sink.reset();
    const instanceId = teardownInstanceId(spec.name, app2.name);
    await runtime.driver.startNew(Orchestrations.teardownCluster, {
      instanceId,
      input: { spec, cluster: app2.name, ...(deleteBackups ? { deleteBackups } : {}) } satisfies TeardownClusterInput,
    });
    return runtime.driver.waitForCompletion(instanceId, { timeoutMs: 120_000 });
  }

  it("when the cluster cannot be read, nothing is deleted and the channels hear why", async () => {
    const writes = runtime.sandbox.counters.snapshot().writes;
    runtime.sandbox.faults.add({
      match: { method: "GET", path: "/providers/Microsoft.Authorization/roleAssignments" },
      effect: { kind: "error", status: 403, code: "AuthorizationFailed", message: "no read permission" },
    });
    const refused = await teardown();
    runtime.sandbox.faults.clear();
    expect(refused.runtimeStatus).toBe("Failed");
    expect(String(refused.output)).toContain("did not start deleting");
    expect(String(refused.output)).toContain("AuthorizationFailed");
    expect(runtime.sandbox.counters.snapshot().writes).toBe(writes);
    expect(exists(backupInstanceId)).toBe(true);
    expect(sharedGrants.every((g) => exists(g.id))).toBe(true);
    const bodies = sink.requestsTo("/teams").map((r) => r.body);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toContain(`Teardown of cluster ${app2.name} did not start`);
  }, 180_000);

  it("a failing step stops the teardown before the group, says what is left and notifies", async () => {
    expect(sharedGrants.length).toBeGreaterThanOrEqual(5);
    expect(exists(backupInstanceId)).toBe(true);
    runtime.sandbox.faults.add({
      match: { method: "POST", path: `backupInstances/bi-${app2.aksName}/stopProtection` },
      effect: { kind: "error", status: 403, code: "AuthorizationFailed", message: "no permission on the vault" },
      times: 1,
    });

    // One grant fails too: the second run must still find it, although the first forgot app2's deployments.
    const stuckGrant = sharedGrants[0]!;
    runtime.sandbox.faults.add({
      match: { method: "DELETE", path: stuckGrant.id.split("/").pop()! },
      effect: { kind: "error", status: 403, code: "AuthorizationFailed", message: "no permission on the scope" },
      times: 1,
    });

    const failed = await teardown();
    expect(failed.runtimeStatus).toBe("Failed");
    expect(String(failed.output)).toContain(
      `protection of backup instance bi-${app2.aksName} (its recovery points are kept): AuthorizationFailed`,
    );
    expect(String(failed.output)).toContain(`resource group ${app2.resourceGroup}: not deleted`);
    const steps = (failed.customStatus as TeardownStatus).steps;
    expect(steps.filter((s) => !stepDone(s)).map((s) => s.id.toLowerCase())).toEqual(
      [backupInstanceId, stuckGrant.id, `${sub}/resourceGroups/${app2.resourceGroup}`].map((id) => id.toLowerCase()),
    );
    // Everything else pointing at app2 is gone; the cluster itself is still there.
    expect(exists(backupInstanceId)).toBe(true);
    expect(inGroup(app2.resourceGroup).length).toBeGreaterThan(0);
    expect(sharedGrants.filter((g) => exists(g.id)).map((g) => g.id)).toEqual([stuckGrant.id]);
    for (const bodies of [sink.requestsTo("/teams"), sink.requestsTo("/slack")].map((r) => r.map((x) => x.body))) {
      expect(bodies).toHaveLength(1);
      expect(bodies[0]).toContain(`Teardown of cluster ${app2.name} left resources behind`);
      expect(bodies[0]).toContain("AuthorizationFailed");
    }
  }, 180_000);

  it("run again, it finishes: app2's group, peerings and grants are gone, its backups kept, the rest stays", async () => {
    // The first run forgot app2's deployments: the principals now come from the identities themselves.
    const done = await teardown();
    expect(done.runtimeStatus, JSON.stringify(done.output)).toBe("Completed");
    const result = done.output as TeardownResult;
    expect(result.succeeded).toBe(true);
    // The first run stopped nothing (its stop failed) but removed the peerings: those are absent now, not deleted.
    const stateOf = (what: (s: TeardownStatus["steps"][number]) => boolean) =>
      result.steps.filter(what).map((s) => s.state);
    expect(stateOf((s) => s.what.startsWith("protection of backup instance"))).toEqual(["stopped"]);
    expect(stateOf((s) => s.what.startsWith("peering"))).toEqual(Array(2 * others.length).fill("absent"));
    expect(stateOf((s) => s.what.startsWith("role assignment"))).toEqual(["deleted"]);
    expect(stateOf((s) => s.what.startsWith("resource group"))).toEqual(["deleted"]);

    // The group and everything in it.
    expect(await groups.get(app2.resourceGroup)).toEqual({ ok: true, value: undefined });
    expect(inGroup(app2.resourceGroup)).toEqual([]);
    // Peerings to app2 from the other VNets, and app2's own; the others' peerings with each other stay.
    for (const other of others) {
      expect(exists(`${vnetId(other.network.vnetName)}/virtualNetworkPeerings/peer-to-${app2.network.vnetName}`)).toBe(
        false,
      );
      expect(exists(`${vnetId(app2.network.vnetName)}/virtualNetworkPeerings/peer-to-${other.network.vnetName}`)).toBe(
        false,
      );
      for (const third of others.filter((o) => o !== other))
        expect(
          exists(`${vnetId(other.network.vnetName)}/virtualNetworkPeerings/peer-to-${third.network.vnetName}`),
        ).toBe(true);
    }
    // The VNet itself stays (documented choice), with its DNS zone link.
    expect(exists(vnetId(app2.network.vnetName))).toBe(true);
    // The backup instance stays, protection stopped, with its recovery points; every grant of app2's identities goes.
    const instance = resources().find((r) => r.id.toLowerCase() === backupInstanceId.toLowerCase());
    expect(instance?.properties).toMatchObject({
      currentProtectionState: "ProtectionStopped",
      protectionStatus: { status: "ProtectionStopped" },
    });
    const points = runtime.sandbox.state.recoveryPoints(backupInstanceId);
    expect(points.length).toBeGreaterThan(0);
    expect(result.kept.join(" ")).toContain(
      `backup instance bi-${app2.aksName}: protection stopped, ${points.length} recovery point(s) kept`,
    );
    expect(
      roleAssignments().filter((r) => app2Principals.has(String(r.properties?.["principalId"]).toLowerCase())),
    ).toEqual([]);
    // mgmt, app1 and common otherwise untouched.
    for (const c of others) {
      expect(inGroup(c.resourceGroup).length).toBe(before.otherGroups.get(c.resourceGroup));
      expect(
        exists(
          `${common}/providers/Microsoft.DataProtection/backupVaults/${spec.shared.backupVault.name}/backupInstances/bi-${c.aksName}`,
        ),
      ).toBe(true);
    }
    expect(roleAssignments().length).toBe(before.otherAssignments);
    expect(inGroup(spec.commonResourceGroup).length).toBe(
      before.common - sharedGrants.length - 2 * others.length /* peerings */,
    );
    expect((await groups.get(spec.commonResourceGroup)).ok).toBe(true);
    expect(result.kept.join(" ")).toContain(app2.network.vnetName);
    // One message per channel says so.
    for (const channel of ["teams", "slack"]) {
      const bodies = sink.requestsTo(`/${channel}`).map((r) => r.body);
      expect(bodies).toHaveLength(1);
      expect(bodies[0]).toContain(`Cluster ${app2.name} torn down`);
    }
  }, 180_000);

  it("a teardown of what is already gone deletes nothing and says so: absent, not deleted", async () => {
    const again = await teardown();
    expect(again.runtimeStatus, JSON.stringify(again.output)).toBe("Completed");
    const result = again.output as TeardownResult;
    expect(result.steps.filter((s) => s.state === "deleted")).toEqual([]);
    expect(result.steps[0]!.state).toBe("stopped"); // already stopped: left as it is
    expect(result.steps.slice(1).map((s) => s.state)).toEqual(result.steps.slice(1).map(() => "absent"));
    const body = sink.requestsTo("/slack")[0]!.body;
    expect(body).toContain("Already absent");
    expect(body).toContain("Removed nothing (already gone)");
  }, 180_000);

  it("a second build recreates app2, redoing only app2's deployments and the peerings touching its VNet", async () => {
    const rebuild = await runtime.build();
    expect(rebuild.runtimeStatus, rebuild.failure).toBe("Completed");
    const units = buildDeploymentUnits(spec);
    const expected = units
      // app2's VNet was kept, so its network unit is reused; every VNet's peerings to app2 were deleted.
      .filter((u) => (u.template === "network.json" ? u.name.includes("-peerings-") : u.cluster === app2.name))
      .map((u) => u.name)
      .sort();
    const redone = rebuild
      .status!.deployments.filter((d) => d.reused !== true)
      .map((d) => d.name)
      .sort();
    expect(redone).toEqual(expected);
    const group = await groups.get(app2.resourceGroup);
    expect(group.ok && group.value?.name).toBe(app2.resourceGroup);
    for (const other of others)
      expect(exists(`${vnetId(other.network.vnetName)}/virtualNetworkPeerings/peer-to-${app2.network.vnetName}`)).toBe(
        true,
      );
    expect(principalsIn(app2.resourceGroup).size).toBeGreaterThan(0);
  }, 240_000);

  it("with deleteBackups, the backup instance goes too, and its recovery points with it", async () => {
    expect(runtime.sandbox.state.recoveryPoints(backupInstanceId).length).toBeGreaterThan(0);
    const done = await teardown(true);
    expect(done.runtimeStatus, JSON.stringify(done.output)).toBe("Completed");
    const result = done.output as TeardownResult;
    expect(result.steps[0]).toMatchObject({
      what: `backup instance bi-${app2.aksName} and all its recovery points`,
      state: "deleted",
    });
    expect(exists(backupInstanceId)).toBe(false);
    expect(runtime.sandbox.state.recoveryPoints(backupInstanceId)).toEqual([]);
    expect(result.kept.join(" ")).not.toContain("recovery point");
  }, 240_000);
});
