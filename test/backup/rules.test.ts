import { describe, expect, it } from "vitest";
import type { BackupInstanceInfo, BackupJobInfo } from "../../lib/azure";
import {
  buildReport,
  buildTrend,
  chooseRecoveryPoint,
  describeElapsed,
  isoDays,
  readWorkloads,
  renderHtml,
  relevantJobs,
  rotationPick,
  verifyInstance,
  type InstanceEvidence,
} from "../../lib/backup";
import { defaultSpec } from "../../lib/spec";

// The OPS-5 / OPS-7 rules on hand-made evidence: edges the sandbox cannot easily produce.

const now = new Date("2026-11-24T03:00:00Z");
const policy = { maxAgeHours: 26, retentionDays: 7 };
const instance: BackupInstanceInfo = {
  id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v/backupInstances/bi-aks-k8s-demo-app1",
  name: "bi-aks-k8s-demo-app1",
  dataSourceId:
    "/subscriptions/s/resourceGroups/rg-k8s-demo-app1/providers/Microsoft.ContainerService/managedClusters/aks-k8s-demo-app1",
  protectionStatus: "ProtectionConfigured",
  currentProtectionState: "ProtectionConfigured",
  errors: [],
};
const job = (start: string, status: string, extra: Partial<BackupJobInfo> = {}): BackupJobInfo => ({
  id: `j-${start}`,
  name: `j-${start}`,
  backupInstanceId: instance.id,
  operation: "Backup",
  operationCategory: "Backup",
  status,
  startTime: start,
  endTime: start.replace("T02:00", "T02:10"),
  errors: [],
  ...extra,
});
const evidence = (over: Partial<InstanceEvidence> = {}): InstanceEvidence => ({
  instance,
  recoveryPoints: [{ id: "rp1", name: "rp1", time: "2026-11-24T02:10:00Z" }],
  jobs: [job("2026-11-24T02:00:00Z", "Completed")],
  policyRetentionDays: 7,
  readErrors: [],
  ...over,
});

describe("verifyInstance", () => {
  it("healthy evidence is healthy with no problems", () => {
    expect(verifyInstance(evidence(), policy, now, "app1")).toMatchObject({
      verdict: "healthy",
      problems: [],
      ageHours: 0.8,
      cluster: "app1",
    });
  });

  it("ignores a job still running and judges the last finished one (status compared case-insensitively)", () => {
    const r = verifyInstance(
      evidence({ jobs: [job("2026-11-24T02:00:00Z", "InProgress"), job("2026-11-23T02:00:00Z", "COMPLETED")] }),
      policy,
      now,
    );
    expect(r.verdict).toBe("healthy");
    expect(r.lastJob?.status).toBe("COMPLETED");
  });

  it("a retention different from the spec's is a finding", () => {
    const r = verifyInstance(evidence({ policyRetentionDays: 30 }), policy, now);
    expect(r).toMatchObject({
      verdict: "unprotected",
      problems: ["policy keeps recovery points 30 days, the spec requires 7"],
    });
  });

  it("no recovery point and no job: stale, saying both", () => {
    const r = verifyInstance(evidence({ recoveryPoints: [], jobs: [] }), policy, now);
    expect(r).toMatchObject({ verdict: "stale", latestRecoveryPoint: null, ageHours: null, lastJob: null });
    expect(r.problems).toEqual(["no finished backup job on record", "no recovery point"]);
  });

  it("right after protection is configured: stale, naming the first backup job that is still running", () => {
    const r = verifyInstance(
      evidence({ recoveryPoints: [], jobs: [job("2026-11-24T02:00:00Z", "InProgress")] }),
      policy,
      now,
    );
    expect(r.verdict).toBe("stale");
    expect(r.problems[0]).toMatch(/^first backup job \S+ running since 2026-11-24T02:00:00Z, no finished one yet$/);
    expect(r.problems[1]).toBe("no recovery point");
  });

  it("the jobs kept for the verdict include the running first backup until one has finished", () => {
    const first = job("2026-11-24T02:00:00Z", "InProgress");
    expect(relevantJobs([first])).toEqual([first]);
    const done = job("2026-11-23T02:00:00Z", "Completed");
    expect(relevantJobs([first, done])).toEqual([done]);
  });

  it("unprotected outranks failed, which outranks stale", () => {
    const r = verifyInstance(
      evidence({
        instance: { ...instance, protectionStatus: "ConfiguringProtectionFailed" },
        jobs: [job("2026-11-22T02:00:00Z", "Failed", { errors: [{ code: "X", message: "y" }] })],
        recoveryPoints: [{ id: "old", name: "old", time: "2026-11-20T02:10:00Z" }],
      }),
      policy,
      now,
    );
    expect(r.verdict).toBe("unprotected");
    expect(r.problems).toHaveLength(3);
    expect(r.since).toBe("2026-11-22T02:00:00Z");
  });
});

