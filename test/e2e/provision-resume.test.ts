import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ENDPOINT_FILE, processAlive, publishedConnectionString, readOwner } from "../../local/azurite";
import { azuriteDir } from "../../local/build/runner";
import { describeProgress } from "../../local/durable/driver";
import { InstanceStore } from "../../local/durable/store";

/** A build whose process is killed mid-way resumes where it stopped when `up` runs again. */

const root = path.resolve(__dirname, "../..");
const stateDir = mkdtempSync(path.join(tmpdir(), "e2e-resume-"));
const reportDir = path.join(stateDir, "report");
const args = ["up", "--sandbox", "--time-scale", "300", "--state-dir", stateDir, "--report", reportDir];

// Ceilings for a loaded 2-core machine (alone, the whole test takes about 20 s). Each phase ends in a failure that
// says why (the process's output, the state folder's records, every instance's stored progress) before the test's
// own timeout, which would say nothing.
const KILL_POINT_MS = 90_000;
const RESUMED_RUN_MS = 120_000;
const DIAGNOSTICS_MS = 20_000;

interface Up {
  child: ChildProcess;
  stdout(): string;
  output(): string;
  done: Promise<number | null>;
}

function startUp(name: string): Up {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "local/cli/entry.ts"), ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  // When each piece of output arrived (seconds since the spawn): where a slow run spent its time.
  let timeline = "";
  const spawnedAt = Date.now();
  const seen = (stream: string) => (c: Buffer) => {
    const lines = c.toString().split("\n").filter(Boolean).length;
    timeline += ` +${((Date.now() - spawnedAt) / 1000).toFixed(1)}s:${stream}${lines}`;
  };
  child.stdout?.on("data", (c: Buffer) => (stdout += c.toString())).on("data", seen("out"));
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString())).on("data", seen("err"));
  const done = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    child,
    done,
    stdout: () => stdout,
    output: () =>
      `${name} (pid ${child.pid}, ${((Date.now() - spawnedAt) / 1000).toFixed(1)} s since its start) stdout:\n${stdout}\n` +
      `${name} stderr:\n${stderr}\n${name} output arrived at (lines):${timeline}`,
  };
}

const procs: Up[] = [];
afterAll(async () => {
  const azurite = readOwner(path.join(azuriteDir(stateDir), ENDPOINT_FILE))?.azurite?.pid;
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
  await Promise.all(procs.map((p) => p.done));
  // The Azurite of a killed up saves its folder on the way out (within 10 s): the folder goes once it has exited.
  const until = Date.now() + 30_000;
  while (azurite !== undefined && processAlive(azurite) && Date.now() < until)
    await new Promise((r) => setTimeout(r, 100));
  rmSync(stateDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

const within = <T>(ms: number, work: Promise<T>, what: string): Promise<T> =>
  Promise.race([
    work,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)),
  ]);

/**
 * What the state folder says about who holds it and where every instance stands: the owner records (Azurite's
 * endpoint.json, up.json, a take-over guard), whether the processes they name are alive, and, when a live owner's
 * Azurite serves the folder, every instance's stored progress and the build's custom status.
 */
async function stateReport(): Promise<string> {
  const lines: string[] = [];
  const location = azuriteDir(stateDir);
  for (const file of [path.join(location, ENDPOINT_FILE), path.join(stateDir, "up.json")]) {
    lines.push(`${file}: ${existsSync(file) ? readFileSync(file, "utf8").trim() : "(none)"}`);
  }
  lines.push(`files in ${location}: ${existsSync(location) ? readdirSync(location).join(", ") : "(none)"}`);
  const owner = readOwner(path.join(location, ENDPOINT_FILE));
  if (!owner) return lines.join("\n");
  lines.push(`owner pid ${owner.pid} alive: ${processAlive(owner.pid)}`);
  if (!owner.azurite) return lines.join("\n");
  lines.push(`its Azurite pid ${owner.azurite.pid} alive: ${processAlive(owner.azurite.pid)}`);
  // A dead owner's Azurite is saving on its way out: a reader's connection must not hold it up.
  if (!processAlive(owner.pid) || !processAlive(owner.azurite.pid)) return lines.join("\n");
  const store = new InstanceStore(publishedConnectionString(owner.azurite), "aksplatform");
  try {
    // The index and the documents: an instance missing from one is itself a finding.
    const listed = Promise.all([store.list(), store.unfinished()]).then((both) => new Set(both.flat()));
    const ids = await within(DIAGNOSTICS_MS, listed, "listing the instances");
    for (const id of ids) {
      const doc = await within(DIAGNOSTICS_MS, store.load(id), `loading ${id}`);
      if (!doc) continue;
      lines.push(`instance ${id} (updated ${doc.lastUpdatedTime}): ${describeProgress(doc)}`);
      if (id === "build:k8s-demo") lines.push(`  custom status: ${JSON.stringify(doc.customStatus)}`);
    }
  } catch (err) {
    lines.push(`instances unreadable: ${err instanceof Error ? err.message : String(err)}`);
  }
  return lines.join("\n");
}

/** The process's exit code, or a failure naming why it has not ended within `ms` (it is killed after the report). */
async function exited(up: Up, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), ms)));
  const code = await Promise.race([up.done, late]).finally(() => clearTimeout(timer));
  if (code !== "late") return code;
  const report = await stateReport();
  up.child.kill("SIGKILL");
  throw new Error(`the resumed up did not finish within ${ms} ms\n${up.output()}\n--- state ---\n${report}`);
}

describe("aks-platform up, killed and started again", () => {
  it(
    "resumes the interrupted build and finishes it without redoing finished deployments",
    async () => {
      const first = startUp("first up");
      procs.push(first);
      // Kill while the clusters are being built, well after the network deployments finished.
      const until = Date.now() + KILL_POINT_MS;
      while (!/k8s-demo-grants-mgmt\s+succeeded/.test(first.stdout())) {
        if (first.child.exitCode !== null || Date.now() > until)
          throw new Error(
            `the first up did not reach the kill point within ${KILL_POINT_MS} ms\n${first.output()}\n` +
              `--- state ---\n${await stateReport()}`,
          );
        await new Promise((r) => setTimeout(r, 25));
      }
      first.child.kill("SIGKILL");
      await first.done;
      const afterKill = await stateReport();

      const resumed = startUp("resumed up");
      procs.push(resumed);
      const code = await exited(resumed, RESUMED_RUN_MS);
      const why = `${resumed.output()}\n--- state right after the kill ---\n${afterKill}`;
      expect(resumed.stdout(), why).toContain("resumed an interrupted build");
      expect(code, why).toBe(0);
      // Finished before the kill, so not started again (a re-poll would show it running first).
      expect(resumed.stdout()).toMatch(/k8s-demo-network-mgmt\s+succeeded/);
      expect(resumed.stdout()).not.toMatch(/k8s-demo-network-mgmt\s+running/);
    },
    KILL_POINT_MS + RESUMED_RUN_MS + 2 * DIAGNOSTICS_MS + 10_000,
  );
});
