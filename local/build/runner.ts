import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { prepareAzureContext, storageFromConnectionString, type HostStorage } from "../../lib/azure";
import { buildModeInstanceId, isActive, mergedStatus, type BuildInstances } from "../../lib/api/builds";
import { Orchestrations } from "../../lib/function-names";
import type { BuildInput, BuildMode, BuildStatus } from "../../lib/plan/progress";
import type { PlatformSpec } from "../../lib/spec";
import {
  ENDPOINT_FILE,
  openSharedAzurite,
  processAlive,
  readOwner,
  StateInUseError,
  type SharedAzurite,
} from "../azurite";
import { DurableDriver } from "../durable/driver";
import { InstanceStore } from "../durable/store";
import { serveActivityClient } from "../host";
import { loadApp, stderrLogger } from "../registry";
import { startSandboxArm, type SandboxArm, type SandboxOptions } from "../sandbox";

/**
 * Runs the app's build in this process, without a Functions host: the real orchestrations and activities through
 * the local durable driver (state in Azurite under `stateDir`, so a killed run resumes), against the sandbox ARM
 * or any ARM endpoint the app settings name.
 */

export interface LocalRuntime {
  driver: DurableDriver;
  instances: BuildInstances;
  sandbox?: SandboxArm;
  stop(): Promise<void>;
}

/** Where a target's environments are read: its task hub's instances (with inputs) and its storage (the registry). */
export interface EnvironmentSource {
  instances(): Promise<{ instanceId: string; input?: unknown }[]>;
  storage: HostStorage;
}

export interface LocalRuntimeOptions {
  /** Folder for Azurite's data and the sandbox's state file; kept between runs so a build can resume. */
  stateDir: string;
  /** Start from nothing (removes `stateDir` first). */
  fresh?: boolean;
  /** Durable timers run this many times faster than the wall clock (the sandbox's time scale when it is used). */
  timeScale: number;
  /** Start the sandbox ARM with these options and point the app's ARM settings at it. */
  sandbox?: SandboxOptions;
  maxConcurrentActivities?: number;
}

