import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { defaultSpec } from "../../lib/spec";
import { startLocalRuntime, type LocalRuntime } from "../../local/build/runner";
import { installFunctionsCore } from "../../local/registry";

/**
 * A benchmark's sandbox: the app's functions installed, the local durable driver and the sandbox ARM (playing
 * `subscriptionId`, the seed spec's by default) on a fresh temporary state folder, stopped and removed whatever
 * `body` does.
 */
export async function withSandboxRuntime<T>(
  name: string,
  timeScale: number,
  body: (runtime: LocalRuntime) => Promise<T>,
  subscriptionId = defaultSpec.subscriptionId,
): Promise<T> {
  installFunctionsCore();
  const stateDir = mkdtempSync(path.join(tmpdir(), `bench-${name}-`));
  const runtime = await startLocalRuntime({
    stateDir,
    timeScale,
    sandbox: { timeScale, subscriptionId },
  });
  try {
    return await body(runtime);
  } finally {
    await runtime.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
