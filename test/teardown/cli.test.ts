import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli";

/**
 * `aks-platform down` as a user runs it, on the sandbox platform `aks-platform up --sandbox` built in the same
 * state folder (one build for the file).
 */

const SPEED = "600";

describe("aks-platform down", () => {
  let dir: string;
  const stateArgs = () => ["--sandbox", "--time-scale", SPEED, "--state-dir", path.join(dir, "state")];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "teardown-cli-"));
    const up = await runCli(["up", ...stateArgs(), "--report", path.join(dir, "report")]);
    expect(up.code, up.stderr).toBe(0);
  }, 240_000);

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

  it("asks first (and deletes nothing without a yes), then tears app2 down with --yes", async () => {
    const unconfirmed = await runCli(["down", "--cluster", "app2", ...stateArgs()]);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stdout).toContain("Nothing deleted.");

    const down = await runCli(["down", "--cluster", "app2", "--yes", ...stateArgs()]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain("deleted resource group rg-k8s-demo-app2");
    expect(down.stdout).toContain("deleted peering peer-to-vnet-k8s-demo-app2 of vnet-k8s-demo-mgmt");
    expect(down.stdout).toContain("cluster app2 torn down");
  }, 180_000);
});