/** The ARM and storage settings the activities read, set for this process. */
const RUNTIME_SETTINGS = [
  "AKS_PLATFORM_ARM_ENDPOINT",
  "AKS_PLATFORM_ARM_TOKEN",
  "AKS_PLATFORM_ARM_CA_FILE",
  "AzureWebJobsStorage",
];

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  if (options.fresh) {
    const owner = readOwner(path.join(azuriteDir(options.stateDir), ENDPOINT_FILE));
    if (owner && processAlive(owner.pid)) throw new StateInUseError(options.stateDir, owner);
    rmSync(options.stateDir, { recursive: true, force: true });
  }
  mkdirSync(options.stateDir, { recursive: true });
  const saved = RUNTIME_SETTINGS.map((name) => [name, process.env[name]] as const);
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  try {
    // Owned before anything else of the folder is opened: a refused command must not even load and save the sandbox.
    const azurite = await ownStateAzurite(options.stateDir);
    cleanups.push(() => azurite.stop());
    let sandbox: SandboxArm | undefined;
    if (options.sandbox) {
      sandbox = await startSandboxArm({ stateFile: path.join(options.stateDir, "sandbox.json"), ...options.sandbox });
      cleanups.push(() => sandbox!.close());
      process.env.AKS_PLATFORM_ARM_ENDPOINT = sandbox.url;
      process.env.AKS_PLATFORM_ARM_TOKEN = sandbox.token;
      process.env.AKS_PLATFORM_ARM_CA_FILE = sandbox.caPath;
    }
    process.env.AzureWebJobsStorage = azurite.connectionString;

    await loadApp();
    // Settings checked and the cloud known (an ARM-compatible endpoint's metadata read) before any activity runs.
    await prepareAzureContext();
    const driver = new DurableDriver({
      connectionString: azurite.connectionString,
      clock: { kind: "scaled", factor: options.timeScale },
      ...(options.maxConcurrentActivities !== undefined
        ? { maxConcurrentActivities: options.maxConcurrentActivities }
        : {}),
    });
    cleanups.push(() => driver.stop());
    cleanups.push(await serveActivityClient(driver, stderrLogger));
    await driver.start();
    return { driver, instances: driverBuildInstances(driver), ...(sandbox ? { sandbox } : {}), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `<state>/azurite`: Azurite's data folder and the record of the process owning it. */
export function azuriteDir(stateDir: string): string {
  return path.join(stateDir, "azurite");
}

/**
 * The Azurite of `stateDir`, owned by this process: one durable driver (and one sandbox) per state folder, so a
 * command that would run work beside another process's driver is refused, naming that process.
 */
export async function ownStateAzurite(stateDir: string): Promise<SharedAzurite> {
  const azurite = await openSharedAzurite(azuriteDir(stateDir));
  if (azurite.role === "owner") return azurite;
  throw new StateInUseError(stateDir, azurite.owner);
}

/**
 * Read-only access to the builds recorded under `stateDir`, without a driver: reading must not resume (and so
 * run) an interrupted build, which may belong to another process. Beside a running `serve` or `up` it reads their
 * Azurite; when that process exits meanwhile, the next read says so.
 */
export async function openBuildRecords(
  stateDir: string,
): Promise<{ instances: BuildInstances; environments: EnvironmentSource; stop(): Promise<void> }> {
  const azurite = await openSharedAzurite(azuriteDir(stateDir));
  const store = new InstanceStore(azurite.connectionString, process.env.AKS_PLATFORM_TASK_HUB ?? "aksplatform");
  const ownerGone = (err: unknown): never => {
    if (azurite.role === "guest" && !processAlive(azurite.owner.pid))
      throw new Error(
        `pid ${azurite.owner.pid} (${azurite.owner.command}), which ran the storage of ${stateDir}, exited while ` +
          `this command read it; run this command again (it then opens the state itself)`,
        { cause: err },
      );
    throw err;
  };
  const readOnly = (what: string) => () =>
    Promise.reject(new Error(`${what} is not possible on read-only build records`));
  return {
    instances: {
      async get(instanceId) {
        const doc = await store
          .init()
          .then(() => store.load(instanceId))
          .catch(ownerGone);
        return (
          doc && {
            instanceId,
            runtimeStatus: doc.runtimeStatus,
            input: doc.input,
            customStatus: doc.customStatus,
            output: doc.output,
            createdTime: doc.createdTime,
            lastUpdatedTime: doc.lastUpdatedTime,
          }
        );
      },
      start: readOnly("starting a build"),
      terminate: readOnly("terminating a build"),
      raise: readOnly("cancelling a build"),
      managementUrls: () => ({}),
    },
    // What `status` needs to know the target's environments (lib/environments' registry and the builds).
    environments: {
      async instances() {
        const ids = await store
          .init()
          .then(() => store.list())
          .catch(ownerGone);
        const docs = await Promise.all(ids.map((id) => store.load(id).catch(ownerGone)));
        return docs.flatMap((doc, i) => (doc ? [{ instanceId: ids[i]!, input: doc.input }] : []));
      },
      storage: storageFromConnectionString(azurite.connectionString),
    },
    stop: () => azurite.stop(),
  };
}

/** The build API's view of the local durable driver (the same view the HTTP API has of the durable client). */
export function driverBuildInstances(driver: DurableDriver): BuildInstances {
  return {
    async get(instanceId) {
      const s = await driver.getStatus(instanceId, { showInput: true });
      return s && { ...s, runtimeStatus: s.runtimeStatus };
    },
    async start(instanceId, input) {
      await driver.startNew(Orchestrations.provisionPlatform, { instanceId, input });
    },
    terminate: (instanceId, reason) => driver.terminate(instanceId, reason),
    raise: (instanceId, eventName, data) => driver.raiseEvent(instanceId, eventName, data),
    managementUrls: () => ({}),
  };
}

export interface BuildOutcome {
  instanceId: string;
  runtimeStatus: string;
  /** True when an earlier, interrupted run of this environment was picked up instead of starting a new one. */
  resumed: boolean;
  status?: BuildStatus;
  /** The orchestration's failure message (every failed deployment with its ARM error). */
  failure?: string;
}

/**
 * Starts the build of `spec` (or resumes an interrupted one of the same environment) and waits for it, reporting
 * progress about every `pollMs`.
 */
export async function runBuild(
  runtime: LocalRuntime,
  spec: PlatformSpec,
  mode: BuildMode,
  options: { onProgress?: (status: BuildStatus | undefined, runtimeStatus: string) => void; pollMs?: number } = {},
): Promise<BuildOutcome> {
  const instanceId = buildModeInstanceId(spec.name, mode);
  const existing = await runtime.instances.get(instanceId);
  const resumed = isActive(existing);
  if (!resumed) await runtime.instances.start(instanceId, { spec, mode } satisfies BuildInput);
  const pollMs = options.pollMs ?? 250;
  for (;;) {
    const view = await runtime.instances.get(instanceId);
    const status = view && (await mergedStatus(view, runtime.instances));
    options.onProgress?.(status, view?.runtimeStatus ?? "Pending");
    if (view && !isActive(view)) {
      return {
        instanceId,
        runtimeStatus: view.runtimeStatus,
        resumed,
        ...(status ? { status } : {}),
        ...(view.runtimeStatus === "Failed" ? { failure: failureText(view.output) } : {}),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

function failureText(output: unknown): string {
  if (typeof output === "string") return output;
  return JSON.stringify(output);
}

/**
 * Who drives the builds kept under a state folder: `up` records its process and command line when it starts, and
 * on SIGINT/SIGTERM what it left running. `status` reads it to tell an interrupted build from a running one.
 */
export interface RunRecord {
  pid: number;
  startedAt: string;
  /** The `aks-platform` arguments that resume the build. */
  args: string[];
  interrupted?: { at: string; signal: string; running: string[] };
}

const RUN_RECORD = "up.json";

export function recordRun(stateDir: string, args: string[]): void {
  const record: RunRecord = { pid: process.pid, startedAt: new Date().toISOString(), args };
  writeFileSync(path.join(stateDir, RUN_RECORD), `${JSON.stringify(record, null, 2)}\n`);
}

export function recordInterruption(stateDir: string, signal: string, running: string[]): void {
  const record = readRunRecord(stateDir);
  if (!record) return;
  record.interrupted = { at: new Date().toISOString(), signal, running };
  writeFileSync(path.join(stateDir, RUN_RECORD), `${JSON.stringify(record, null, 2)}\n`);
}

export function readRunRecord(stateDir: string): RunRecord | undefined {
  const file = path.join(stateDir, RUN_RECORD);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as RunRecord;
  } catch {
    return undefined;
  }
}

/** A build still marked running whose `up` was interrupted or is gone (killed): nothing drives it until `up` runs again. */
export function interruption(stateDir: string): RunRecord | undefined {
  const record = readRunRecord(stateDir);
  if (!record) return undefined;
  if (record.interrupted || !processAlive(record.pid)) return record;
  return undefined;
}

/** The deployments of a build's tree that were running at its last recorded status. */
export async function runningDeployments(instances: BuildInstances, instanceId: string): Promise<string[]> {
  const view = await instances.get(instanceId);
  if (!view || !isActive(view)) return [];
  const status = await mergedStatus(view, instances);
  return status?.deployments.filter((d) => d.state === "running").map((d) => d.name) ?? [];
}

/**
 * Starts an orchestration on the driver and waits for it: its output when it completed, an error naming how it
 * ended otherwise (a failed orchestration's output is its error message).
 */
export async function runOrchestration(
  driver: DurableDriver,
  name: string,
  instanceId: string,
  input: unknown,
  pollMs = 200,
): Promise<unknown> {
  await driver.startNew(name, { instanceId, input });
  for (;;) {
    const status = await driver.getStatus(instanceId);
    if (status?.runtimeStatus === "Completed") return status.output;
    if (status && ["Failed", "Terminated"].includes(status.runtimeStatus))
      throw new Error(
        `${name} ${instanceId} ${status.runtimeStatus.toLowerCase()}: ${typeof status.output === "string" ? status.output : JSON.stringify(status.output)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
