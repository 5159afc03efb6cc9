import { describe, expect, it } from "vitest";
import { unitsSkippedForTeardowns } from "../../lib/drift";
import { buildDeploymentUnits } from "../../lib/plan/units";
import { defaultSpec, type PlatformSpec } from "../../lib/spec";

/**
 * Drift after `aks-platform down --cluster app2`: app2's units and the peering units the teardown forgot are skipped
 * with the reason, the rest is checked. The CLI end to end runs in test/teardown/cli.test.ts, on its down of app2.
 */

const spec: PlatformSpec = { ...defaultSpec, name: "drift-down" };

describe("which units a teardown takes away from drift checks", () => {
  const units = buildDeploymentUnits(spec);
  it("skips the cluster's own units and every peering unit touching its VNet, not its VNet nor the others' units", () => {
    const skipped = unitsSkippedForTeardowns(spec, units, [
      { cluster: "app2", state: "removed", at: "2026-12-07T13:00:00.000Z" },
    ]);
    const app2Units = units.filter((u) => u.cluster === "app2" && u.template !== "network.json").map((u) => u.name);
    expect(app2Units.length).toBeGreaterThan(0);
    for (const u of app2Units) expect(skipped.get(u)).toBe("cluster app2 torn down 2026-12-07T13:00:00.000Z");
    const peeringOfMgmt = skipped.get("drift-down-peerings-mgmt");
    expect(peeringOfMgmt).toMatch(/^peers with cluster app2 torn down 2026-12-07T13:00:00\.000Z/);
    for (const kept of units.filter((u) => u.cluster === "app1" && u.template !== "network.json"))
      expect(skipped.has(kept.name)).toBe(false);
    // app2's VNet stays (NET-1), so its network unit is still checked.
    expect(skipped.has("drift-down-network-app2")).toBe(false);
  });

  it("skips nothing without a removed cluster, and ignores a cluster the spec does not have", () => {
    expect(unitsSkippedForTeardowns(spec, units, []).size).toBe(0);
    expect(unitsSkippedForTeardowns(spec, units, [{ cluster: "app9", state: "removed", at: "x" }]).size).toBe(0);
  });
});
