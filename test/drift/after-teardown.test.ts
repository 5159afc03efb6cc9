import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unitsSkippedForTeardowns, type DriftReport } from "../../lib/drift";
import { buildDeploymentUnits } from "../../lib/plan/units";
import { defaultSpec, type PlatformSpec } from "../../lib/spec";
import { runCli, type CliResult } from "../helpers/cli";
import { upOnSandbox } from "./helpers";

/**
 * Drift after `aks-platform down --cluster app2`: app2's units and the peering units the teardown forgot are skipped
 * with the reason (they were reported "not deployed yet" and `drift` exited 2 for good), the rest is checked.
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

describe("aks-platform drift after aks-platform down --cluster app2", () => {
  let dir: string;
  let stateDir: string;
  let specFile: string;
  const args = () => ["--sandbox", "--state-dir", stateDir, "--time-scale", "600"];

  beforeAll(async () => {
    let up: CliResult;
    ({ dir, stateDir, specFile, up } = await upOnSandbox(spec, "drift-down-"));
    expect(up.code, up.stderr).toBe(0);
    const down = await runCli(["down", "--cluster", "app2", "--yes", "--env", spec.name, ...args()]);
    expect(down.code, down.stdout + down.stderr).toBe(0);
  }, 480_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("skips app2's units and the forgotten peering units naming the teardown, checks the rest: exit 0", async () => {
    const r = await runCli(["drift", ...args(), "--spec", specFile, "-o", "table"]);
    expect(r.stdout).not.toContain("not deployed yet");
    expect(r.stdout).toContain("no drift in drift-down");
    expect(r.stdout).toMatch(/skipped: drift-down-\S+-app2: cluster app2 torn down \d{4}-\d\d-\d\dT/);
    expect(r.stdout).toMatch(/skipped: drift-down-peerings-mgmt: peers with cluster app2 torn down/);
    expect(r.code, r.stdout + r.stderr).toBe(0);

    const json = await runCli(["drift", ...args(), "--env", spec.name, "-o", "json"]);
    const report = JSON.parse(json.stdout) as DriftReport;
    expect(report.errors).toEqual([]);
    expect(report.units).toEqual(expect.arrayContaining(["drift-down-network-app2", "drift-down-aks-app1"]));
    expect(report.units).not.toContain("drift-down-aks-app2");
    expect(report.skipped?.map((s) => s.unit)).toContain("drift-down-peerings-app1");
    expect(json.code).toBe(0);
  }, 240_000);
});
