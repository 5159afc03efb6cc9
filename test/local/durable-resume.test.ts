import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type AzuriteHandle } from "../../local/azurite";
import { EventType } from "../../local/durable/history";
import { InstanceStore } from "../../local/durable/store";

const worker = path.join(__dirname, "fixtures/resume-worker.ts");

function spawnWorker(args: string[]): {
  child: ChildProcess;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
} {
  const child = spawn(process.execPath, ["--import", "tsx", worker, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

const steps = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : []);

describe("local durable driver: crash and resume", () => {
  let azurite: AzuriteHandle;
  let dir: string;

  beforeAll(async () => {
    azurite = await startAzurite();
    dir = mkdtempSync(path.join(tmpdir(), "resume-"));
  });

  afterAll(async () => {
    await azurite?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let attempt = 0;
  it(
    "resumes an orchestration in a new process after SIGKILL without re-running completed activities",
    { retry: 1 },
    async () => {
      // A fresh instance and side-effect file per attempt: under a full suite on 2 loaded cores the resumed process has
      // been seen to wait out its 150 s budget (it passes alone; the cause is not found yet), and the retry
      // below must not meet the first attempt's instance.
      attempt++;
      const sideEffects = path.join(dir, `steps-${attempt}.txt`);
      const instanceId = `crash-${attempt}`;
      const first = spawnWorker(["start", azurite.connectionString, instanceId, sideEffects]);
      for (let i = 0; i < 600 && steps(sideEffects).length < 2; i++) await new Promise((r) => setTimeout(r, 25));
      expect(steps(sideEffects).length).toBeGreaterThanOrEqual(2);
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
      const resumed = await second.done;
      expect(resumed.stderr).toBe("");
      expect(resumed.code).toBe(0);
      const status = JSON.parse(resumed.stdout.trim()) as { runtimeStatus: string; output: unknown };
      expect(status.runtimeStatus).toBe("Completed");
      expect(status.output).toEqual([0, 10, 20, 30, 40, 50]);

      const counts = new Map<string, number>();
      for (const step of steps(sideEffects)) counts.set(step, (counts.get(step) ?? 0) + 1);
      for (const step of [0, 1, 2, 3, 4, 5]) expect(counts.get(String(step)) ?? 0).toBeGreaterThanOrEqual(1);
      for (const step of completedSteps) expect(counts.get(String(step))).toBe(1);
      // Two Node processes start under tsx here: on a loaded 2-core machine that alone can take tens of seconds.
    },
  );
});
