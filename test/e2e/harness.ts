import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildPlan, planDeployments, type PlanResource } from "../../lib/plan";
import type { PlatformSpec } from "../../lib/spec";
import { startLocalRuntime, type LocalRuntime } from "../../local/build/runner";
import type { SandboxOptions } from "../../local/sandbox";

/** Simulated seconds per real second for end-to-end builds: a 55-minute build takes a few seconds. */
export const E2E_SPEED = 600;

/** A local runtime (driver + Azurite + sandbox ARM) in a fresh temporary folder. */
export async function startE2eRuntime(
  spec: PlatformSpec,
  sandbox: Partial<SandboxOptions> = {},
): Promise<LocalRuntime & { stateDir: string }> {
  const stateDir = mkdtempSync(path.join(tmpdir(), "e2e-build-"));
  const runtime = await startLocalRuntime({
    stateDir,
    timeScale: E2E_SPEED,
    sandbox: { timeScale: E2E_SPEED, subscriptionId: spec.subscriptionId, ...sandbox },
  });
  return {
    ...runtime,
    stateDir,
    async stop() {
      await runtime.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Every resource the offline plan of `spec` says a build creates. */
export function plannedResources(spec: PlatformSpec): PlanResource[] {
  return planDeployments(buildPlan(spec)).flatMap((d) => d.resources);
}

/**
 * Paths where `actual` differs from the plan's expanded value; values only known at deploy time (`$deferred`
 * markers) are not compared, and `actual` may hold more (ARM adds read-only properties).
 */
export function differences(expected: unknown, actual: unknown, at = "properties"): string[] {
  if (expected !== null && typeof expected === "object" && "$deferred" in expected) return [];
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length)
      return [`${at}: expected ${expected.length} items`];
    return expected.flatMap((e, i) => differences(e, actual[i], `${at}[${i}]`));
  }
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object") return [`${at}: expected an object`];
    return Object.entries(expected).flatMap(([k, v]) =>
      differences(v, (actual as Record<string, unknown>)[k], `${at}.${k}`),
    );
  }
  return expected === actual ? [] : [`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}
