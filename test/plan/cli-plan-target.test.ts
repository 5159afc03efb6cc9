import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { defaultSpec, type PlatformSpec } from "../../lib/spec";
import type { TargetPlan } from "../../lib/plan/what-if";
import { runCli } from "../helpers/cli";
import { armRequest, inSandboxOf, nsgId } from "../drift/helpers";

/**
 * `aks-platform plan --sandbox`: ARM what-if per resource on the sandbox. A fresh target shows every resource `+`;
 * after `up` every one `=`; after a person's direct PUT through the ARM API, `~` with the property path.
 */

const spec: PlatformSpec = { ...defaultSpec, name: "plan-cli" };
let dir: string;
let stateDir: string;
let specFile: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "plan-cli-"));
  stateDir = path.join(dir, "state");
  specFile = path.join(dir, "spec.json");
  writeFileSync(specFile, JSON.stringify(spec));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const target = () => ["--sandbox", "--spec", specFile, "--state-dir", stateDir, "--time-scale", "600"];
const plan = (...extra: string[]) => runCli(["plan", ...target(), ...extra]);

function resourceLines(text: string): string[] {
  return text.split("\n").filter((l) => /^ {2}[+~=-] /.test(l));
}

describe("aks-platform plan on a target", () => {
  it("a fresh target: every resource +, grouped per deployment unit, and the summary line", async () => {
    const r = await plan("-o", "table", "--quiet");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Plan for plan-cli on sandbox \(ARM what-if; nothing was changed\)/);
    expect(r.stdout).toContain("deployment plan-cli-network-app1 (phase network, cluster app1)");
    const lines = resourceLines(r.stdout);
    expect(lines.length).toBeGreaterThan(50);
    expect(lines.every((l) => l.startsWith("  + "))).toBe(true);
    expect(r.stdout).toContain(`Plan: ${lines.length} to add, 0 to change, 0 to destroy (0 unchanged).`);

    const detailed = await plan("-o", "json", "--quiet", "--detailed-exitcode");
    expect(detailed.code).toBe(1);
    const json = JSON.parse(detailed.stdout) as TargetPlan;
    expect(json.summary).toEqual({ add: lines.length, change: 0, destroy: 0, unchanged: 0 });
    expect(json.units.find((u) => u.name === "plan-cli-network-app1")?.resources[0]?.action).toBe("create");
  }, 180_000);

  it("after up: every resource =, nothing to add, change or destroy; --detailed-exitcode exits 0", async () => {
    const up = await runCli(["up", ...target(), "--yes", "--quiet", "--report", path.join(dir, "report")]);
    expect(up.code, up.stderr).toBe(0);
    const r = await plan("-o", "table", "--quiet", "--detailed-exitcode");
    expect(r.code, r.stderr).toBe(0);
    const lines = resourceLines(r.stdout);
    expect(lines.length).toBeGreaterThan(50);
    expect(lines.filter((l) => !l.startsWith("  = "))).toEqual([]);
    expect(r.stdout).toContain(`Plan: 0 to add, 0 to change, 0 to destroy (${lines.length} unchanged).`);
  }, 300_000);

  it("status of the build on the chosen target: -o json|yaml|table, and a target without a build", async () => {
    const json = await runCli(["status", "--env", "plan-cli", "--state-dir", stateDir, "-o", "json"]);
    expect(json.code, json.stderr).toBe(0);
    const view = JSON.parse(json.stdout) as { environment: string; target: string; runtimeStatus: string };
    expect(view).toMatchObject({ environment: "plan-cli", target: "state", runtimeStatus: "Completed" });
    const yaml = await runCli(["status", "--env", "plan-cli", "--state-dir", stateDir, "-o", "yaml"]);
    expect(parseYaml(yaml.stdout)).toMatchObject({ environment: "plan-cli", runtimeStatus: "Completed" });
    const table = await runCli(["status", "--env", "plan-cli", "--state-dir", stateDir, "-o", "table"]);
    expect(table.stdout).toMatch(/^plan-cli: Completed \(last update /);
    expect(table.stdout).toMatch(/ {2}succeeded plan-cli-network-app1\n/);

    const elsewhere = await runCli([
      "status",
      "--env",
      "plan-cli",
      "--subscription",
      "11111111-2222-4333-8444-555555555555",
    ]);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain(
      "no build of plan-cli has run on this machine (target subscription-11111111-2222-4333-8444-555555555555)",
    );
    for (const args of [
      ["--sandbox", "--subscription", "11111111-2222-4333-8444-555555555555"],
      ["--arm-endpoint", "https://x"],
    ]) {
      const wrong = await runCli(["status", ...args]);
      expect(wrong.code, args.join(" ")).toBe(2);
    }
  }, 180_000);

  it("after a direct PUT that widens an NSG rule: ~ on the NSG with the property path before → after", async () => {
    await inSandboxOf(stateDir, spec.subscriptionId, async (sandbox) => {
      const id = nsgId(sandbox, spec);
      const got = await armRequest(sandbox, sandbox.identities.person, "GET", id);
      const nsg = got.body as { properties: { securityRules: { properties: Record<string, unknown> }[] } };
      expect(nsg.properties.securityRules[0]!.properties.sourceAddressPrefix).toBe("Internet");
      nsg.properties.securityRules[0]!.properties.sourceAddressPrefix = "*";
      expect((await armRequest(sandbox, sandbox.identities.person, "PUT", id, nsg)).status).toBe(200);
    });
    const r = await plan("-o", "table", "--quiet", "--detailed-exitcode");
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain("  ~ Microsoft.Network/networkSecurityGroups nsg-plan-cli-app1  (modify)");
    expect(r.stdout).toContain('      ~ properties.securityRules[0].properties.sourceAddressPrefix: "*" → "Internet"');
    expect(r.stdout).toMatch(/Plan: 0 to add, 1 to change, 0 to destroy \(\d+ unchanged\)\./);

    const json = JSON.parse((await plan("-o", "json", "--quiet")).stdout) as TargetPlan;
    const modified = json.units.flatMap((u) => u.resources).filter((x) => x.action === "modify");
    expect(modified).toHaveLength(1);
    expect(modified[0]!.changes).toEqual([
      {
        path: "properties.securityRules[0].properties.sourceAddressPrefix",
        action: "modify",
        before: "*",
        after: "Internet",
      },
    ]);
  }, 180_000);

  it("plan with no target: the offline phase view, with a hint to the per-resource plan", async () => {
    const r = await runCli(["plan", "-o", "table"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Plan for k8s-demo in koreacentral/);
    expect(r.stderr).toContain("aks-platform plan --sandbox");
    const offline = await runCli(["plan", "--offline", "-o", "table"]);
    expect(offline.stderr).toBe("");
  }, 120_000);

  it("refuses options that do not fit together", async () => {
    for (const args of [
      ["plan", "--offline", "--sandbox"],
      ["plan", "--sandbox", "--subscription", "11111111-2222-4333-8444-555555555555"],
      ["plan", "--detailed-exitcode"],
      ["plan", "--sandbox", "--format", "mermaid", "--out", dir],
    ]) {
      const r = await runCli(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
    }
  }, 240_000);
});
