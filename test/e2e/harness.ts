import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildPlan, planDeployments, type PlanResource } from "../../lib/plan";
import { defaultSpec, type PlatformSpec } from "../../lib/spec";
import { startLocalHost, type LocalHost } from "../../local/host";
import { startSandboxArm, type SandboxArm, type SandboxOptions } from "../../local/sandbox";
import { E2E_SPEED } from "../helpers/platform";

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

/** The app on the local host with its ARM settings pointed at a sandbox: what the API tests talk to over HTTP. */
export interface ApiHarness {
  sandbox: SandboxArm;
  host: LocalHost;
  key: string;
  /** A request to `/api/<route>` with the function key (`key: null` sends none). */
  api(route: string, init?: RequestInit, key?: string | null): Promise<Response>;
  /** Polls `GET /api/<route>` until its `runtimeStatus` is no longer Pending or Running, and returns the body. */
  waitForRun(route: string): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

const ARM_SETTINGS = ["AKS_PLATFORM_ARM_ENDPOINT", "AKS_PLATFORM_ARM_TOKEN", "AKS_PLATFORM_ARM_CA_FILE"] as const;

export async function startApiHarness(options: {
  taskHub: string;
  sandbox?: Partial<SandboxOptions>;
  /** App settings of the host (local.settings.json Values). */
  values?: Record<string, string>;
}): Promise<ApiHarness> {
  const key = `${options.taskHub}-function-key`;
  const dir = mkdtempSync(path.join(tmpdir(), `${options.taskHub}-`));
  const saved = ARM_SETTINGS.map((name) => [name, process.env[name]] as const);
  const sandbox = await startSandboxArm({
    timeScale: E2E_SPEED,
    subscriptionId: defaultSpec.subscriptionId,
    ...options.sandbox,
  });
  process.env.AKS_PLATFORM_ARM_ENDPOINT = sandbox.url;
  process.env.AKS_PLATFORM_ARM_TOKEN = sandbox.token;
  process.env.AKS_PLATFORM_ARM_CA_FILE = sandbox.caPath;
  const settingsFile = path.join(dir, "local.settings.json");
  writeFileSync(
    settingsFile,
    JSON.stringify({ IsEncrypted: false, Values: options.values ?? {}, FunctionKeys: { default: key } }),
  );
  const host = await startLocalHost({
    port: 0,
    settingsFile,
    timeScale: E2E_SPEED,
    taskHub: options.taskHub,
    timers: false,
  });
  const api = (route: string, init: RequestInit = {}, useKey: string | null = key) =>
    fetch(`${host.url}/api/${route}`, {
      ...init,
      headers: { ...(useKey ? { "x-functions-key": useKey } : {}), ...init.headers },
    });
  return {
    sandbox,
    host,
    key,
    api,
    async waitForRun(route) {
      for (let i = 0; i < 600; i++) {
        const body = (await (await api(route)).json()) as Record<string, unknown>;
        if (!["Pending", "Running"].includes(String(body.runtimeStatus))) return body;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error(`${route} did not finish`);
    },
    async stop() {
      await host.stop();
      await sandbox.close();
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