describe("rotation, recovery point choice, workloads, durations", () => {
  it("rotates one instance per UTC day through the sorted names, stable within a day", () => {
    const names = ["c", "a", "b"];
    const day = (d: string) => rotationPick(names, new Date(d));
    expect(day("2026-11-24T00:00:01Z")).toBe(day("2026-11-24T23:59:59Z"));
    expect(new Set([day("2026-11-24T03:00:00Z"), day("2026-11-25T03:00:00Z"), day("2026-11-26T03:00:00Z")])).toEqual(
      new Set(names),
    );
    expect(rotationPick([], now)).toBeUndefined();
  });

  it("chooses the newest recovery point, a named one, or refuses saying why", () => {
    const points = [
      { id: "/x/rp-old", name: "rp-old", time: "2026-11-22T02:10:00Z" },
      { id: "/x/rp-new", name: "rp-new", time: "2026-11-23T02:10:00Z" },
    ];
    expect(chooseRecoveryPoint(points, "bi")).toMatchObject({ ok: true, point: { name: "rp-new" } });
    expect(chooseRecoveryPoint(points, "bi", "/x/rp-old")).toMatchObject({ ok: true, point: { name: "rp-old" } });
    expect(chooseRecoveryPoint(points, "bi", "rp-gone")).toEqual({
      ok: false,
      reason:
        "recovery point rp-gone does not exist for backup instance bi; newest: rp-old (2026-11-22T02:10:00Z), rp-new (2026-11-23T02:10:00Z)",
    });
    expect(chooseRecoveryPoint([], "bi")).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^backup instance bi has no recovery point to restore from/),
    });
  });

  it("reads the workload check", () => {
    const list = (phases: string[]) =>
      JSON.stringify({
        items: phases.map((phase, i) => ({ metadata: { name: `p${i}`, namespace: "shop" }, status: { phase } })),
      });
    expect(readWorkloads(0, list(["Running", "Succeeded"]))).toMatchObject({ ok: true, message: "2 pods running" });
    expect(readWorkloads(0, list(["Running", "Pending"]))).toMatchObject({ ok: false, notReady: ["shop/p1 Pending"] });
    expect(readWorkloads(0, list([]))).toMatchObject({ ok: false, message: "no pods are running in the cluster" });
    expect(readWorkloads(1, "error: forbidden")).toMatchObject({
      ok: false,
      message: "workload check exited 1: error: forbidden",
    });
    expect(readWorkloads(0, "not json")).toMatchObject({ ok: false, message: "workload check output is not JSON" });
  });

  it("durations", () => {
    expect(isoDays("P7D")).toBe(7);
    expect(isoDays("P2W")).toBe(14);
    expect(isoDays("PT12H")).toBeUndefined();
    expect(describeElapsed(24.5)).toBe("24.5 min (target 30 min: met)");
    expect(describeElapsed(41)).toBe("41 min (target 30 min: missed by 11 min)");
  });
});

describe("report", () => {
  const vault = { subscriptionId: "s", resourceGroup: "rg-k8s-demo-common", vault: "bvault-k8s-demo" };

  it("adds the clusters without an instance and a failed restore validation to the report", () => {
    const app1 = verifyInstance(evidence(), policy, now, "app1");
    const report = buildReport(defaultSpec, vault, [app1], {
      policy,
      now,
      validation: { instance: app1.name, ok: false, error: "UserErrorMissingPermission: no role" },
    });
    expect(report.instances.map((r) => [r.cluster, r.verdict])).toEqual([
      ["app1", "failed"],
      ["app2", "missing"],
      ["mgmt", "missing"],
    ]);
    expect(report.instances[0]!.problems).toEqual(["restore validation failed: UserErrorMissingPermission: no role"]);
    expect(report.summary).toMatchObject({ healthy: 0, unhealthy: 3, byVerdict: { failed: 1, missing: 2 } });
  });

  it("the trend keeps one point per day of the last 14 and the HTML escapes what Azure sent", () => {
    const r = verifyInstance(evidence({ readErrors: ["<script>alert(1)</script>"] }), policy, now, "app1");
    const report = buildReport({ ...defaultSpec, clusters: defaultSpec.clusters.slice(1, 2) }, vault, [r], {
      policy,
      now,
    });
    const trend = buildTrend(report, [
      { date: "2026-11-01", healthy: 3, unhealthy: 0 },
      { date: "2026-11-20", healthy: 3, unhealthy: 0 },
      { date: "2026-11-24", healthy: 9, unhealthy: 9 },
    ]);
    expect(trend).toEqual([
      { date: "2026-11-20", healthy: 3, unhealthy: 0 },
      { date: "2026-11-24", healthy: 0, unhealthy: 1 },
    ]);
    const html = renderHtml(report, trend);
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });
});
