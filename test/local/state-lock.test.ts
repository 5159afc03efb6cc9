import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  azuriteServes,
  ENDPOINT_FILE,
  openSharedAzurite,
  processAlive,
  readOwner,
  type SharedAzurite,
} from "../../local/azurite";
import { azuriteDir, openBuildRecords } from "../../local/build/runner";

const root = path.resolve(__dirname, "../..");
const owner = path.join(__dirname, "fixtures/state-owner.ts");
// Starting a Node process under tsx, and Azurite in it, can take tens of seconds on the loaded 2-core machine.
const START_MS = 120_000;

interface Proc {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  done: Promise<number | null>;
}

function run(args: string[]): Proc {
  // No storage from the runner's environment: each process finds the state's Azurite itself.
  const { AzureWebJobsStorage: _storage, ...env } = process.env;
  const child = spawn(process.execPath, ["--import", "tsx", ...args], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, done, stdout: () => stdout, stderr: () => stderr };
}

const cli = (...args: string[]) => run([path.join(root, "local/cli/entry.ts"), ...args]);

async function ready(p: Proc): Promise<void> {
  const until = Date.now() + START_MS;
  while (!p.stdout().includes("ready")) {
    if (p.child.exitCode !== null || Date.now() > until)
      throw new Error(`the owner did not get ready:\n${p.stdout()}\n${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Azurite servers running on `location` (their command line names it), from /proc. */
function azuritesOn(location: string): number[] {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        return args.some((a) => a.endsWith("azurite.js")) && args[args.indexOf("--location") + 1] === location;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe("one state folder, one Azurite (real processes, real Azurite)", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "state-lock-"));
  const procs: Proc[] = [];
  const handles: SharedAzurite[] = [];
  const spawned = (p: Proc) => (procs.push(p), p);

  /** A fixture process holding `<dir>/<name>` (see fixtures/state-owner.ts), once it recorded its build. */
  async function held(mode: "azurite" | "runtime", name: string) {
    const stateDir = path.join(dir, name);
    const holder = spawned(run([owner, mode, stateDir]));
    await ready(holder);
    const location = azuriteDir(stateDir);
    return { stateDir, holder, location, record: readOwner(path.join(location, ENDPOINT_FILE))! };
  }

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.done));
    for (const h of handles) await h.stop();
    // The Azurite of a killed holder saves its folder on its way out (within 10 s): the folders go once it exited.
    const locations = readdirSync(dir).map((name) => azuriteDir(path.join(dir, name)));
    const until = Date.now() + 30_000;
    while (locations.some((l) => azuritesOn(l).length > 0) && Date.now() < until)
      await new Promise((r) => setTimeout(r, 100));
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  });

  it(
    "status beside the owner reads the owner's builds through the owner's Azurite and starts none",
    async () => {
      const { stateDir, holder, location, record: published } = await held("azurite", "beside");
      expect(published.pid).toBe(holder.child.pid);
      expect(azuritesOn(location)).toEqual([published.azurite!.pid]);

      const status = spawned(cli("status", "--state-dir", stateDir, "--format", "json"));
      const seen: number[][] = [];
      while (status.child.exitCode === null) {
        seen.push(azuritesOn(location));
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await status.done, status.stderr()).toBe(0);
      // The build the owner recorded, read through its Azurite.
      expect(JSON.parse(status.stdout())).toMatchObject({
        runtimeStatus: "Completed",
        input: { pid: holder.child.pid },
      });
      expect(seen.every((pids) => pids.length === 1 && pids[0] === published.azurite!.pid)).toBe(true);
      // The guest left the owner's Azurite and record alone.
      expect(processAlive(published.azurite!.pid)).toBe(true);
      expect(readOwner(path.join(location, ENDPOINT_FILE))).toEqual(published);

      // A reader whose owner exits meanwhile is told so at its next read, naming the process that went away.
      const records = await openBuildRecords(stateDir);
      holder.child.kill("SIGTERM");
      await holder.done;
      while (processAlive(published.azurite!.pid)) await new Promise((r) => setTimeout(r, 100));
      await expect(records.instances.get("build:k8s-demo")).rejects.toThrow(
        new RegExp(`pid ${holder.child.pid} \\(.*state-owner\\.ts azurite .*\\), which ran the storage of .* exited`),
      );
    },
    START_MS * 2,
  );

  it(
    "a killed owner's record is stale: the next process waits for its Azurite to save, takes over and keeps its writes",
    async () => {
      const { stateDir, holder, location, record: stale } = await held("azurite", "killed");
      holder.child.kill("SIGKILL");
      await holder.done;
      expect(existsSync(path.join(location, ENDPOINT_FILE))).toBe(true);

      const next = await openSharedAzurite(location);
      handles.push(next);
      expect(next.role).toBe("owner");
      expect(next.owner.pid).toBe(process.pid);
      // Exited, its folder saved (it may linger as a zombie until init reaps it: not an Azurite any more).
      expect(azuriteServes(stale.azurite!.pid, location)).toBe(false);
      expect(azuritesOn(location)).toEqual([next.pid]);
      const records = await openBuildRecords(stateDir);
      expect(await records.instances.get("build:k8s-demo")).toMatchObject({ input: { pid: stale.pid } });
      await records.stop();

      await next.stop();
      handles.pop();
      expect(existsSync(path.join(location, ENDPOINT_FILE))).toBe(false);
    },
    START_MS * 2,
  );

  it(
    "a second up on a held target refuses, naming the holder and what to do, and touches nothing of its state",
    async () => {
      const { stateDir, holder: first } = await held("runtime", "two-ups");
      const sandboxFile = path.join(stateDir, "sandbox.json");
      const before = existsSync(sandboxFile) ? statSync(sandboxFile).mtimeMs : undefined;

      const second = spawned(cli("up", "--sandbox", "--state-dir", stateDir, "--yes"));
      const code = await second.done;
      expect(code, second.stdout()).toBe(4);
      expect(second.stderr()).toContain("aks-platform up --sandbox --state-dir");
      expect(second.stderr()).toContain(`pid ${first.child.pid} (`);
      expect(second.stderr()).toContain("state-owner.ts runtime");
      expect(second.stderr()).toMatch(/stop it \(Ctrl\+C in its terminal, or kill \d+\)/);
      expect(second.stderr()).toContain("HTTP API");
      // No second Azurite, no up.json of its own, the sandbox's state file as the first left it.
      expect(azuritesOn(azuriteDir(stateDir))).toHaveLength(1);
      expect(existsSync(path.join(stateDir, "up.json"))).toBe(false);
      expect(existsSync(sandboxFile) ? statSync(sandboxFile).mtimeMs : undefined).toBe(before);
      const records = await openBuildRecords(stateDir);
      expect(await records.instances.get("build:k8s-demo")).toMatchObject({ input: { pid: first.child.pid } });
      await records.stop();
    },
    START_MS * 2,
  );
});
