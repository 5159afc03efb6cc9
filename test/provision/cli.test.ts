import path from "node:path";
import { describe, expect, it } from "vitest";
import { reportDirOf } from "../../local/cli/commands/up";
import { stateDirOf } from "../../local/build/target";
import { runCli } from "../helpers/cli";

describe("aks-platform up: choosing where to build", () => {
  it.each([[["up"]], [["up", "--sandbox", "--subscription", "00000000-0000-0000-0000-000000000001"]]])(
    "%j is a usage error that names both targets, and builds nothing",
    async (args) => {
      const result = await runCli(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        "choose exactly one target: --sandbox (local, no account) or --subscription ID (Azure)",
      );
      expect(result.stdout).toBe("");
    },
  );

  it("refuses a bad spec with every problem and no stack trace (exit 2: input error)", async () => {
    const result = await runCli(["up", "--sandbox", "--spec", "test/fixtures/spec/bad-spec.yaml"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: .* has \d+ problems:/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("keeps each target's report and state in its own folder, so a sandbox run never replaces or resumes a subscription's", () => {
    const reports = path.resolve(__dirname, "../../.local/reports");
    const id = "11111111-2222-3333-4444-555555555555";
    // Before: both were .local/reports/k8s-demo.
    expect(reportDirOf({ sandbox: true }, "k8s-demo")).toBe(path.join(reports, "sandbox", "k8s-demo"));
    expect(reportDirOf({ subscription: id }, "k8s-demo")).toBe(path.join(reports, `subscription-${id}`, "k8s-demo"));
    expect(reportDirOf({ sandbox: true, report: "out" }, "k8s-demo")).toBe(path.resolve("out"));
    // And the state each command opens (durable task hub, sandbox): one per target, so no run resumes another's.
    const dirs = [{ sandbox: true }, { subscription: id }, { subscription: id, armEndpoint: "https://127.0.0.1:8443" }];
    expect(new Set(dirs.map((d) => stateDirOf(d))).size).toBe(3);
    expect(stateDirOf({ subscription: id })).toBe(path.resolve(reports, "../state", `subscription-${id}`));
  });
});
