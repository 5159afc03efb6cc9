import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriftReport } from "../../lib/drift";
import { sandboxOptionsFor } from "../../local/build/target";
import { startSandboxArm } from "../../local/sandbox";
import { runCli } from "../helpers/cli";

/**
 * `aks-platform down` and `restore` as a user runs them, on the sandbox platform `aks-platform up --sandbox` (what
 * `npm start` runs) built in the same state folder (one build for the file): the teardown keeps app2's recovery
 * points, `status` shows app2 removed, and `restore` brings app2 back with its workloads from the kept point.
 */

const SPEED = "600";

describe("aks-platform down, then restore", () => {
  let dir: string;
  const stateArgs = () => ["--sandbox", "--time-scale", SPEED, "--state-dir", path.join(dir, "state")];
  const verify = () =>
    runCli(["backup", "verify", "--sandbox", "--state-dir", path.join(dir, "state"), "--format", "json"]);
  const verdicts = async () => {
    const r = await verify();
    const out = JSON.parse(r.stdout) as { instances: { name: string; verdict: string; protectionStatus?: string }[] };
    return Object.fromEntries(out.instances.map((i) => [i.name, i.verdict]));
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "teardown-cli-"));
    const up = await runCli(["up", "--yes", ...stateArgs(), "--report", path.join(dir, "report")]);
    expect(up.code, up.stderr).toBe(0);
  }, 480_000);

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses usage errors with exit 2 and naming the known clusters", async () => {
    const noTarget = await runCli(["down", "--cluster", "app2"]);
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toContain("--sandbox");

    const unknown = await runCli(["down", "--cluster", "app9", ...stateArgs()]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("clusters: mgmt, app1, app2");
  }, 120_000);

  it("right after the build, backup verify reads the same sandbox: every instance has its first backup or names it running", async () => {
    // How far each first backup got depends on when its instance was created in the build: it is either done or
    // running (10 simulated minutes), never missing.
    const right = await verify();
    const report = JSON.parse(right.stdout) as { instances: { name: string; verdict: string; problems: string[] }[] };
    expect(report.instances.map((i) => i.name).sort()).toEqual([
      "bi-aks-k8s-demo-app1",
      "bi-aks-k8s-demo-app2",
      "bi-aks-k8s-demo-mgmt",
    ]);
    for (const i of report.instances) {
      if (i.verdict !== "healthy") {
        expect(i.verdict, JSON.stringify(i)).toBe("stale");
        expect(i.problems[0], JSON.stringify(i)).toMatch(/^first backup job \S+ running since /);
      }
    }

    // Once the first backups' time has passed, every instance is healthy.
    const sandbox = await startSandboxArm(sandboxOptionsFor(path.join(dir, "state"), 1));
    try {
      sandbox.clock.advance(15 * 60);
    } finally {
      await sandbox.close();
    }
    expect(await verdicts()).toEqual({
      "bi-aks-k8s-demo-mgmt": "healthy",
      "bi-aks-k8s-demo-app1": "healthy",
      "bi-aks-k8s-demo-app2": "healthy",
    });
  }, 120_000);

  it("asks first (and deletes nothing without a yes), then tears app2 down with --yes, keeping its backups", async () => {
    const unconfirmed = await runCli(["down", "--cluster", "app2", ...stateArgs()]);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stdout).toContain("Nothing deleted.");

    const down = await runCli(["down", "--cluster", "app2", "--yes", ...stateArgs()]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain("deleted        resource group rg-k8s-demo-app2");
    expect(down.stdout).toContain("deleted        peering peer-to-vnet-k8s-demo-app2 of vnet-k8s-demo-mgmt");
    expect(down.stdout).toContain(
      "stopped        protection of backup instance bi-aks-k8s-demo-app2 (its recovery points are kept)",
    );
    expect(down.stdout).toMatch(
      /kept {4}backup instance bi-aks-k8s-demo-app2: protection stopped, [1-9]\d* recovery point/,
    );
    expect(down.stdout).not.toContain("already absent");
    expect(down.stdout).toContain("cluster app2 torn down");

    // The same sandbox: app2's instance is there, no longer protecting, the others untouched.
    expect(await verdicts()).toEqual({
      "bi-aks-k8s-demo-mgmt": "healthy",
      "bi-aks-k8s-demo-app1": "healthy",
      "bi-aks-k8s-demo-app2": "unprotected",
    });
  }, 480_000);

  it("status shows app2 removed, with its backups kept", async () => {
    const status = await runCli(["status", "-o", "table", "--state-dir", path.join(dir, "state")]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/cluster app2: removed \d{4}-\d\d-\d\dT[\d:.]+Z simulated \(backups kept;/);
    expect(status.stdout).toMatch(/removed {3}k8s-demo-aks-app2/);
    expect(status.stdout).not.toMatch(/succeeded k8s-demo-aks-app2/);
    expect(status.stdout).toMatch(/succeeded k8s-demo-aks-app1/);
  }, 120_000);

  it("drift skips app2's units and the forgotten peering units naming the teardown, checks the rest: exit 0", async () => {
    // Before: they were reported "not deployed yet" and `drift` exited 2 for good.
    const r = await runCli(["drift", ...stateArgs(), "-o", "table"]);
    expect(r.stdout).not.toContain("not deployed yet");
    expect(r.stdout).toContain("no drift in k8s-demo");
    expect(r.stdout).toMatch(/skipped: k8s-demo-\S+-app2: cluster app2 torn down \d{4}-\d\d-\d\dT/);
    expect(r.stdout).toMatch(/skipped: k8s-demo-peerings-mgmt: peers with cluster app2 torn down/);
    expect(r.code, r.stdout + r.stderr).toBe(0);

    const json = await runCli(["drift", ...stateArgs(), "-o", "json"]);
    const report = JSON.parse(json.stdout) as DriftReport;
    expect(report.errors).toEqual([]);
    expect(report.units).toEqual(expect.arrayContaining(["k8s-demo-network-app2", "k8s-demo-aks-app1"]));
    expect(report.units).not.toContain("k8s-demo-aks-app2");
    expect(report.skipped?.map((s) => s.unit)).toContain("k8s-demo-peerings-app1");
    expect(json.code).toBe(0);
  }, 240_000);

  it("restore --sandbox --cluster app2 rebuilds app2 and restores its workloads from the kept recovery point", async () => {
    const restore = await runCli(["restore", "--cluster", "app2", ...stateArgs()]);
    expect(restore.code, `${restore.stdout}\n${restore.stderr}`).toBe(0);
    expect(restore.stdout).toContain("restore of cluster app2: RESTORED");
    expect(restore.stdout).toContain("cluster rebuilt: yes");
    expect(restore.stdout).toMatch(/workloads: \d+ pods running/);
    expect(restore.stdout).toMatch(/target 30 min: (met|missed)/);

    const status = await runCli(["status", "-o", "table", "--state-dir", path.join(dir, "state")]);
    expect(status.stdout).not.toContain("cluster app2: removed");
    // Protection configured again by the rebuild's backup instance deployment.
    expect((await verdicts())["bi-aks-k8s-demo-app2"]).toBe("healthy");
  }, 480_000);

  it("Ctrl+C during a restore of app2 cancels it: it stops before its next step, says so, exits 130; --cancel then finds none", async () => {
    // Before: Ctrl+C killed the process and left the restore Running with nothing to stop it.
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        path.resolve(__dirname, "../../local/cli/entry.ts"),
        "restore",
        "--cluster",
        "app2",
        ...stateArgs(),
        "--time-scale",
        "30",
      ],
      { cwd: path.resolve(__dirname, "../.."), stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    let errors = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const closed = new Promise<number | null>((resolve) => child.once("close", resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the restore never started:\n${errors}`)), 120_000);
      child.stderr.on("data", (chunk: Buffer) => {
        errors += chunk.toString();
        if (errors.includes("… restoring")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill("SIGINT");
    const code = await closed;
    expect(code, `${output}\n${errors}`).toBe(130);
    expect(errors).toContain("SIGINT: cancelling the restore of cluster app2: it stops before its next step");
    expect(output).toContain("restore of cluster app2: CANCELED");
    // app2 is back (the test before): no rebuild; slowed to 30x, the cancel reaches it while its restore job runs.
    expect(output).toMatch(/cancelled at the \w[\w ]* step; /);

    const again = await runCli(["restore", "--cluster", "app2", "--cancel", ...stateArgs()]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("no restore of cluster app2 in environment k8s-demo is running (Completed)");
  }, 240_000);

  it("--delete-backups deletes app1's recovery points too; a restore is then refused without a target verdict", async () => {
    const down = await runCli(["down", "--cluster", "app1", "--yes", "--delete-backups", ...stateArgs()]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain("deleted        backup instance bi-aks-k8s-demo-app1 and all its recovery points");
    expect(down.stdout).not.toContain("kept    backup instance");

    const restore = await runCli(["restore", "--cluster", "app1", ...stateArgs()]);
    expect(restore.code).toBe(1);
    expect(restore.stdout).toContain("restore of cluster app1: REFUSED");
    expect(restore.stdout).not.toContain("target 30 min: met");
    expect(restore.stdout).toContain("nothing was restored, so the 30 min target does not apply");
  }, 480_000);
});
