import { describe, expect, it } from "vitest";
import { defaultSpec, validateSpec } from "../../lib/spec";
import {
  nextMinor,
  planUpgrade,
  renderUpgradePlan,
  upgradeSettings,
  versionChange,
  windowAt,
  type ClusterUpgradeState,
  type MeshRevisionCompatibility,
} from "../../lib/upgrade";

const revisions: MeshRevisionCompatibility[] = [
  { revision: "asm-1-26", upgrades: ["asm-1-27"], kubernetesVersions: ["1.31", "1.32", "1.33"] },
  { revision: "asm-1-27", upgrades: [], kubernetesVersions: ["1.32", "1.33", "1.34"] },
];

function state(cluster: string, over: Partial<ClusterUpgradeState> = {}): ClusterUpgradeState {
  return {
    cluster,
    kubernetesVersion: "1.33.2",
    provisioningState: "Succeeded",
    controlPlaneUpgrades: ["1.33.5", "1.34.1"],
    pools: [
      {
        name: "ingress",
        mode: "User",
        kubernetesVersion: "1.33.2",
        nodeImageVersion: "img-1",
        latestNodeImageVersion: "img-2",
        count: 2,
        provisioningState: "Succeeded",
      },
      {
        name: "system",
        mode: "System",
        kubernetesVersion: "1.33.2",
        nodeImageVersion: "img-1",
        latestNodeImageVersion: "img-2",
        count: 3,
        provisioningState: "Succeeded",
      },
    ],
    istioRevisions: ["asm-1-27"],
    istioUpgrades: [],
    ...over,
  };
}
const states = defaultSpec.clusters.map((c) => state(c.name));

describe("versions", () => {
  it.each([
    ["1.33.2", "1.33.5", "patch"],
    ["1.33.2", "1.34", "minor"],
    ["1.33.2", "1.35", "skips-minor"],
    ["1.33.2", "1.32", "downgrade"],
    ["1.34.1", "1.34", "none"],
  ])("%s → %s is %s", (from, to, change) => expect(versionChange(from, to)).toBe(change));
  it("knows the next minor", () => expect(nextMinor("1.33.2")).toBe("1.34"));
});

describe("upgrade plan", () => {
  it("defaults to the stages mgmt → app1 → app2, approval for minors and Istio, none for patches and node images", () => {
    const s = upgradeSettings(defaultSpec);
    expect(s.stages.map((x) => x.clusters)).toEqual([["mgmt"], ["app1"], ["app2"]]);
    expect(s.approval).toEqual({
      kubernetesMinor: true,
      kubernetesPatch: false,
      nodeImage: false,
      istioRevision: true,
    });
    const patch = planUpgrade({
      spec: defaultSpec,
      target: { kubernetesVersion: "1.33.5" },
      states,
      meshRevisions: revisions,
    });
    expect(patch.approvalReasons).toEqual([]);
    const minor = planUpgrade({
      spec: defaultSpec,
      target: { kubernetesVersion: "1.34" },
      states,
      meshRevisions: revisions,
    });
    expect(minor.approvalReasons).toEqual(["Kubernetes minor upgrade 1.33 → 1.34.1"]);
  });

  it("plans the pools still behind a control plane already on the target (a run stopped after the control plane)", () => {
    const upgraded = state("mgmt", { kubernetesVersion: "1.34.1", controlPlaneUpgrades: [] });
    upgraded.pools[0]!.kubernetesVersion = "1.34.1";
    const plan = planUpgrade({
      spec: defaultSpec,
      target: { kubernetesVersion: "1.34" },
      states: [upgraded, ...states.slice(1)],
      meshRevisions: revisions,
    });
    expect(plan.problems).toEqual([]);
    expect(plan.clusters[0]!.steps).toEqual([
      { kind: "pool", pool: "system", from: "1.33.2", to: "1.34.1", maxSurge: "33%" },
    ]);
    expect(plan.clusters[0]!.changes).toEqual(["pool system (3 nodes) 1.33.2 → 1.34.1"]);
    expect(plan.approvalReasons).toContain("Kubernetes minor upgrade of pool system 1.33.2 → 1.34.1");
  });

  it("orders control plane, then the system pool, then the others", () => {
    const plan = planUpgrade({
      spec: defaultSpec,
      target: { kubernetesVersion: "1.34" },
      states,
      meshRevisions: revisions,
    });
    expect(plan.clusters[0]!.steps.map((s) => ("pool" in s ? s.pool : s.kind))).toEqual([
      "control-plane",
      "system",
      "ingress",
    ]);
    expect(plan.problems).toEqual([]);
  });

  it.each([
    [
      { kubernetesVersion: "1.35" },
      {},
      "Kubernetes 1.33.2 → 1.35 skips a minor version; AKS upgrades one minor at a time (next: 1.34)",
    ],
    [{ kubernetesVersion: "1.32" }, {}, "Kubernetes 1.33.2 cannot be downgraded to 1.32"],
    [
      { kubernetesVersion: "1.34" },
      { controlPlaneUpgrades: ["1.33.5"] },
      "AKS does not offer Kubernetes 1.34 to this cluster (offered: 1.33.5)",
    ],
    [
      { kubernetesVersion: "1.34" },
      { istioRevisions: ["asm-1-26"], istioUpgrades: ["asm-1-27"] },
      "Kubernetes 1.34 is not supported by Istio revision asm-1-26 (it supports 1.31, 1.32, 1.33); upgrade Istio too (--istio-revision asm-1-27)",
    ],
    [
      { istioRevision: "asm-1-28" },
      { istioRevisions: ["asm-1-26"], istioUpgrades: ["asm-1-27"] },
      "Istio asm-1-26 cannot be upgraded to asm-1-28 (offered: asm-1-27)",
    ],
    [
      { istioRevision: "asm-1-27" },
      { istioRevisions: ["asm-1-26", "asm-1-27"] },
      "an Istio canary upgrade is already in progress (revisions asm-1-26, asm-1-27); complete or roll it back first",
    ],
  ])("refuses %j on %j with the reason", (target, over, reason) => {
    const plan = planUpgrade({
      spec: defaultSpec,
      target,
      states: defaultSpec.clusters.map((c) => state(c.name, over)),
      meshRevisions: revisions,
    });
    expect(plan.clusters[0]!.refused).toContain(reason);
    expect(plan.clusters[0]!.steps).toEqual([]);
    expect(renderUpgradePlan(plan)).toContain(`REFUSED: ${reason}`);
  });

  it("brings only pools behind on their node image when the target is the node image", () => {
    const s = states.map((x) => ({
      ...x,
      pools: x.pools.map((p) => (p.name === "system" ? { ...p, nodeImageVersion: "img-2" } : p)),
    }));
    const plan = planUpgrade({ spec: defaultSpec, target: { nodeImage: true }, states: s, meshRevisions: revisions });
    expect(plan.clusters[0]!.steps).toEqual([
      { kind: "node-image", pool: "ingress", from: "img-1", to: "img-2", maxSurge: "33%" },
    ]);
  });
});

