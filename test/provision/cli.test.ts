import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli";

describe("aks-platform up: choosing where to build", () => {
  it.each([[["up"]], [["up", "--sandbox", "--subscription", "00000000-0000-0000-0000-000000000001"]]])(
    "%j is a usage error that names both targets, and builds nothing",
    async (args) => {
      const result = await runCli(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("choose exactly one target: --sandbox (local, no account) or --subscription ID (Azure)");
      expect(result.stdout).toBe("");
    },
  );

  it("refuses a bad spec with every problem and no stack trace (exit 2: input error)", async () => {
    const result = await runCli(["up", "--sandbox", "--spec", "test/fixtures/spec/bad-spec.yaml"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: .* has \d+ problems:/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
