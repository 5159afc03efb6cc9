import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UpgradePlan } from "../../lib/upgrade";
import { specNamed, upOnSandbox } from "../drift/helpers";
import { runCli, type CliResult } from "../helpers/cli";

/**
 * `aks-platform upgrade … --env E` on an environment other than the seed, built by `up --sandbox` in the same state
 * folder: the plan is lab's (its two clusters, not the seed's three); an unknown environment exits 2 naming the known.
 */

const lab = specNamed("lab", (raw) => {
  raw["clusters"] = (raw["clusters"] as { name: string }[]).filter((c) => c.name !== "app2");
});
let dir: string;
let stateDir: string;

beforeAll(async () => {
  let up: CliResult;
  ({ dir, stateDir, up } = await upOnSandbox(lab, "upgrade-cli-"));
  expect(up.code, up.stderr).toBe(0);
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const plan = (env: string) =>
  runCli(["upgrade", "plan", "--sandbox", "--env", env, "--state-dir", stateDir, "--node-image", "--format", "json"]);

describe("aks-platform upgrade --env", () => {
  it("plans the environment this target built, with its own clusters", async () => {
    const r = await plan("lab");
    expect(r.code, r.stderr).toBe(0);
    const parsed = JSON.parse(r.stdout) as UpgradePlan;
    expect(parsed.clusters.map((c) => c.cluster)).toEqual(["mgmt", "app1"]);
  }, 120_000);

  it("upgrades lab to the next minor stage by stage (start --yes exits 0), and status shows the run", async () => {
    const options = ["--sandbox", "--env", "lab", "--state-dir", stateDir];
    const start = await runCli(["upgrade", "start", ...options, "--kubernetes-version", "1.34", "--yes"]);
    expect(start.code, start.stdout + start.stderr).toBe(0);
    expect(start.stdout).toMatch(/^upgrade lab-\S+ \(lab\): SUCCEEDED/);
    expect(start.stdout).toContain("stage mgmt: succeeded");
    expect(start.stdout).toContain("stage app1: succeeded");
    expect(start.stdout).not.toContain("app2");
    const status = await runCli(["upgrade", "status", ...options]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain("control plane 1.33.2 → 1.34.1");
  }, 240_000);

  it("exits 2 naming the known environments for an unknown one", async () => {
    const r = await plan("nowhere");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--env nowhere: no such environment on the sandbox (known: k8s-demo, lab)");
  }, 120_000);
});
