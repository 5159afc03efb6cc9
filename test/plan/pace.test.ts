import { describe, expect, it } from "vitest";
import { buildPlan, criticalPath, irreducibleChain, renderPlanText, topologyReport } from "../../lib/plan";
import { checkPlan } from "../../lib/check";
import { repoRoot } from "../../lib/config";
import { defaultSpec, fleetSpec, validateSpec, type PlatformSpec } from "../../lib/spec";
import { PollSchedule, pollSeconds, scaledLimitSeconds } from "../../orchestrations/shared/longRunning";
import path from "node:path";

describe("polling at the pace of the work", () => {
  it("never reads sooner than Retry-After, waits out the expected remaining time, within bounds", () => {
    expect(pollSeconds(15, 900)).toBe(300); // a 15-minute cluster: not every 15 s, capped at 5 min
    expect(pollSeconds(15, 200)).toBe(200); // read once it should be done
    expect(pollSeconds(15, 5)).toBe(15); // Retry-After wins when the end is near
    expect(pollSeconds(15, -60)).toBe(15); // past its expected end: ARM's pace
    expect(pollSeconds(30, undefined)).toBe(30); // nothing expected known: Retry-After
    expect(pollSeconds(Number.NaN, undefined)).toBe(15);
    expect(pollSeconds(0, 0)).toBe(1);
  });

  it("scales an operation's limit to what it is, never a fixed ceiling a larger platform crosses", () => {
    expect(scaledLimitSeconds(30)).toBe(30 * 60);
    expect(scaledLimitSeconds(5_400)).toBe(3 * 5_400);
    expect(scaledLimitSeconds(5_400, 600)).toBe(600);
    expect(scaledLimitSeconds(undefined)).toBe(30 * 60);
  });

  it("the shared schedule polls each operation at its own expected end and times it out at its own limit", () => {
    let clock = 0;
    const schedule = new PollSchedule<{ expectedSeconds: number }>(
      () => clock,
      (op) => ({ expectedSeconds: op.expectedSeconds, limitSeconds: scaledLimitSeconds(op.expectedSeconds) }),
    );
    schedule.add("vnet", { expectedSeconds: 120 }, clock, 15);
    schedule.add("aks", { expectedSeconds: 900 }, clock, 15);
    expect(schedule.nextPollAt()).toBe(120_000); // the VNet is read when it should be done, not every 15 s
    clock = 120_000;
    expect(schedule.due().map(([k]) => k)).toEqual(["vnet"]);
    schedule.again("vnet", 15); // past its expected end: ARM's pace
    expect(schedule.nextPollAt()).toBe(135_000);
    schedule.remove("vnet");
    expect(schedule.nextPollAt()).toBe(300_000); // the cluster: at most 5 minutes between reads
    clock = 2_700_001;
    expect(schedule.overdue("aks")).toBe(true); // 3 × 15 min
    expect(schedule.limitSeconds("aks")).toBe(2_700);
    // A fixed limit (the teardown's deletes) still works as before.
    const fixed = new PollSchedule<string>(() => 0, 600);
    fixed.add("x", "x", 0, undefined);
    expect(fixed.limitSeconds("x")).toBe(600);
    expect(fixed.nextPollAt()).toBe(15_000);
  });
});

describe("network topology", () => {
  const hub = (count: number): PlatformSpec => ({ ...fleetSpec(count), network: { topology: "hubAndSpoke" } });

  it("defaults to full mesh; a spec may choose hub and spoke, and nothing else", () => {
    const { network: _omitted, ...withoutNetwork } = defaultSpec;
    const parsed = validateSpec(withoutNetwork);
    expect(parsed.ok && parsed.spec.network.topology).toBe("fullMesh");
    const bad = validateSpec({ ...defaultSpec, network: { topology: "ring" } });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems.map((p) => p.path).join(" ")).toContain("network.topology");
  });

  it("the plan says which topology it uses and why; hub and spoke writes 2(N−1) peerings", () => {
    const mesh = topologyReport(buildPlan(fleetSpec(6)), fleetSpec(6));
    expect(mesh).toMatchObject({ topology: "fullMesh", peerings: 30 });
    expect(mesh.reason).toContain("full mesh");
    const spoke = topologyReport(buildPlan(hub(6)), hub(6));
    expect(spoke).toMatchObject({ topology: "hubAndSpoke", peerings: 10 });
    expect(spoke.reason).toContain("hub");
  });

  it("check warns when full mesh dominates the build for the cluster count, not for the seed or hub and spoke", () => {
    const templatesDir = path.join(repoRoot(), "templates");
    const warnings = (spec: PlatformSpec) => checkPlan(buildPlan(spec), spec, { templatesDir }).warnings;
    expect(warnings(defaultSpec)).toEqual([]);
    expect(warnings(fleetSpec(12)).join(" ")).toMatch(
      /fullMesh with 12 clusters.*132 in all; virtualNetworkManager \(a connected group, no peerings\).*hubAndSpoke needs 22/,
    );
    expect(warnings(hub(12))).toEqual([]);
    const spokeCheck = checkPlan(buildPlan(hub(12)), hub(12), { templatesDir });
    expect(spokeCheck.requirements.filter((r) => r.problems.length > 0)).toEqual([]);
    const avnm: PlatformSpec = { ...fleetSpec(12), network: { topology: "virtualNetworkManager" } };
    expect(warnings(avnm)).toEqual([]);
    const avnmCheck = checkPlan(buildPlan(avnm), avnm, { templatesDir });
    expect(avnmCheck.requirements.filter((r) => r.problems.length > 0)).toEqual([]);
  });

  it("the text plan names the topology, and the irreducible chain beside the critical path", () => {
    const plan = buildPlan(defaultSpec);
    const text = renderPlanText(plan, criticalPath(plan), topologyReport(plan, defaultSpec));
    expect(text).toContain(`Irreducible chain: about ${(irreducibleChain(plan).totalSeconds / 60).toFixed(1)} min`);
    expect(text).toMatch(/VNet of \w+ \(its identities beside it\)/);
    expect(text).toMatch(/slowest add-on of \w+ \(4\.0 min\)/);
    expect(text).toContain("Network topology: full mesh (NET-2)");
  });
});
