import { describe, expect, it } from "vitest";
import { createArmConnection, NetworkManagersAdapter } from "../../lib/azure";
import { networkManagerNames, topologyReport, buildPlan } from "../../lib/plan";
import { fleetSpec, type PlatformSpec } from "../../lib/spec";
import { runBuild } from "../../local/build/runner";
import { startPlatform } from "../helpers/platform";

const spec: PlatformSpec = { ...fleetSpec(6), network: { topology: "virtualNetworkManager" } };
const PEERING = "microsoft.network/virtualnetworks/virtualnetworkpeerings";

interface ViewedResource {
  id: string;
  type: string;
  properties?: Record<string, unknown>;
}

describe("network.topology virtualNetworkManager: a 6-cluster mesh without peerings (local driver + sandbox ARM)", () => {
  it("the plan names the topology and why", () => {
    const report = topologyReport(buildPlan(spec), spec);
    expect(report.peerings).toBe(0);
    expect(report.reason).toMatch(/Virtual Network Manager mesh.*6 VNets.*instead of full mesh's 30/);
    expect(report.warning).toBeUndefined();
  });

  it("builds with zero peerings and a committed Mesh configuration; a rebuild redoes nothing; connectivity follows the commit", async () => {
    const runtime = await startPlatform({ spec });
    try {
      const first = await runBuild(runtime, spec, "deploy");
      expect(first.runtimeStatus, first.failure).toBe("Completed");

      const resources = runtime.sandbox.state.resources() as ViewedResource[];
      expect(resources.filter((r) => r.type.toLowerCase() === PEERING)).toEqual([]);
      const names = networkManagerNames(spec);
      const configuration = resources.find(
        (r) => r.type === "Microsoft.Network/networkManagers/connectivityConfigurations",
      )!;
      expect(configuration.id).toMatch(
        new RegExp(`/networkManagers/${names.name}/connectivityConfigurations/${names.configurationName}$`, "i"),
      );
      expect(configuration.properties).toMatchObject({ connectivityTopology: "Mesh", isGlobal: "False" });
      const members = resources.filter(
        (r) => r.type === "Microsoft.Network/networkManagers/networkGroups/staticMembers",
      );
      expect(members.map((m) => String(m.properties!.resourceId).split("/").at(-1)).sort()).toEqual(
        spec.clusters.map((c) => c.network.vnetName).sort(),
      );

      // The commit through the real adapter over HTTPS, as an operator would read it.
      const connection = createArmConnection({
        armEndpoint: runtime.sandbox.url,
        token: runtime.sandbox.token,
        ca: runtime.sandbox.caPem,
      });
      const managers = new NetworkManagersAdapter(connection);
      const managerId = configuration.id.replace(/\/connectivityConfigurations\/[^/]+$/i, "");
      const committed = await managers.deploymentStatus(managerId, spec.location, "Connectivity");
      expect(committed).toEqual({ ok: true, value: { status: "Deployed", configurationIds: [configuration.id] } });
      const effective = async (vnet: string) => {
        const response = await connection
          .rest()
          .pathUnchecked(`${vnetId(vnet)}/listNetworkManagerEffectiveConnectivityConfigurations`)
          .post({ queryParameters: { "api-version": "2025-05-01" }, body: {} });
        return ((response.body as { value: { id: string }[] }).value ?? []).map((v) => v.id);
      };
      const vnetId = (vnet: string) =>
        `/subscriptions/${spec.subscriptionId}/resourceGroups/${spec.commonResourceGroup}/providers/Microsoft.Network/virtualNetworks/${vnet}`;
      for (const c of spec.clusters) expect(await effective(c.network.vnetName)).toEqual([configuration.id]);

      // A rebuild: every deployment reused, no commit posted (the region already has exactly this configuration).
      const commitsBefore = JSON.stringify(committed);
      const again = await runBuild(runtime, spec, "deploy");
      expect(again.runtimeStatus, again.failure).toBe("Completed");
      expect(again.status!.deployments.filter((d) => !d.reused).map((d) => d.name)).toEqual([]);
      expect(JSON.stringify(await managers.deploymentStatus(managerId, spec.location, "Connectivity"))).toBe(
        commitsBefore,
      );

      // Connectivity is the commit's, not the resources': committing nothing removes the mesh once applied,
      // though every resource is still there; until then the previous commit stays in effect.
      expect(
        (
          await managers.commit(managerId, {
            commitType: "Connectivity",
            configurationIds: [],
            targetLocations: [spec.location],
          })
        ).ok,
      ).toBe(true);
      expect(await effective(spec.clusters[0]!.network.vnetName)).toEqual([configuration.id]);
      runtime.sandbox.clock.advance(20 * 60);
      expect(await effective(spec.clusters[0]!.network.vnetName)).toEqual([]);

      // The sandbox refuses a commit of a configuration that does not exist.
      const bogus = await managers.commit(managerId, {
        commitType: "Connectivity",
        configurationIds: [`${managerId}/connectivityConfigurations/nope`],
        targetLocations: [spec.location],
      });
      expect(bogus.ok ? undefined : bogus.error.code).toBe("InvalidConfigurationId");

      // The next build commits the mesh again (its deployments are all reused).
      const third = await runBuild(runtime, spec, "deploy");
      expect(third.runtimeStatus, third.failure).toBe("Completed");
      for (const c of spec.clusters) expect(await effective(c.network.vnetName)).toEqual([configuration.id]);
    } finally {
      await runtime.stop();
    }
  }, 240_000);
});
