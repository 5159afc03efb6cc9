import { describe, expect, it } from "vitest";
import {
  blockedUnits,
  describeFailures,
  phaseProgress,
  resolveParameters,
  runnableUnits,
  type DeploymentProgress,
  type DeploymentState,
} from "../../lib/plan/progress";
import { buildGantt, makespanSeconds } from "../../lib/plan/timeline";
import { buildDeploymentUnits } from "../../lib/plan/units";
import { defaultSpec } from "../../lib/spec";

const units = buildDeploymentUnits(defaultSpec);
const states = (entries: Record<string, DeploymentState>) => new Map(Object.entries(entries));

describe("build scheduling (pure)", () => {
  it("starts exactly the units without dependencies first", () => {
    const first = runnableUnits(units, states({})).map((u) => u.name);
    expect(first.length).toBeGreaterThan(0);
    for (const name of first) expect(units.find((u) => u.name === name)!.dependsOn).toEqual([]);
  });

  it("a unit becomes runnable once every dependency succeeded, and is blocked once one failed", () => {
    const aks = units.find((u) => u.name === "k8s-demo-aks-app2")!;
    const allDepsOk = Object.fromEntries(aks.dependsOn.map((d) => [d, "succeeded" as const]));
    expect(runnableUnits([aks], states(allDepsOk)).map((u) => u.name)).toEqual([aks.name]);
    const oneFailed = { ...allDepsOk, [aks.dependsOn[0]!]: "failed" as const };
    expect(runnableUnits([aks], states(oneFailed))).toEqual([]);
    expect(blockedUnits([aks], states(oneFailed)).map((u) => u.name)).toEqual([aks.name]);
  });

  it("fills output parameters from earlier outputs and names what is missing", () => {
    const unit = units.find((u) => Object.keys(u.outputParameters).length > 0)!;
    const [param, ref] = Object.entries(unit.outputParameters)[0]!;
    expect(() => resolveParameters(unit, {})).toThrow(
      `deployment ${unit.name}: parameter '${param}' needs output '${ref.output}' of deployment ${ref.deployment}`,
    );
    const outputs: Record<string, Record<string, unknown>> = {};
    for (const r of Object.values(unit.outputParameters))
      outputs[r.deployment] = { ...outputs[r.deployment], [r.output]: `value-of-${r.output}` };
    expect(resolveParameters(unit, outputs)[param]).toBe(`value-of-${ref.output}`);
  });
});

describe("build progress and timeline", () => {
  const deployments: DeploymentProgress[] = [
    {
      name: "rg",
      phase: "resourceGroups",
      state: "succeeded",
      startedAt: "2026-11-24T02:00:00Z",
      endedAt: "2026-11-24T02:01:00Z",
    },
    {
      name: "net",
      phase: "network",
      state: "succeeded",
      startedAt: "2026-11-24T02:01:00Z",
      endedAt: "2026-11-24T02:09:00Z",
    },
    {
      name: "aks-app2",
      phase: "clusters",
      cluster: "app2",
      state: "failed",
      startedAt: "2026-11-24T02:09:00Z",
      endedAt: "2026-11-24T02:20:00Z",
      error: { code: "QuotaExceeded", message: "cores quota" },
    },
    {
      name: "addons-app2",
      phase: "addons",
      cluster: "app2",
      state: "skipped",
      error: { code: "DependencyFailed", message: "x" },
    },
  ];

  it("derives phase states from their deployments", () => {
    const phases = Object.fromEntries(phaseProgress(deployments).map((p) => [p.name, p.state]));
    expect(phases).toEqual({
      resourceGroups: "succeeded",
      network: "succeeded",
      sharedServices: "succeeded",
      clusters: "failed",
      addons: "skipped",
    });
  });

  it("draws a Gantt chart with the failed deployment marked, and measures the makespan", () => {
    const gantt = buildGantt("Build of k8s-demo", deployments);
    expect(gantt).toContain("gantt");
    expect(gantt).toMatch(/aks-app2 FAILED QuotaExceeded :crit, clusters0, 2026-11-24T02:09:00, 2026-11-24T02:20:00/);
    expect(gantt).toMatch(/net :done, network0/);
    expect(makespanSeconds(deployments)).toBe(20 * 60);
  });

  it("lists every failure with its ARM error", () => {
    const text = describeFailures(
      "k8s-demo",
      deployments.filter((d) => d.state !== "succeeded"),
    );
    expect(text).toBe(
      "build of k8s-demo finished with 2 deployment(s) not succeeded:\n" +
        "- aks-app2 (cluster app2): failed: QuotaExceeded: cores quota\n" +
        "- addons-app2 (cluster app2): skipped: DependencyFailed: x",
    );
  });
});
