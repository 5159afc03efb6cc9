import { describe, expect, it } from "vitest";
import { decideEvictionOutcome, DEFAULT_EVICTION_POLICY, NO_SPOT_CAPACITY_NOTE } from "../../lib/ops";
import type { EvictionObservation } from "../../lib/ops";

const base: EvictionObservation = {
  evictions: 12,
  nodesReady: true,
  pendingPods: 0,
  zonesWithoutCapacity: [],
  waitedMinutes: 4,
};

describe("decideEvictionOutcome", () => {
  it.each<[string, Partial<EvictionObservation>, { outcome: string; severity: string; noSpotCapacity: boolean }]>([
    ["recovered in time", {}, { outcome: "recovered", severity: "info", noSpotCapacity: false }],
    ["recovered late", { waitedMinutes: 9 }, { outcome: "recovered", severity: "info", noSpotCapacity: false }],
    [
      "pending pods, early",
      { pendingPods: 30, waitedMinutes: 2 },
      { outcome: "keep-watching", severity: "info", noSpotCapacity: false },
    ],
    [
      "nodes not ready, early",
      { nodesReady: false, waitedMinutes: 0 },
      { outcome: "keep-watching", severity: "info", noSpotCapacity: false },
    ],
    [
      "one zone dry, early",
      { pendingPods: 5, zonesWithoutCapacity: ["2"], waitedMinutes: 3 },
      { outcome: "keep-watching", severity: "info", noSpotCapacity: false },
    ],
    [
      "pending pods past the limit",
      { pendingPods: 5, waitedMinutes: 15 },
      { outcome: "escalate", severity: "critical", noSpotCapacity: false },
    ],
    [
      "nodes not ready past the limit, nothing pending",
      { nodesReady: false, waitedMinutes: 20 },
      { outcome: "escalate", severity: "warning", noSpotCapacity: false },
    ],
    [
      "every zone dry",
      { pendingPods: 40, nodesReady: false, zonesWithoutCapacity: ["1", "2", "3"], waitedMinutes: 1 },
      { outcome: "escalate", severity: "critical", noSpotCapacity: true },
    ],
    [
      "every zone dry but nothing pending yet",
      { nodesReady: false, zonesWithoutCapacity: ["3", "1", "2"], waitedMinutes: 1 },
      { outcome: "keep-watching", severity: "info", noSpotCapacity: true },
    ],
    [
      "a late observation (negative wait)",
      { pendingPods: 3, waitedMinutes: -2 },
      { outcome: "keep-watching", severity: "info", noSpotCapacity: false },
    ],
  ])("%s", (_name, change, expected) => {
    expect(decideEvictionOutcome({ ...base, ...change })).toMatchObject(expected);
  });

  it("says why pods stay Pending when no zone has Spot capacity (no on-demand fallback by design)", () => {
    const decision = decideEvictionOutcome({ ...base, pendingPods: 40, zonesWithoutCapacity: ["1", "2", "3"] });
    expect(decision.notes).toContain(NO_SPOT_CAPACITY_NOTE);
    expect(decision.reason).toContain("no Spot capacity in any zone");
  });

  it("names the dry zones when only some are dry", () => {
    const decision = decideEvictionOutcome({ ...base, pendingPods: 2, zonesWithoutCapacity: [" 2 "] });
    expect(decision.notes).toEqual(["No Spot capacity in zone(s) 2; Karpenter rotates to the other zones."]);
  });

  it("counts dry zones against the spot zones of the policy", () => {
    const policy = { ...DEFAULT_EVICTION_POLICY, spotZones: ["1"] };
    expect(decideEvictionOutcome({ ...base, pendingPods: 1, zonesWithoutCapacity: ["1"] }, policy)).toMatchObject({
      outcome: "escalate",
      noSpotCapacity: true,
    });
  });

  it("asks to look again no later than the limit", () => {
    expect(decideEvictionOutcome({ ...base, pendingPods: 1, waitedMinutes: 14.5 }).nextCheckInMinutes).toBe(0.5);
    expect(decideEvictionOutcome({ ...base, pendingPods: 1, waitedMinutes: 3 }).nextCheckInMinutes).toBe(1);
  });

  it("is a pure function of its input", () => {
    const observation = { ...base, pendingPods: 7, zonesWithoutCapacity: ["1"], waitedMinutes: 6 };
    expect(decideEvictionOutcome(observation)).toEqual(decideEvictionOutcome(structuredClone(observation)));
  });
});
