import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Agent, fetch as undiciFetch, type Headers } from "undici";
import {
  createArmConnection,
  type ArmConnection,
  type DeploymentRef,
  type DeploymentStatus,
  type DeploymentsAdapter,
} from "../../lib/azure";
import { startSandboxArm, type SandboxArm, type SandboxOptions } from "../../local/sandbox";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON response bodies
type JsonBody = any;

export interface SandboxFixture {
  sandbox: SandboxArm;
  connection: ArmConnection;
  dir: string;
  stop(): Promise<void>;
}

/** A sandbox on a free port with its own CA dir, fast simulated time, and a connection that trusts it. */
export async function startFixture(options: SandboxOptions = {}): Promise<SandboxFixture> {
  const dir = mkdtempSync(path.join(tmpdir(), "sandbox-arm-"));
  const sandbox = await startSandboxArm({ stateDir: dir, timeScale: 1000, ...options });
  const connection = createArmConnection({
    armEndpoint: sandbox.url,
    token: sandbox.token,
    ca: sandbox.caPem,
    retryOptions: { retryDelayInMs: 50, maxRetryDelayInMs: 200 },
  });
  return {
    sandbox,
    connection,
    dir,
    async stop() {
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const tinyTemplate = (outputs = true) => ({
  $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  contentVersion: "1.0.0.0",
  parameters: { name: { type: "string" }, location: { type: "string", defaultValue: "[resourceGroup().location]" } },
  resources: [
    {
      type: "Microsoft.ManagedIdentity/userAssignedIdentities",
      apiVersion: "2023-01-31",
      name: "[parameters('name')]",
      location: "[parameters('location')]",
    },
  ],
  outputs: outputs
    ? {
        principalId: {
          type: "string",
          value:
            "[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', parameters('name')), '2023-01-31').principalId]",
        },
      }
    : {},
});

export function readTemplate(file: string): unknown {
  return JSON.parse(readFileSync(path.resolve(__dirname, "../../templates/arm", file), "utf8"));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls a deployment until it leaves `running` (the activity/orchestrator pair does this with durable timers). */
export async function waitForDeployment(adapter: DeploymentsAdapter, ref: DeploymentRef): Promise<DeploymentStatus> {
  for (let i = 0; i < 400; i++) {
    const status = await adapter.status(ref);
    if (!status.ok) throw new Error(`status failed: ${status.error.code} ${status.error.message}`);
    if (status.value.state !== "running") return status.value;
    await sleep(50);
  }
  throw new Error(`deployment ${ref.name} did not finish`);
}

/** GET/POST against the sandbox with its CA and token (control API and raw ARM calls). */
export async function sandboxFetch(
  sandbox: SandboxArm,
  pathAndQuery: string,
  init: { method?: string; body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: JsonBody }> {
  const dispatcher = new Agent({ connect: { ca: sandbox.caPem } });
  try {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    const token = init.token === undefined ? sandbox.token : init.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (init.body !== undefined) headers["content-type"] = "application/json";
    const res = await undiciFetch(`${sandbox.url}${pathAndQuery}`, {
      method: init.method ?? "GET",
      headers,
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      dispatcher,
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: text ? JSON.parse(text) : undefined,
    };
  } finally {
    await dispatcher.close();
  }
}
