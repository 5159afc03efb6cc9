import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli";

/**
 * `down`, `restore` and `status` find `--env` in the target's registry of environments (with the builds its task
 * hub holds), as `drift` and `upgrade` do: an unknown one is a usage error naming the known (before: exit 1 "has not
 * been built here" or "no build … has run", naming nothing).
 */

const dir = mkdtempSync(path.join(tmpdir(), "cli-env-registry-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("CLI commands on a built platform resolve --env through the registry", () => {
  const state = path.join(dir, "state");
  it.each([
    ["down", ["down", "--cluster", "app2", "--env", "nowhere", "--yes", "--sandbox", "--state-dir", state]],
    ["restore", ["restore", "--cluster", "app2", "--env", "nowhere", "--sandbox", "--state-dir", state]],
  ])(
    "%s --env of an unknown environment exits 2 naming the known ones",
    async (_command, args) => {
      const r = await runCli(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain("--env nowhere: no such environment on the sandbox (known: k8s-demo)");
    },
    120_000,
  );

  it("status --env of an unknown environment exits 2 naming the known ones", async () => {
    const r = await runCli(["status", "--env", "nowhere", "--state-dir", state]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain("--env nowhere: no such environment on target state (known: k8s-demo)");
    // The default is known (the offered seed), only not built yet.
    const seed = await runCli(["status", "--state-dir", state]);
    expect(seed.code).toBe(1);
    expect(seed.stderr).toContain("no build of k8s-demo has run on this machine");
  }, 120_000);
});
