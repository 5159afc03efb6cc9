import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli";
import { startSink } from "../helpers/sink";

/** `up` as a person runs it: interrupted with Ctrl+C, and a what-if that must change nothing anywhere. */

const root = path.resolve(__dirname, "../..");
const dirs: string[] = [];
const tempDir = (name: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), `e2e-${name}-`));
  dirs.push(dir);
  return dir;
};

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * `up --sandbox` in a child process, stopped by `signals` (one after another, 100 ms apart) once app1's grants
 * have succeeded: its exit code and what it printed.
 */
async function upStoppedBy(
  signals: NodeJS.Signals[],
  args: string[],
): Promise<{ code: number | null; output: string; errors: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "local/cli/entry.ts"), ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let errors = "";
  child.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no progress before the deadline:\n${output}`)), 90_000);
    child.stdout.on("data", (chunk: Buffer) => {
      const before = output;
      output += chunk.toString();
      if (/k8s-demo-grants-mgmt\s+succeeded/.test(output) && !/k8s-demo-grants-mgmt\s+succeeded/.test(before)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  let ended = false;
  const closed = new Promise<number | null>((resolve) =>
    child.once("close", (code) => {
      ended = true;
      resolve(code);
    }),
  );
  for (const signal of signals) {
    // The next signal goes as soon as this one is heard (its first words on stderr), while the stop it began runs:
    // a fixed pause let a quick stop finish first, and two signals sent at once may arrive as one.
    const heard = errors.length;
    child.kill(signal);
    for (let waited = 0; !ended && errors.length === heard && waited < 10_000; waited += 10)
      await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { code: await closed, output, errors };
}

describe("aks-platform up, stopped and previewed", () => {
  it.each<[string, NodeJS.Signals[]]>([
    ["Ctrl+C says what it left running and how to resume", ["SIGINT"]],
    // Before: the second Ctrl+C killed it outright (no exit code, no word).
    ["Ctrl+C twice exits at once, still saying how to resume", ["SIGINT", "SIGINT"]],
  ])(
    "%s, and status shows the build as interrupted",
    async (_title, signals) => {
      const stateDir = tempDir("interrupt");
      const args = [
        "up",
        "--sandbox",
        "--time-scale",
        "300",
        "--state-dir",
        stateDir,
        "--report",
        path.join(stateDir, "r"),
      ];
      const { code, errors } = await upStoppedBy(signals, args);
      expect(code, errors).toBe(130);
      expect(errors).toContain("SIGINT: stopped driving the build of k8s-demo; it is interrupted, not cancelled.");
      if (signals.length === 1)
        expect(errors).toMatch(/Left running in the sandbox ARM \(its state is kept\): k8s-demo-/);
      else expect(errors).toContain("SIGINT again: exiting now.");
      expect(errors).toContain(`Resume: aks-platform ${args.join(" ")}`);

      const status = await runCli(["status", "--env", "k8s-demo", "--state-dir", stateDir, "-o", "table"]);
      expect(status.stdout).toMatch(/^k8s-demo: Interrupted /);
      expect(status.stdout).toContain(`interrupted by SIGINT at `);
      expect(status.stdout).toContain(`resume with: aks-platform ${args.join(" ")}`);
      expect(status.code).toBe(1);
    },
    180_000,
  );

  it("--whatif is read-only: no notification, no report, not the last build; its plan counts the changes", async () => {
    const stateDir = tempDir("whatif");
    const reportDir = path.join(stateDir, "report");
    const sink = await startSink();
    try {
      const result = await runCli(
        [
          "up",
          "--sandbox",
          "--whatif",
          "--time-scale",
          "300",
          "--state-dir",
          stateDir,
          "--report",
          reportDir,
          "-o",
          "table",
        ],
        {
          env: {
            AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS: sink.host,
            AKS_PLATFORM_TEAMS_WEBHOOK_URL: `${sink.url}/teams`,
            AKS_PLATFORM_SLACK_WEBHOOK_URL: `${sink.url}/slack`,
          },
        },
      );
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain("(ARM what-if; nothing was changed)");
      expect(result.stdout).toMatch(/Plan: [1-9]\d* to add, 0 to change, 0 to destroy \(0 unchanged\)\./);
      expect(result.stderr).toContain("no report written");
      expect(result.stdout).not.toMatch(/\d+ succeeded/);
      expect(sink.requests).toEqual([]);
      expect(existsSync(reportDir)).toBe(false);
      // Nor the record of the build's own `up`: a later `status` must not offer the what-if as the resume command.
      expect(existsSync(path.join(stateDir, "up.json"))).toBe(false);

      const status = await runCli(["status", "--env", "k8s-demo", "--state-dir", stateDir, "-o", "table"]);
      expect(status.stderr).toContain("no build of k8s-demo has run on this machine");
      expect(status.code).toBe(1);
    } finally {
      await sink.close();
    }
  }, 180_000);
});