describe("the spec's upgrades section", () => {
  it("names a stage cluster that does not exist, a cluster in two stages and a missing one", () => {
    const r = validateSpec({
      ...defaultSpec,
      upgrades: {
        stages: [
          { name: "first", clusters: ["mgmt", "app9"] },
          { name: "second", clusters: ["mgmt"] },
        ],
        maintenanceWindows: { app7: { dayOfWeek: "Sunday", startTime: "02:00", durationHours: 4 } },
      },
    });
    expect(r.ok).toBe(false);
    const messages = r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        'upgrades.stages[0].clusters[1]: Stage first names the cluster "app9", which does not exist (clusters: mgmt, app1, app2).',
        "upgrades.stages[1].clusters[0]: Cluster mgmt is already in stage first; a cluster belongs to one stage.",
        "upgrades.stages: Every cluster needs a stage; missing: app1, app2.",
        'upgrades.maintenanceWindows.app7: No cluster is named "app7" (clusters: mgmt, app1, app2).',
      ]),
    );
  });

  it("refuses a window shorter than AKS's 4 hours", () => {
    const r = validateSpec({
      ...defaultSpec,
      upgrades: { maintenanceWindows: { mgmt: { dayOfWeek: "Sunday", startTime: "02:00", durationHours: 2 } } },
    });
    expect(r.ok ? "" : r.problems[0]!.path).toBe("upgrades.maintenanceWindows.mgmt.durationHours");
  });
});

describe("maintenance windows", () => {
  const sunday = { dayOfWeek: "Sunday" as const, startTime: "02:00", durationHours: 4, utcOffset: "+09:00" };
  it.each([
    // 02:00 KST on Sunday is Saturday 17:00 UTC.
    ["2026-12-05T16:59:00Z", false, "2026-12-05T17:00:00.000Z"],
    ["2026-12-05T17:00:00Z", true, "2026-12-05T17:00:00.000Z"],
    ["2026-12-05T20:59:00Z", true, "2026-12-05T17:00:00.000Z"],
    ["2026-12-05T21:00:00Z", false, "2026-12-12T17:00:00.000Z"],
    ["2026-12-07T06:00:00Z", false, "2026-12-12T17:00:00.000Z"],
  ])("at %s open=%s, window start %s", (now, open, start) => {
    const w = windowAt(sunday, new Date(now));
    expect([w.open, w.start.toISOString()]).toEqual([open, start]);
  });
});
