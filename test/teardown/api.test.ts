import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultSpec } from "../../lib/spec";
import { startLocalHost, type LocalHost } from "../../local/host";
import { startSandboxArm, type SandboxArm } from "../../local/sandbox";
import { E2E_SPEED } from "../e2e/harness";

/**
 * RG-1 through the HTTP API on the local host (function keys, the durable client binding, the real orchestration
 * and activities) against the sandbox ARM: the refusals, then a teardown of app2 after one build.
 */

const KEY = "teardown-function-key";
const ENV = defaultSpec.name;
const app2 = defaultSpec.clusters.find((c) => c.name === "app2")!;

interface Problem {
  error: string;
  clusters?: string[];
  instanceId?: string;
}

describe("DELETE /api/environments/{env}/clusters/{cluster} (local host + sandbox ARM)", () => {
  let sandbox: SandboxArm;
  let host: LocalHost;
  let dir: string;
  const armSettings = ["AKS_PLATFORM_ARM_ENDPOINT", "AKS_PLATFORM_ARM_TOKEN", "AKS_PLATFORM_ARM_CA_FILE"] as const;
  const saved = armSettings.map((name) => [name, process.env[name]] as const);

  const api = (route: string, init: RequestInit = {}, key: string | null = KEY) =>
    fetch(`${host.url}/api/${route}`, {
      ...init,
      headers: { ...(key ? { "x-functions-key": key } : {}), ...init.headers },
    });
  const clusterUrl = (cluster: string) => `environments/${ENV}/clusters/${cluster}`;

  async function waitFor(route: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 600; i++) {
      const body = (await (await api(route)).json()) as Record<string, unknown>;
      if (!["Pending", "Running"].includes(String(body.runtimeStatus))) return body;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`${route} did not finish`);
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "teardown-api-"));
    sandbox = await startSandboxArm({ timeScale: E2E_SPEED, subscriptionId: defaultSpec.subscriptionId });
    process.env.AKS_PLATFORM_ARM_ENDPOINT = sandbox.url;
    process.env.AKS_PLATFORM_ARM_TOKEN = sandbox.token;
    process.env.AKS_PLATFORM_ARM_CA_FILE = sandbox.caPath;
    const settingsFile = path.join(dir, "local.settings.json");
    writeFileSync(settingsFile, JSON.stringify({ IsEncrypted: false, Values: {}, FunctionKeys: { default: KEY } }));
    host = await startLocalHost({ port: 0, settingsFile, timeScale: E2E_SPEED, taskHub: "teardownapi", timers: false });
  });

  afterAll(async () => {
    await host?.stop();
    await sandbox?.close();
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses without a key, a wrong method, an unknown cluster or environment, and a missing teardown", async () => {
    expect((await api(clusterUrl("app2"), { method: "DELETE" }, null)).status).toBe(401);

    const wrongMethod = await api(clusterUrl("app2"), { method: "POST" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("DELETE, GET");

    const unknown = await api(clusterUrl("app9"), { method: "DELETE" });
    expect(unknown.status).toBe(404);
    const unknownBody = (await unknown.json()) as Problem;
    expect(unknownBody.error).toContain("app9");
    expect(unknownBody.clusters).toEqual(["mgmt", "app1", "app2"]);

    const otherEnv = await api("environments/nowhere/clusters/app2", { method: "DELETE" });
    expect(otherEnv.status).toBe(404);
    expect(((await otherEnv.json()) as Problem).error).toContain("nowhere");

    expect((await api(clusterUrl("app2"))).status).toBe(404);
    expect(sandbox.counters.snapshot().writes).toBe(0);
  });

  it("refuses while a build runs, then tears app2 down: 202, 409 for a second request, status until done", async () => {
    expect((await api(`environments/${ENV}/provision`, { method: "POST" })).status).toBe(202);
    const duringBuild = await api(clusterUrl("app2"), { method: "DELETE" });
    expect(duringBuild.status).toBe(409);
    const buildConflict = (await duringBuild.json()) as Problem;
    expect(buildConflict.error).toContain("build");
    expect(buildConflict.instanceId).toBe(ENV);

    const build = await waitFor(`environments/${ENV}/provision`);
    expect(build.runtimeStatus, JSON.stringify(build.failure)).toBe("Completed");
    const groupId = `/subscriptions/${defaultSpec.subscriptionId}/resourceGroups/${app2.resourceGroup}/`.toLowerCase();
    const inGroup = () =>
      (sandbox.state.resources() as { id: string }[]).filter((r) => r.id.toLowerCase().startsWith(groupId));
    expect(inGroup().length).toBeGreaterThan(0);

    const started = await api(clusterUrl("app2"), { method: "DELETE" });
    expect(started.status).toBe(202);
    const body = (await started.json()) as { instanceId: string; statusUrl: string; cluster: string };
    expect(body.cluster).toBe("app2");
    expect(started.headers.get("location")).toBe(body.statusUrl);

    const again = await api(clusterUrl("app2"), { method: "DELETE" });
    expect(again.status).toBe(409);
    expect(((await again.json()) as Problem).error).toContain("teardown");

    const final = await waitFor(clusterUrl("app2"));
    expect(final.runtimeStatus, JSON.stringify(final.failure)).toBe("Completed");
    const result = final.result as { succeeded: boolean; forgottenDeployments: string[] };
    expect(result.succeeded).toBe(true);
    expect(result.forgottenDeployments).toContain(`${ENV}-aks-app2`);
    expect(inGroup()).toEqual([]);
  });
});
