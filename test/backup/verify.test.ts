import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyVault, type BackupReport, type InstanceReport } from "../../lib/backup";
import type { ClusterSpec } from "../../lib/spec";
import { startBackupFixture, type BackupFixture } from "./helpers";

// OPS-5 against the sandbox ARM over real HTTPS: the real Data Protection REST clients read a vault the sandbox
// filled through its simulated 02:00 UTC schedule.

const byCluster = (report: BackupReport, cluster: string): InstanceReport => {
  const r = report.instances.find((i) => i.cluster === cluster);
  if (!r) throw new Error(`no instance for ${cluster} in ${JSON.stringify(report.instances.map((i) => i.name))}`);
  return r;
};

describe("backup verification against the sandbox", () => {
  let f: BackupFixture;
  beforeAll(async () => {
    // Page size 2: the instance list (3), each recovery point list (4: the first backup when protection was
    // configured, then three nightly ones) and the job list (12) span several pages.
    f = await startBackupFixture({ pageSize: 2 });
  });
  afterAll(async () => {
    await f.stop();
  });

  it("finds a healthy vault healthy, reading every page", async () => {
    const now = f.sandbox.clock.now();
    const report = await verifyVault(f.clients(), f.spec, f.vault, { now });
    expect(report.summary).toMatchObject({ healthy: 3, unhealthy: 0 });
    for (const r of report.instances) {
      expect(r).toMatchObject({
        verdict: "healthy",
        protectionStatus: "ProtectionConfigured",
        protectionState: "ProtectionConfigured",
        problems: [],
        recoveryPoints: 4,
      });
      expect(r.lastJob).toMatchObject({ status: "Completed", operation: "Backup" });
      expect(r.latestRecoveryPoint).toBe("2026-11-23T02:10:00.000Z");
      expect(r.ageHours).toBeLessThan(26);
    }
    expect(report.instances.map((r) => r.cluster)).toEqual(["app1", "app2", "mgmt"]);
  });

  it("calls a recovery point older than 26 h stale, with its age and since when", async () => {
    const now = new Date(f.sandbox.clock.now().getTime() + 30 * 3600_000);
    const report = await verifyVault(f.clients(), f.spec, f.vault, { now });
    const app1 = byCluster(report, "app1");
    expect(app1.verdict).toBe("stale");
    expect(app1.ageHours).toBeGreaterThan(26);
    expect(app1.since).toBe("2026-11-23T02:10:00.000Z");
    expect(app1.problems[0]).toMatch(/newest recovery point is [\d.]+ h old \(limit 26 h\)/);
    expect(report.summary.unhealthy).toBe(3);
  });

  it("reports a missing cluster as a finding", async () => {
    const app2 = f.spec.clusters.find((c) => c.name === "app2")!;
    const app3: ClusterSpec = {
      ...app2,
      name: "app3",
      aksName: "aks-k8s-demo-app3",
      resourceGroup: "rg-k8s-demo-app3",
      nodeResourceGroup: "rg-k8s-demo-app3-nodes",
    };
    const report = await verifyVault(f.clients(), { ...f.spec, clusters: [...f.spec.clusters, app3] }, f.vault, {
      now: f.sandbox.clock.now(),
    });
    expect(byCluster(report, "app3")).toMatchObject({
      name: "bi-aks-k8s-demo-app3",
      verdict: "missing",
      problems: ["cluster app3 (aks-k8s-demo-app3) has addons.backup but no backup instance in the vault"],
    });
    expect(report.summary).toMatchObject({ healthy: 3, unhealthy: 1 });
  });

  it("reports an instance whose protection stopped as unprotected", async () => {
    f.sandbox.state.setProtection({
      backupInstance: "bi-aks-k8s-demo-app2",
      status: "ProtectionStopped",
      errorDetails: { code: "UserErrorBackupStopped", message: "Protection was stopped by a user." },
    });
    try {
      const report = await verifyVault(f.clients(), f.spec, f.vault, { now: f.sandbox.clock.now() });
      const app2 = byCluster(report, "app2");
      expect(app2.verdict).toBe("unprotected");
      expect(app2.problems).toEqual([
        "protection status is ProtectionStopped, not ProtectionConfigured (UserErrorBackupStopped: Protection was stopped by a user.)",
        "current protection state is ProtectionStopped, not ProtectionConfigured",
      ]);
      expect(byCluster(report, "app1").verdict).toBe("healthy");
    } finally {
      f.sandbox.state.setProtection({ backupInstance: "bi-aks-k8s-demo-app2", status: "ProtectionConfigured" });
    }
  });

  it("reports a wrong-shape or non-JSON response as malformed instead of crashing or retrying", async () => {
    f.sandbox.counters.reset();
    f.sandbox.faults.add({
      match: { method: "GET", path: "app1/recoveryPoints" },
      effect: { kind: "malformed", json: { value: { not: "a list" } } },
      times: 1,
    });
    f.sandbox.faults.add({
      match: { method: "GET", path: "app2/recoveryPoints" },
      effect: { kind: "malformed" },
      times: 1,
    });
    try {
      const report = await verifyVault(f.clients(), f.spec, f.vault, { now: f.sandbox.clock.now() });
      const app1 = byCluster(report, "app1");
      expect(app1.verdict).toBe("failed");
      expect(app1.problems.join("\n")).toMatch(
        /could not verify: recovery points: malformed response: list recovery points: unexpected list response/,
      );
      expect(byCluster(report, "app2").problems.join("\n")).toMatch(
        /could not verify: recovery points: malformed response: list recovery points bi-aks-k8s-demo-app2: the 200 response body is not valid JSON/,
      );
      expect(byCluster(report, "mgmt").verdict).toBe("healthy");
      // Both faults fired once and neither answer was retried: one recovery point list per instance.
      expect(f.sandbox.faults.list()).toEqual([]);
      expect(f.sandbox.counters.snapshot().throttled).toBe(0);
    } finally {
      f.sandbox.faults.clear();
    }
  });

  it("retries 429 and 5xx answers and still reaches a verdict", async () => {
    f.sandbox.counters.reset();
    f.sandbox.faults.add({
      match: { method: "GET", path: "/recoveryPoints" },
      effect: { kind: "throttle", retryAfterSeconds: 0 },
      times: 2,
    });
    f.sandbox.faults.add({
      match: { method: "GET", path: "/backupJobs" },
      effect: { kind: "error", status: 503, code: "ServiceUnavailable" },
      times: 1,
    });
    f.sandbox.faults.add({
      match: { method: "GET", path: "/backupPolicies/" },
      effect: { kind: "error", status: 500, code: "InternalServerError" },
      times: 1,
    });
    try {
      const report = await verifyVault(f.clients(), f.spec, f.vault, { now: f.sandbox.clock.now() });
      expect(report.summary).toMatchObject({ healthy: 3, unhealthy: 0 });
      expect(f.sandbox.counters.snapshot().throttled).toBe(2);
      expect(f.sandbox.faults.list().every((r) => r.fired === r.times)).toBe(true);
    } finally {
      f.sandbox.faults.clear();
    }
  });

  it("validates a restore of tonight's rotating pick, and a failed validation makes that instance unhealthy", async () => {
    const now = f.sandbox.clock.now();
    const passed = await verifyVault(f.clients(), f.spec, f.vault, { now, validateRestore: true });
    expect(passed.restoreValidation).toMatchObject({ ok: true, recoveryPoint: expect.any(String) });
    expect(passed.summary.unhealthy).toBe(0);
    f.sandbox.faults.add({
      match: { method: "POST", path: "/validateRestore" },
      effect: {
        kind: "error",
        status: 400,
        code: "UserErrorMissingRequiredPermissions",
        message: "The vault identity lacks Reader on the cluster.",
      },
      times: 1,
    });
    try {
      const failed = await verifyVault(f.clients(), f.spec, f.vault, { now, validateRestore: true });
      const pick = failed.restoreValidation!.instance;
      expect(failed.restoreValidation).toMatchObject({
        ok: false,
        error: "UserErrorMissingRequiredPermissions: The vault identity lacks Reader on the cluster.",
      });
      expect(failed.instances.find((i) => i.name === pick)).toMatchObject({
        verdict: "failed",
        problems: [
          "restore validation failed: UserErrorMissingRequiredPermissions: The vault identity lacks Reader on the cluster.",
        ],
      });
    } finally {
      f.sandbox.faults.clear();
    }
  });

  it("reports a failed last job with the job's error, since the first failure", async () => {
    f.sandbox.state.injectBackupFailures({
      backupInstance: "bi-aks-k8s-demo-app1",
      count: 2,
      code: "UserErrorKubernetesBackupFailed",
      message: "snapshot of volume pv-data failed",
    });
    f.sandbox.clock.advance(2 * 86_400);
    const report = await verifyVault(f.clients(), f.spec, f.vault, { now: f.sandbox.clock.now() });
    const app1 = byCluster(report, "app1");
    expect(app1.verdict).toBe("failed");
    expect(app1.lastJob).toMatchObject({
      status: "Failed",
      error: { code: "UserErrorKubernetesBackupFailed", message: "snapshot of volume pv-data failed" },
    });
    expect(app1.since).toBe("2026-11-24T02:00:00.000Z");
    expect(app1.problems.join("\n")).toMatch(
      /Failed at 2026-11-25T02:10:00.000Z: UserErrorKubernetesBackupFailed: snapshot of volume pv-data failed \(2 failed jobs in a row\)/,
    );
    // The points of app1 stop at the last success; the others keep a fresh one.
    expect(app1.problems.join("\n")).toMatch(/newest recovery point is [\d.]+ h old/);
    expect(byCluster(report, "mgmt").verdict).toBe("healthy");
  });
});
