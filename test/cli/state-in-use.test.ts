import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli";

/**
 * A command that runs work on a state folder another live process holds (`StateInUseError`) is refused with its
 * own exit code, the same for every command, naming the holder (pid, command, since) and what to do. Not 1: a
 * script must tell "someone else is busy here, retry later" from "the build failed".
 */

const root = path.resolve(__dirname, "../..");
// Starting a Node process under tsx, and Azurite in it, can take tens of seconds on the loaded 2-core machine.
const START_MS = 120_000;

let dir: string;
let stateDir: string;
let holder: ChildProcess;
let holderOut = "";

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "state-in-use-"));
  stateDir = path.join(dir, "state");
  const { AzureWebJobsStorage: _storage, ...env } = process.env;
  holder = spawn(
    process.execPath,
    ["--import", "tsx", path.join(root, "test/local/fixtures/state-owner.ts"), "azurite", stateDir],
    { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  holder.stdout?.on("data", (c: Buffer) => (holderOut += c.toString()));
  holder.stderr?.on("data", (c: Buffer) => (holderOut += c.toString()));
  const until = Date.now() + START_MS;
  while (!holderOut.includes("ready")) {
    if (holder.exitCode !== null || Date.now() > until) throw new Error(`the holder did not get ready:\n${holderOut}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}, START_MS);

afterAll(async () => {
  if (holder && holder.exitCode === null) {
    const exited = new Promise((resolve) => holder.once("close", resolve));
    holder.kill("SIGTERM");
    await exited;
  }
  // An Azurite that is still saving on its way out may add a file while the folder is removed.
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

describe("a state folder another process holds", () => {
  it("the exit-code table lists its own code", async () => {
    const help = await runCli(["up", "--help"]);
    expect(help.stdout).toMatch(/^\s+4\s+the state folder is in use by another aks-platform process/m);
  });

  it.each([
    ["up", ["up", "--sandbox", "--yes"]],
    ["plan", ["plan", "--sandbox"]],
    ["drift", ["drift", "--sandbox"]],
    ["serve", ["serve", "--port", "0"]],
  ])(
    "%s refuses with exit 4, naming the holder and what to do",
    async (_name, args) => {
      const r = await runCli([...args, "--state-dir", stateDir], { env: { AzureWebJobsStorage: "" } });
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toContain(`pid ${holder.pid} (`);
      expect(r.stderr).toContain("state-owner.ts azurite");
      expect(r.stderr).toMatch(/holds it since \d{4}-\d\d-\d\dT/);
      expect(r.stderr).toMatch(/stop it \(Ctrl\+C in its terminal, or kill \d+\)/);
      expect(r.stderr).toContain("then run this again");
    },
    START_MS,
  );
});
