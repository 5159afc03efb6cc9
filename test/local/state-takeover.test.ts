import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  azuriteServes,
  ENDPOINT_FILE,
  openSharedAzurite,
  processAlive,
  readOwner,
  type AzuriteOwner,
  type SharedAzurite,
} from "../../local/azurite";
import { azuriteDir, ownStateAzurite } from "../../local/build/runner";

// The record of a killed owner names two pids, its own and its Azurite's; by the time the next `up` reads it, the
// system may have given either to another process. That process is neither the owner nor its Azurite: the folder is
// taken over without waiting for it, refusing because of it, or killing it.

const dir = mkdtempSync(path.join(tmpdir(), "state-takeover-"));
const strangers: ChildProcess[] = [];
const handles: SharedAzurite[] = [];

afterAll(async () => {
  for (const h of handles) await h.stop();
  for (const s of strangers) s.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

/** A live process that is not an Azurite (what a reused pid points at). */
function stranger(): number {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  strangers.push(child);
  return child.pid!;
}

/** A pid no process has any more. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid!;
}

/** Leaves in `<stateDir>/azurite` the record a killed owner left, naming these pids. */
function staleRecord(stateDir: string, pids: { owner: number; azurite: number }): AzuriteOwner {
  const location = azuriteDir(stateDir);
  mkdirSync(location, { recursive: true });
  const record: AzuriteOwner = {
    pid: pids.owner,
    command: "aks-platform up --sandbox",
    startedAt: new Date().toISOString(),
    azurite: {
      pid: pids.azurite,
      account: "devstoreaccount1",
      blob: "http://127.0.0.1:1",
      queue: "http://127.0.0.1:2",
      table: "http://127.0.0.1:3",
    },
  };
  writeFileSync(path.join(location, ENDPOINT_FILE), JSON.stringify(record));
  return record;
}

/** A process that has exited and that its parent never reaps (what a killed owner's Azurite is until init reaps it). */
async function zombie(): Promise<number> {
  const parent = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 60"], { stdio: ["ignore", "pipe", "ignore"] });
  strangers.push(parent);
  const pid = await new Promise<number>((resolve) =>
    parent.stdout.once("data", (c: Buffer) => resolve(Number(String(c).trim()))),
  );
  while (!readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ")) await new Promise((r) => setTimeout(r, 20));
  return pid;
}

describe("state folder take-over when the dead owner's pids were reused", () => {
  it("an Azurite that exited but is not reaped yet (a zombie) is gone: nothing waits for it", async () => {
    const stateDir = path.join(dir, "azurite-zombie");
    const exited = await zombie();
    staleRecord(stateDir, { owner: await deadPid(), azurite: exited });
    // The signal-0 check took it for a live process: the take-over waited the full 20 s for it.
    expect(processAlive(exited)).toBe(true);
    expect(azuriteServes(exited, azuriteDir(stateDir))).toBe(false);

    const opened = await openSharedAzurite(azuriteDir(stateDir));
    handles.push(opened);
    expect(opened.role).toBe("owner");
  }, 120_000);

  it("a live process under the dead owner's Azurite pid is neither waited for nor killed", async () => {
    const stateDir = path.join(dir, "azurite-pid-reused");
    const reused = stranger();
    staleRecord(stateDir, { owner: await deadPid(), azurite: reused });
    expect(azuriteServes(reused, azuriteDir(stateDir))).toBe(false);

    const opened = await openSharedAzurite(azuriteDir(stateDir));
    handles.push(opened);
    expect(opened.role).toBe("owner");
    expect(opened.owner.pid).toBe(process.pid);
    // Before, the take-over waited 20 s for that process to exit, then sent it SIGKILL.
    expect(processAlive(reused)).toBe(true);
    expect(azuriteServes(opened.pid, azuriteDir(stateDir))).toBe(true);
  }, 120_000);

  it("a live process under the dead owner's pid, its Azurite gone, does not hold the folder", async () => {
    const stateDir = path.join(dir, "owner-pid-reused");
    const reused = stranger();
    staleRecord(stateDir, { owner: reused, azurite: await deadPid() });

    // Before, that process was taken for the owner: `up` refused, naming it as the holder (StateInUseError).
    const opened = await ownStateAzurite(stateDir);
    handles.push(opened);
    expect(opened.role).toBe("owner");
    expect(readOwner(path.join(azuriteDir(stateDir), ENDPOINT_FILE))?.pid).toBe(process.pid);
    expect(processAlive(reused)).toBe(true);

    await opened.stop();
    handles.pop();
    expect(existsSync(path.join(azuriteDir(stateDir), ENDPOINT_FILE))).toBe(false);
  }, 120_000);
});
