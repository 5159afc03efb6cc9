import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createArmConnection, type ArmConnection } from "../../lib/azure";
import type { BuildMode } from "../../lib/plan/progress";
import { defaultSpec, type PlatformSpec } from "../../lib/spec";
import { runBuild, startLocalRuntime, type BuildOutcome, type LocalRuntime } from "../../local/build/runner";
import type { SandboxArm, SandboxOptions } from "../../local/sandbox";
import type { Sink } from "./sink";

/**
 * The whole app on the real local parts, for tests that work on a platform: the app loaded as the Functions host
 * loads it (local/registry's loadApp: every file of functions/, orchestrations/<room>/ and their activities/, the
 * folders package.json `main` names), the local durable driver on Azurite and the sandbox ARM over HTTPS, in a
 * fresh temporary state folder. A test never lists the app's functions itself, so one added later is never
 * missing. One at a time in a process (the settings it points at its servers are the process's); a test file
 * usually builds one in beforeAll and stops it in afterAll.
 */

/** Simulated seconds per real second for end-to-end builds: a 55-minute build takes a few seconds. */
export const E2E_SPEED = 600;

export interface PlatformOptions {
  /** Names the temporary state folder (`platform-<name>-…`), so a leftover one says whose it is. */
  name?: string;
  /** The environment to build (default: the seed spec); the sandbox plays its subscription. */
  spec?: PlatformSpec;
  /** Durable timers and the sandbox run this many times faster than the wall clock (default E2E_SPEED). */
  timeScale?: number;
  /** More sandbox options (start time, Kubernetes versions, throttling, …). */
  sandbox?: Partial<SandboxOptions>;
  /** Where the app's Teams and Slack webhooks post (`<sink>/teams`, `<sink>/slack`); the platform closes it on stop. */
  notify?: Sink;
  /** More app settings for this process, put back as they were on stop. */
  settings?: Record<string, string>;
}

export interface Platform extends LocalRuntime {
  spec: PlatformSpec;
  sandbox: SandboxArm;
  /** The sandbox's ARM over HTTPS as the app's identity, for a test to look and act as a person would. */
  connection: ArmConnection;
  /** The app's storage (AzureWebJobsStorage: the state folder's Azurite). */
  storage: string;
  stateDir: string;
  /** Runs (or resumes) the build of `spec` and waits for it. */
  build(mode?: BuildMode): Promise<BuildOutcome>;
  /** Stops the driver, Azurite, the sandbox and the sink, puts the settings back and removes the state folder. */
  stop(): Promise<void>;
}

const NOTIFY_SETTINGS = (sink: Sink): Record<string, string> => ({
  AKS_PLATFORM_TEAMS_WEBHOOK_URL: `${sink.url}/teams`,
  AKS_PLATFORM_SLACK_WEBHOOK_URL: `${sink.url}/slack`,
  AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS: sink.host,
});

/** The platform's runtime, nothing built yet (set faults or state first, then `build()`). */
export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const spec = options.spec ?? defaultSpec;
  const timeScale = options.timeScale ?? E2E_SPEED;
  const settings = { ...options.settings, ...(options.notify ? NOTIFY_SETTINGS(options.notify) : {}) };
  const saved = Object.keys(settings).map((name) => [name, process.env[name]] as const);
  const stateDir = mkdtempSync(path.join(tmpdir(), `platform-${options.name ? `${options.name}-` : ""}`));
  let runtime: LocalRuntime | undefined;
  let stopped: Promise<void> | undefined;
  // Each part is stopped even when one before it fails; a second stop waits for the first.
  const stop = () =>
    (stopped ??= (async () => {
      try {
        await runtime?.stop();
      } finally {
        try {
          await options.notify?.close();
        } finally {
          for (const [name, value] of saved) {
            if (value === undefined) delete process.env[name];
            else process.env[name] = value;
          }
          rmSync(stateDir, { recursive: true, force: true });
        }
      }
    })());
  try {
    Object.assign(process.env, settings);
    // startLocalRuntime loads the app (loadApp), points the ARM and storage settings at the sandbox and Azurite.
    runtime = await startLocalRuntime({
      stateDir,
      timeScale,
      sandbox: { timeScale, subscriptionId: spec.subscriptionId, ...options.sandbox },
    });
    const sandbox = runtime.sandbox!;
    const platform: Platform = {
      ...runtime,
      spec,
      sandbox,
      connection: createArmConnection({ armEndpoint: sandbox.url, token: sandbox.token, ca: sandbox.caPem }),
      storage: process.env.AzureWebJobsStorage!,
      stateDir,
      build: (mode = "deploy") => runBuild(platform, spec, mode),
      stop,
    };
    return platform;
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * A platform built in the sandbox by the real provisioning orchestration. `beforeBuild` prepares the sandbox
 * (faults, backup failures) first. A build that does not complete stops everything and rejects with its failure.
 */
export async function buildPlatform(
  options: PlatformOptions & { beforeBuild?: (platform: Platform) => void | Promise<void> } = {},
): Promise<Platform> {
  const platform = await startPlatform(options);
  try {
    await options.beforeBuild?.(platform);
    const build = await platform.build();
    if (build.runtimeStatus !== "Completed")
      throw new Error(
        `the platform build of ${platform.spec.name} ended ${build.runtimeStatus}: ${build.failure ?? ""}`,
      );
    return platform;
  } catch (err) {
    await platform.stop();
    throw err;
  }
}
