import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultSpec, type PlatformSpec } from "../../lib/spec";
import type { TargetPlan } from "../../lib/plan/what-if";
import { runCli } from "../helpers/cli";

/**
 * `up --whatif` is `plan` on the same target: one line per resource (`+ ~ - =`) grouped per deployment unit, the
 * `Plan:` line, and with `-o json` the very document `plan --sandbox -o json` prints (before: counts per deployment
 * and a summary line, no JSON at all).
 */

const spec: PlatformSpec = { ...defaultSpec, name: "whatif-cli" };
let dir: string;
let stateDir: string;
let specFile: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "up-whatif-"));
  stateDir = path.join(dir, "state");
  specFile = path.join(dir, "spec.json");
  writeFileSync(specFile, JSON.stringify(spec));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const target = () => ["--sandbox", "--spec", specFile, "--state-dir", stateDir, "--time-scale", "600", "--quiet"];

describe("aks-platform up --whatif", () => {
  it("lists every resource per deployment unit with its action and the Plan: line, as plan does", async () => {
    const r = await runCli(["up", "--whatif", ...target(), "-o", "table"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Plan for whatif-cli on sandbox \(ARM what-if; nothing was changed\)/);
    expect(r.stdout).toContain("deployment whatif-cli-network-app1 (phase network, cluster app1)");
    const lines = r.stdout.split("\n").filter((l) => /^ {2}[+~=-] /.test(l));
    expect(lines.length).toBeGreaterThan(50);
    expect(
      lines.filter((l) => /^ {2}\+ Microsoft\.Network\/virtualNetworks vnet-\S+-app1 {2}\(create\)$/.test(l)),
    ).toHaveLength(1);
    expect(r.stdout).toContain(`Plan: ${lines.length} to add, 0 to change, 0 to destroy (0 unchanged).`);
  }, 180_000);

  it("-o json is plan's JSON document, unit for unit", async () => {
    const up = await runCli(["up", "--whatif", ...target(), "-o", "json"]);
    expect(up.code, up.stderr).toBe(0);
    const plan = await runCli(["plan", ...target(), "-o", "json"]);
    expect(plan.code, plan.stderr).toBe(0);
    const fromUp = JSON.parse(up.stdout) as TargetPlan;
    expect(fromUp).toEqual(JSON.parse(plan.stdout) as TargetPlan);
    expect(fromUp.units.find((u) => u.name === "whatif-cli-network-app1")?.resources[0]?.action).toBe("create");
    expect(fromUp.hasChanges).toBe(true);
  }, 240_000);
});
