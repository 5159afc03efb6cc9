import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandboxArm } from "../../local/sandbox";
import { defaultSpec, type PlatformSpec } from "../../lib/spec";
import { runCli, type CliResult } from "../helpers/cli";
import { openSshByHand, upOnSandbox } from "./helpers";

/**
 * `aks-platform drift --sandbox` on the sandbox platform `up --sandbox` built (its own state folder): exit 0 on the
 * fresh platform, 1 naming the NSG and the property path after a person's PUT through the ARM API.
 */

const spec: PlatformSpec = { ...defaultSpec, name: "drift-cli" };
let dir: string;
let stateDir: string;
let specFile: string;

beforeAll(async () => {
  let up: CliResult;
  ({ dir, stateDir, specFile, up } = await upOnSandbox(spec, "drift-cli-"));
  expect(up.code, up.stderr).toBe(0);
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const drift = (...extra: string[]) => driftOn(["--spec", specFile], ...extra);
const driftOn = (choice: string[], ...extra: string[]) =>
  runCli(["drift", "--sandbox", ...choice, "--state-dir", stateDir, "--time-scale", "600", "-o", "table", ...extra]);

describe("aks-platform drift", () => {
  it("exits 0 on a freshly built platform", async () => {
    const r = await drift();
    expect(r.stdout).toContain("no drift in drift-cli");
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);

  it("exits 1 naming the NSG and the property path after a direct PUT that opens SSH", async () => {
    const sandbox = await startSandboxArm({
      stateDir: dir,
      stateFile: path.join(stateDir, "sandbox.json"),
      subscriptionId: spec.subscriptionId,
    });
    try {
      await openSshByHand(sandbox, spec);
    } finally {
      await sandbox.close();
    }
    const r = await drift();
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain("HIGH  Microsoft.Network/networkSecurityGroups nsg-drift-cli-app1");
    expect(r.stdout).toMatch(/properties\.securityRules\[\d+\]: allow-ssh-anywhere: Allow Inbound Tcp "22" from "\*"/);
    const json = await drift("-o", "json");
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as { severity: string }).severity).toBe("high");
  }, 180_000);

  it("--remediate re-deploys the drifted network unit: the rule is gone and the next check exits 0", async () => {
    const fixed = await drift("--remediate");
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    expect(fixed.stdout).toContain("re-deployed: drift-cli-network");
    expect(fixed.stdout).toContain("after the re-deploy: no drift in drift-cli");
    const again = await drift();
    expect(again.code, again.stdout).toBe(0);
  }, 180_000);

  it("--env picks the environment this target built, without its spec file; an unknown one exits 2 naming the known", async () => {
    const r = await driftOn(["--env", spec.name]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("no drift in drift-cli");
    const unknown = await driftOn(["--env", "nowhere"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--env nowhere: no such environment on the sandbox (known: drift-cli, k8s-demo)");
  }, 180_000);

  it("refuses a missing target", async () => {
    const r = await runCli(["drift"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("choose exactly one target");
  });
});
