import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArmConnection, DataProtectionClient, ResourceGroupsAdapter } from "../../lib/azure";
import { handleRestore, restoreInstanceId, vaultOf, type RestoreInstances } from "../../lib/backup";
import type { ApiRequest } from "../../lib/api/http";
import { Orchestrations } from "../../lib/function-names";
import { defaultSpec, type PlatformSpec } from "../../lib/spec";
import { startAzurite, type AzuriteHandle } from "../../local/azurite";
import { driverBuildInstances, runBuild, type LocalRuntime } from "../../local/build/runner";
import { DurableDriver } from "../../local/durable/driver";
import { startSandboxArm, type SandboxArm } from "../../local/sandbox";
// Only what the build and the restore run (not the whole app, so unrelated functions cannot get in the way).
import "../../orchestrations/provisionPlatform";
import "../../orchestrations/deployUnits";
import "../../orchestrations/restoreCluster";
import "../../orchestrations/activities/computePlan";
import "../../orchestrations/activities/lookupIstioRevision";
import "../../orchestrations/activities/startDeployment";
import "../../orchestrations/activities/getDeploymentStatus";
import "../../orchestrations/activities/whatIfDeployment";
import "../../orchestrations/activities/cancelDeployment";
import "../../orchestrations/activities/notifyBuildResult";
import "../../orchestrations/activities/validateRestoreTarget";
import "../../orchestrations/activities/forgetClusterDeployments";
import "../../orchestrations/activities/validateRestore";
import "../../orchestrations/activities/triggerRestore";
import "../../orchestrations/activities/getRestoreJob";
import "../../orchestrations/activities/checkWorkloads";
import "../../orchestrations/activities/notifyRestoreResult";
import type { RestoreOutcome } from "../../orchestrations/activities/notifyRestoreResult";
import { restoreStandIn, startProxy, type RestoreStandIn } from "./helpers";

// OPS-7 end to end on the sandbox: the platform is built by the real provisioning orchestration through the local
// durable driver, app2's resource group is deleted, and the restore orchestration rebuilds the cluster and
// restores it from the newest recovery point. Restore calls go through a stand-in (see restoreStandIn) because the
// sandbox does not model them yet; everything else is the sandbox.

const TIME_SCALE = 600;
let sandbox: SandboxArm;
let proxy: { url: string; close(): Promise<void> };
let standIn: RestoreStandIn;
let runtime: LocalRuntime;
let azurite: AzuriteHandle;
let hook: Server;
let dir: string;
let spec: PlatformSpec;
const posts: unknown[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "restore-e2e-"));
  sandbox = await startSandboxArm({ stateDir: dir, timeScale: TIME_SCALE, startTime: "2026-11-20T03:00:00Z" });
  standIn = restoreStandIn(sandbox);
  proxy = await startProxy(sandbox, dir, [], standIn.handler);
  hook = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      posts.push(JSON.parse(body));
      res.writeHead(200);
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", () => resolve()));
  const port = (hook.address() as AddressInfo).port;
  // The app reads its ARM settings once per process: everything goes through the proxy from the start.
  Object.assign(process.env, {
    AKS_PLATFORM_ARM_ENDPOINT: proxy.url,
    AKS_PLATFORM_ARM_TOKEN: sandbox.token,
    AKS_PLATFORM_ARM_CA_FILE: sandbox.caPath,
    AKS_PLATFORM_SLACK_WEBHOOK_URL: `http://127.0.0.1:${port}/hook`,
    AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS: `127.0.0.1:${port}`,
  });
  spec = { ...defaultSpec, subscriptionId: sandbox.subscriptionId };
  azurite = await startAzurite();
  process.env.AzureWebJobsStorage = azurite.connectionString;
  const driver = new DurableDriver({
    connectionString: azurite.connectionString,
    clock: { kind: "scaled", factor: TIME_SCALE },
  });
  await driver.start();
  runtime = { driver, instances: driverBuildInstances(driver), stop: () => driver.stop() };
  const build = await runBuild(runtime, spec, "deploy");
  if (build.runtimeStatus !== "Completed")
    throw new Error(`the platform build did not complete: ${build.failure ?? build.runtimeStatus}`);
}, 300_000);

