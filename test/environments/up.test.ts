import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentSummary } from "../../lib/api/environments";
import type { SharedAzurite } from "../../local/azurite";
import { ownStateAzurite } from "../../local/build/runner";
import { SANDBOX_SUBSCRIPTION_ID } from "../../local/build/target";
import { startLocalHost, type LocalHost } from "../../local/host";
import { runCli } from "../helpers/cli";

/**
 * `aks-platform up --sandbox` registers what it builds in its target's storage, as the HTTP API does: the app
 * served on the same state folder (`serve`), its `env list` and its timers know the environment afterwards.
 */

describe("aks-platform up writes the registry of its target", () => {
  let dir: string;
  let host: LocalHost | undefined;
  let azurite: SharedAzurite | undefined;
  const stateDir = () => path.join(dir, "state");

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "up-registry-"));
  });
  afterAll(async () => {
    await host?.stop();
    await azurite?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a what-if registers nothing; a build is listed `built` by the app served on the same state", async () => {
    const args = ["--sandbox", "--time-scale", "600", "--state-dir", stateDir(), "--report", path.join(dir, "r")];
    const whatIf = await runCli(["up", ...args, "--whatif"]);
    expect(whatIf.code, whatIf.stderr).toBe(0);
    const up = await runCli(["up", ...args]);
    expect(up.code, up.stderr).toBe(0);

    // What `serve` does on this target: the app on the state folder's Azurite (the sandbox itself is not needed).
    azurite = await ownStateAzurite(stateDir());
    host = await startLocalHost({
      port: 0,
      storageConnectionString: azurite.connectionString,
      requireKeys: false,
      timers: false,
    });
    const listed = (await (await fetch(`${host.url}/api/environments`)).json()) as {
      environments: EnvironmentSummary[];
    };
    expect(listed.environments).toEqual([
      expect.objectContaining({ name: "k8s-demo", state: "built", subscriptionId: SANDBOX_SUBSCRIPTION_ID }),
    ]);
    const cli = await runCli(["env", "list", "--host", host.url]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(new RegExp(`\\nk8s-demo\\s+built\\s+${SANDBOX_SUBSCRIPTION_ID}\\s`));
  }, 300_000);
});
