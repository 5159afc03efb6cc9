import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli";

/** A build whose process is killed mid-way resumes where it stopped when `up` runs again. */

const root = path.resolve(__dirname, "../..");
const stateDir = mkdtempSync(path.join(tmpdir(), "e2e-resume-"));
const reportDir = path.join(stateDir, "report");
const args = ["up", "--sandbox", "--time-scale", "300", "--state-dir", stateDir, "--report", reportDir];

afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

describe("aks-platform up, killed and started again", () => {
  it("resumes the interrupted build and finishes it without redoing finished deployments", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "local/cli/entry.ts"), ...args], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no progress before the deadline:\n${output}`)), 90_000);
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        // Kill while the clusters are being built, well after the network deployments finished.
        if (/k8s-demo-grants-mgmt\s+succeeded/.test(output)) {
          clearTimeout(timer);
          child.kill("SIGKILL");
          resolve();
        }
      });
    });
    await new Promise((resolve) => child.once("close", resolve));

    const resumed = await runCli(args);
    expect(resumed.stdout).toContain("resumed an interrupted build");
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    // Finished before the kill, so not started again (a re-poll would show it running first).
    expect(resumed.stdout).toMatch(/k8s-demo-network-mgmt\s+succeeded/);
    expect(resumed.stdout).not.toMatch(/k8s-demo-network-mgmt\s+running/);
  }, 240_000);
});
