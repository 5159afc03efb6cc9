import { defaultSpec } from "../../lib/spec";
import type { LocalRuntime } from "../../local/build/runner";
import { startPlatform } from "../helpers/platform";

/**
 * A benchmark's sandbox (test/helpers/platform's startPlatform): the app loaded as the host loads it, the local
 * durable driver and the sandbox ARM (playing `subscriptionId`, the seed spec's by default) on a fresh temporary
 * state folder, stopped and removed whatever `body` does.
 */
export async function withSandboxRuntime<T>(
  name: string,
  timeScale: number,
  body: (runtime: LocalRuntime) => Promise<T>,
  subscriptionId = defaultSpec.subscriptionId,
): Promise<T> {
  const platform = await startPlatform({ name: `bench-${name}`, timeScale, sandbox: { subscriptionId } });
  try {
    return await body(platform);
  } finally {
    await platform.stop();
  }
}
