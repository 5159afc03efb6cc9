import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type AzuriteHandle } from "../../local/azurite";
import { EventType } from "../../local/durable/history";
import { InstanceStore } from "../../local/durable/store";

const worker = path.join(__dirname, "fixtures/resume-worker.ts");

// Ceilings for a loaded 2-core machine, where starting a Node process under tsx alone can take tens of seconds; the
// worker's own budget (60 s once its driver runs) ends first when the instance is stuck, printing what it waits on.
const FIRST_STEPS_MS = 90_000;
const RESUMED_RUN_MS = 150_000;

interface Worker {
  child: ChildProcess;
  output(): string;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function spawnWorker(args: string[]): Worker {
  const child = spawn(process.execPath, ["--import", "tsx", worker, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done, output: () => `worker ${args[0]} stdout:\n${stdout}\nworker ${args[0]} stderr:\n${stderr}` };
}

/** The worker's result, or a failure carrying its output so far when it runs past `ms` (it is killed then). */
async function finished(w: Worker, ms: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const output = w.output();
      w.child.kill("SIGKILL");
      reject(new Error(`the worker did not finish within ${ms} ms\n${output}`));
    }, ms);
  });
  try {
    return await Promise.race([w.done, late]);
  } finally {
    clearTimeout(timer);
  }
}

const steps = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : []);

describe("local durable driver: crash and resume", () => {
  let azurite: AzuriteHandle;
  let dir: string;
  const workers: Worker[] = [];

  beforeAll(async () => {
    azurite = await startAzurite();
    dir = mkdtempSync(path.join(tmpdir(), "resume-"));
  });

  afterAll(async () => {
    for (const w of workers) w.child.kill("SIGKILL");
    await azurite?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    "resumes an orchestration in a new process after SIGKILL without re-running completed activities",
    async () => {
      const sideEffects = path.join(dir, "steps.txt");
      const instanceId = "crash-1";
      const first = spawnWorker(["start", azurite.connectionString, instanceId, sideEffects]);
      workers.push(first);
      const deadline = Date.now() + FIRST_STEPS_MS;
      while (steps(sideEffects).length < 2 && first.child.exitCode === null && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(
        steps(sideEffects).length,
        `two steps done within ${FIRST_STEPS_MS} ms\n${first.output()}`,
      ).toBeGreaterThanOrEqual(2);
      first.child.kill("SIGKILL");
      const killed = await first.done;
      expect(killed.code).toBeNull();

      // What the killed process had durably recorded as completed (history or inbox) before it died.
      const before = await new InstanceStore(azurite.connectionString, "resumetest").load(instanceId);
      expect(before?.runtimeStatus).toBe("Running");
      const events = [...before!.history, ...before!.inbox];
      const scheduledStep = new Map(
        events
          .filter((e) => e.EventType === EventType.TaskScheduled)
          .map((e) => [e.EventId, JSON.parse(String(e.Input)) as number]),
      );
      const completedSteps = events
        .filter((e) => e.EventType === EventType.TaskCompleted)
        .map((e) => scheduledStep.get(e.TaskScheduledId as number));
      expect(completedSteps.length).toBeGreaterThanOrEqual(1);

      const second = spawnWorker(["resume", azurite.connectionString, instanceId, sideEffects]);
      workers.push(second);
      const resumed = await finished(second, RESUMED_RUN_MS);
      expect({ code: resumed.code, stderr: resumed.stderr }, second.output()).toEqual({ code: 0, stderr: "" });
      const status = JSON.parse(resumed.stdout.trim()) as { runtimeStatus: string; output: unknown };
      expect(status.runtimeStatus).toBe("Completed");
      expect(status.output).toEqual([0, 10, 20, 30, 40, 50]);

      const counts = new Map<string, number>();
      for (const step of steps(sideEffects)) counts.set(step, (counts.get(step) ?? 0) + 1);
      for (const step of [0, 1, 2, 3, 4, 5]) expect(counts.get(String(step)) ?? 0).toBeGreaterThanOrEqual(1);
      for (const step of completedSteps) expect(counts.get(String(step))).toBe(1);
    },
    FIRST_STEPS_MS + RESUMED_RUN_MS + 30_000,
  );
});
