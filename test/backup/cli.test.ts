import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UNSET_SUBSCRIPTION_ID } from "../../lib/spec";
import { runCli } from "../helpers/cli";
import { startBackupFixture, type BackupFixture } from "./helpers";

// `aks-platform backup verify` as a user runs it: a child process talking to the sandbox over HTTPS, trusting
// its CA through NODE_EXTRA_CA_CERTS and authenticating with AKS_PLATFORM_ARM_TOKEN.

let f: BackupFixture;
beforeAll(async () => {
  f = await startBackupFixture();
});
afterAll(async () => {
  await f.stop();
});

const env = () => ({ AKS_PLATFORM_ARM_TOKEN: f.sandbox.token, NODE_EXTRA_CA_CERTS: f.sandbox.caPath });
/** `backup verify` against the fixture's subscription on the sandbox, with `args` after. */
const verify = (args: string[], cliEnv: NodeJS.ProcessEnv = env()) =>
  runCli(["backup", "verify", "--subscription", f.sandbox.subscriptionId, "--arm-endpoint", f.sandbox.url, ...args], {
    env: cliEnv,
  });

describe("aks-platform backup verify", () => {
  it("prints the documented JSON and exits 0 when every instance is healthy", async () => {
    const now = f.sandbox.clock.now().toISOString();
    const r = await verify(["--now", now, "--format", "json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { generatedAt: string; vault: unknown; instances: unknown[]; summary: unknown };
    expect(Object.keys(out)).toEqual(["generatedAt", "vault", "instances", "summary"]);
    expect(out.generatedAt).toBe(now);
    expect(out.vault).toEqual({
      subscriptionId: f.sandbox.subscriptionId,
      resourceGroup: "rg-k8s-demo-common",
      name: "bvault-k8s-demo",
    });
    expect(out.summary).toEqual({ healthy: 3, unhealthy: 0 });
    expect(out.instances[0]).toMatchObject({
      name: "bi-aks-k8s-demo-app1",
      datasource: expect.stringMatching(/managedClusters\/aks-k8s-demo-app1$/),
      protectionStatus: "ProtectionConfigured",
      protectionState: "ProtectionConfigured",
      latestRecoveryPoint: expect.any(String),
      ageHours: expect.any(Number),
      lastJob: { status: "Completed", operation: "Backup", startTime: expect.any(String), endTime: expect.any(String) },
      verdict: "healthy",
      problems: [],
    });
  });

  it("exits 1 with the problems in text when a recovery point is stale", async () => {
    const later = new Date(f.sandbox.clock.now().getTime() + 2 * 86_400_000).toISOString();
    const r = await verify(["--now", later, "-o", "table"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/0 healthy, 3 not healthy/);
    expect(r.stdout).toMatch(/STALE +bi-aks-k8s-demo-mgmt \(cluster mgmt\)/);
    expect(r.stdout).toMatch(/newest recovery point is [\d.]+ h old \(limit 26 h\)/);
  });

  it("exits 3 naming the vault when it cannot be read", async () => {
    const r = await verify(["--vault", "bvault-nope"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot read Backup vault bvault-nope in rg-k8s-demo-common/);
  });

  it("exits 2 on usage errors", async () => {
    const missing = await runCli(["backup", "verify"], { env: env() });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/give --subscription/);
    const badTime = await runCli(["backup", "verify", "--sandbox", "--now", "yesterday"]);
    expect(badTime.code).toBe(2);
    expect(badTime.stderr).toMatch(/--now must be an ISO date-time/);
    const noToken = await verify([], { AKS_PLATFORM_ARM_TOKEN: "" });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/AKS_PLATFORM_ARM_TOKEN/);
  });

  it("--sandbox reads the vault of the sandbox platform built in the state folder, and refuses when none was", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "backup-cli-state-"));
    try {
      const none = await runCli(["backup", "verify", "--sandbox", "--state-dir", dir]);
      expect(none.code).toBe(2);
      expect(none.stderr).toContain(`no sandbox platform has been built in ${dir}: run \`npm start\``);

      // The state `up --sandbox` leaves behind: the seed's vault with three days of backups, saved on close.
      const built = await startBackupFixture({
        stateFile: path.join(dir, "sandbox.json"),
        subscriptionId: UNSET_SUBSCRIPTION_ID,
      });
      const builtAt = built.sandbox.clock.now().toISOString();
      await built.stop();
      const r = await runCli(["backup", "verify", "--sandbox", "--state-dir", dir, "--format", "json"]);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as {
        generatedAt: string;
        instances: Array<{ name: string; verdict: string; ageHours: number }>;
      };
      expect(out.instances.map((i) => [i.name, i.verdict])).toEqual([
        ["bi-aks-k8s-demo-app1", "healthy"],
        ["bi-aks-k8s-demo-app2", "healthy"],
        ["bi-aks-k8s-demo-mgmt", "healthy"],
      ]);
      // Judged on the sandbox's clock, where its backups ran, not on this machine's.
      expect(out.generatedAt.slice(0, 13)).toBe(builtAt.slice(0, 13));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("aks-platform restore", () => {
  it("exits 2 with a clear message on usage errors, before touching anything", async () => {
    const both = await runCli([
      "restore",
      "--cluster",
      "app2",
      "--sandbox",
      "--subscription",
      f.sandbox.subscriptionId,
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/choose exactly one target/);
    const fresh = mkdtempSync(path.join(tmpdir(), "restore-usage-"));
    try {
      const unknown = await runCli(["restore", "--cluster", "app9", "--sandbox", "--state-dir", fresh]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/environment k8s-demo has no cluster app9 \(clusters: mgmt, app1, app2\)/);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
    const noCluster = await runCli(["restore", "--sandbox"]);
    expect(noCluster.code).toBe(2);
    expect(noCluster.stderr).toMatch(/--cluster/);
  });
});
