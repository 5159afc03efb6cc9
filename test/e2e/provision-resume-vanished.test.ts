import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildModeInstanceId, mergedStatus } from "../../lib/api/builds";
import type { BuildInput } from "../../lib/plan/progress";
import { defaultSpec } from "../../lib/spec";
import { runBuild, startLocalRuntime, type LocalRuntime } from "../../local/build/runner";

// A build stopped while a deployment runs, and resumed in another runtime on the same state folder, where ARM no
// longer has that deployment's record (the sandbox of a killed `up` that had not saved it yet; ARM's history limit;
// a person deleting it). Its resources were left as the deployment made them. The resumed build starts the
// deployment again (once) and finishes.

const SPEED = 300;
const spec = defaultSpec;
const watched = `${spec.name}-aks-mgmt`;
const stateDir = mkdtempSync(path.join(tmpdir(), "e2e-vanished-"));
const runtimes: LocalRuntime[] = [];

const open = async () => {
  const runtime = await startLocalRuntime({
    stateDir,
    timeScale: SPEED,
    sandbox: { timeScale: SPEED, subscriptionId: spec.subscriptionId },
  });
  runtimes.push(runtime);
  return runtime;
};

afterAll(async () => {
  for (const runtime of runtimes.splice(0)) await runtime.stop();
  rmSync(stateDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

describe("a build resumed after a running deployment vanished from ARM", () => {
  it("starts that deployment again and finishes", async () => {
    const instanceId = buildModeInstanceId(spec.name, "deploy");
    const first = await open();
    await first.instances.start(instanceId, { spec, mode: "deploy" } satisfies BuildInput);
    const stateOf = async (runtime: LocalRuntime) => {
      const view = await runtime.instances.get(instanceId);
      const status = view && (await mergedStatus(view, runtime.instances));
      return status?.deployments.find((d) => d.name === watched)?.state;
    };
    for (let i = 0; i < 3000 && (await stateOf(first)) !== "running"; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await stateOf(first)).toBe("running");
    await first.stop();
    runtimes.splice(runtimes.indexOf(first), 1);

    // The deployment's record is gone from ARM; what it had created so far stays.
    const file = path.join(stateDir, "sandbox.json");
    const saved = JSON.parse(readFileSync(file, "utf8")) as { deployments: Record<string, { name: string }> };
    const keys = Object.keys(saved.deployments).filter((k) => saved.deployments[k]!.name === watched);
    expect(keys).toHaveLength(1);
    delete saved.deployments[keys[0]!];
    writeFileSync(file, JSON.stringify(saved));

    const second = await open();
    const outcome = await runBuild(second, spec, "deploy");
    expect(outcome.resumed).toBe(true);
    expect(outcome.failure).toBeUndefined();
    expect(outcome.runtimeStatus).toBe("Completed");
    expect(outcome.status?.deployments.find((d) => d.name === watched)?.state).toBe("succeeded");
  }, 240_000);
});