afterAll(async () => {
  await runtime?.stop();
  await azurite?.stop();
  await new Promise<void>((resolve) => (hook ? hook.close(() => resolve()) : resolve()));
  await proxy?.close();
  await sandbox?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function restore(
  cluster: string,
  recoveryPointId?: string,
): Promise<{ runtimeStatus: string; result: RestoreOutcome }> {
  const instanceId = `${restoreInstanceId(spec.name, cluster)}:${posts.length}`;
  await runtime.driver.startNew(Orchestrations.restoreCluster, {
    instanceId,
    input: { spec, cluster, ...(recoveryPointId ? { recoveryPointId } : {}) },
  });
  const status = await runtime.driver.waitForCompletion(instanceId, { timeoutMs: 240_000 });
  return { runtimeStatus: status.runtimeStatus, result: status.output as RestoreOutcome };
}

const lastPost = () => JSON.stringify(posts.at(-1));

describe("restore a cluster (OPS-7) on the sandbox", () => {
  it("refuses with a clear message when there is no recovery point yet", async () => {
    const { runtimeStatus, result } = await restore("app1");
    expect(runtimeStatus).toBe("Completed");
    expect(result).toMatchObject({ outcome: "refused", rebuilt: false });
    expect(result.reason).toBe(
      "backup instance bi-aks-k8s-demo-app1 has no recovery point to restore from; nothing was changed (run an ad-hoc backup once the cluster is healthy)",
    );
    expect(standIn.requests).toHaveLength(0);
    expect(lastPost()).toMatch(/Restore of cluster app1 refused/);
  });

  it("reports a failing restore job with the job's error", async () => {
    sandbox.clock.advance(86_400);
    standIn.failNext({
      code: "UserErrorRestoreNamespaceConflict",
      message: "namespace app-shop exists and conflictPolicy is Skip",
    });
    const { result } = await restore("app1");
    expect(result).toMatchObject({ outcome: "failed", rebuilt: false, jobId: "restore-1" });
    expect(result.reason).toBe(
      "restore job restore-1 Failed: UserErrorRestoreNamespaceConflict: namespace app-shop exists and conflictPolicy is Skip",
    );
    expect(lastPost()).toMatch(/Restore of cluster app1 failed/);
    expect(lastPost()).toMatch(/UserErrorRestoreNamespaceConflict/);
  });

  it("rebuilds app2 after its resource group was deleted and restores the newest recovery point", async () => {
    const connection = createArmConnection({ armEndpoint: sandbox.url, token: sandbox.token, ca: sandbox.caPem });
    const groups = new ResourceGroupsAdapter(connection, sandbox.subscriptionId);
    expect((await groups.delete("rg-k8s-demo-app2", { updateIntervalInMs: 50 })).ok).toBe(true);
    expect((await groups.get("rg-k8s-demo-app2")).ok && (await groups.get("rg-k8s-demo-app2"))).toMatchObject({
      value: undefined,
    });
    expect(() => sandbox.state.cluster("aks-k8s-demo-app2")).toThrow(/no simulated cluster/);

    const { runtimeStatus, result } = await restore("app2");
    expect(runtimeStatus).toBe("Completed");
    // The reason is in the comparison so that a failure shows it.
    expect({ outcome: result.outcome, reason: result.reason }).toEqual({ outcome: "restored", reason: undefined });
    expect(result).toMatchObject({ outcome: "restored", rebuilt: true, cluster: "app2", targetMinutes: 30 });
    expect(result.workloads).toMatch(/^\d+ pods running$/);
    expect(sandbox.state.cluster("aks-k8s-demo-app2").name).toBe("aks-k8s-demo-app2");
    // The newest recovery point of app2, into app2's own (rebuilt) cluster.
    const request = standIn.requests.at(-1)!;
    expect(request.backupInstance).toBe("bi-aks-k8s-demo-app2");
    expect(request.body.recoveryPointId).toBe(result.recoveryPoint!.name);
    expect(request.body.restoreTargetInfo?.datasourceInfo?.resourceID).toMatch(
      /resourceGroups\/rg-k8s-demo-app2\/providers\/Microsoft.ContainerService\/managedClusters\/aks-k8s-demo-app2$/i,
    );
    expect(lastPost()).toMatch(/Cluster app2 restored from backup/);
    expect(lastPost()).toMatch(/target 30 min/);
  });
});

describe("POST /api/environments/{env}/clusters/{cluster}/restore", () => {
  const instances = (): RestoreInstances => ({
    status: async (id) => (await runtime.driver.getStatus(id))?.runtimeStatus,
    start: async (id, input) => {
      await runtime.driver.startNew(Orchestrations.restoreCluster, { instanceId: id, input });
    },
    managementUrls: (id) => ({
      statusQueryGetUri: `http://localhost:7071/runtime/webhooks/durabletask/instances/${encodeURIComponent(id)}`,
    }),
  });
  const request = (env: string, cluster: string, body = "", method = "POST"): ApiRequest => ({
    method,
    url: `http://localhost:7071/api/environments/${env}/clusters/${cluster}/restore`,
    params: { env, cluster },
    query: new URLSearchParams(),
    headers: { get: () => null },
    text: () => Promise.resolve(body),
  });
  const specs = (env: string) => (env === spec.name ? spec : undefined);

  it("answers 400 and 404 with messages that say what is wrong", async () => {
    expect(await handleRestore(request("prod", "app2"), specs, instances())).toEqual({
      status: 404,
      jsonBody: { error: "unknown environment prod" },
    });
    expect(await handleRestore(request("k8s-demo", "app9"), specs, instances())).toEqual({
      status: 404,
      jsonBody: { error: "environment k8s-demo has no cluster app9 (clusters: mgmt, app1, app2)" },
    });
    expect((await handleRestore(request("k8s-demo", "app2", "{oops"), specs, instances())).jsonBody).toMatchObject({
      error: expect.stringMatching(/^body is not valid JSON/),
    });
    expect(
      await handleRestore(request("k8s-demo", "app2", '{"recoveryPointId": 7}'), specs, instances()),
    ).toMatchObject({
      status: 400,
      jsonBody: {
        error: expect.stringMatching(
          /^body field recoveryPointId Invalid input: expected string, received number; expected \{ "recoveryPointId"\?: string \}$/,
        ),
      },
    });
    expect((await handleRestore(request("k8s-demo", "app2", "", "GET"), specs, instances())).status).toBe(405);
  });

  it("answers 202 with the status URL and runs the restore from the chosen recovery point", async () => {
    // A second day of backups: restore the older recovery point on purpose.
    sandbox.clock.advance(86_400);
    const connection = createArmConnection({ armEndpoint: sandbox.url, token: sandbox.token, ca: sandbox.caPem });
    const listed = await new DataProtectionClient(connection, sandbox.subscriptionId).listRecoveryPoints(
      vaultOf(spec),
      "bi-aks-k8s-demo-app2",
    );
    const all = listed.ok ? listed.value : [];
    expect(all.length).toBeGreaterThanOrEqual(2);
    const older = [...all].sort((a, b) => a.time!.localeCompare(b.time!))[0]!.name;
    const answer = await handleRestore(
      request("k8s-demo", "app2", JSON.stringify({ recoveryPointId: older })),
      specs,
      instances(),
    );
    expect(answer).toMatchObject({
      status: 202,
      jsonBody: {
        instanceId: "restore:k8s-demo:app2",
        cluster: "app2",
        statusUrl: expect.stringContaining("restore%3Ak8s-demo%3Aapp2"),
      },
    });
    const again = await handleRestore(request("k8s-demo", "app2"), specs, instances());
    expect(again).toMatchObject({ status: 409, jsonBody: { error: "a restore of cluster app2 is already running" } });
    const status = await runtime.driver.waitForCompletion("restore:k8s-demo:app2", { timeoutMs: 240_000 });
    expect(status.output).toMatchObject({ outcome: "restored", rebuilt: false, recoveryPoint: { name: older } });
    expect(standIn.requests.at(-1)!.body.recoveryPointId).toBe(older);
  });
});
