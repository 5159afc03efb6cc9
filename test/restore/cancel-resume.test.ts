import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DeploymentsAdapter, ResourceGroupsAdapter, storageFromConnectionString } from "../../lib/azure";
import type { ApiRequest, ApiResponse } from "../../lib/api/http";
import { CANCEL_EVENT, restoreInstanceId } from "../../lib/api/instance-ids";
import { handleRestore, handleRestoreCancel } from "../../lib/api/restore";
import type { RestoreStatus } from "../../lib/backup";
import { EnvironmentRegistry } from "../../lib/environments";
import { unitName } from "../../lib/plan/units";
import type { DeployUnitsResult } from "../../orchestrations/build/deployUnits";
import type { RestoreOutcome } from "../../orchestrations/restore/contracts";
import { buildPlatform, type Platform } from "../helpers/platform";
import { startSink, type Sink } from "../helpers/sink";
import { restoreInstances } from "./instances";

// OPS-7 beside the happy path, on the whole app (test/helpers/platform) over the sandbox: cancels that arrive as the
// restore starts rebuilding a lost cluster, a restore after a cancelled one that had re-created the cluster but not
// its add-ons, a second restore posted while one runs, and a failed rebuild shown by ARM's innermost error, then
// retried. Everything goes through the restore API as a person's requests do.

let platform: Platform;
let sink: Sink;
let registry: EnvironmentRegistry;

beforeAll(async () => {
  sink = await startSink();
  platform = await buildPlatform({ name: "restore-cancel", notify: sink });
  // The registry as a build accepted by the API leaves it: the environment with the spec it was built from.
  registry = await EnvironmentRegistry.open(
    { storage: storageFromConnectionString(platform.storage), tableName: "restorecancelenvs" },
    {},
  );
  await registry.recordBuildAccepted(platform.spec, new Date());
}, 300_000);

// A test's faults never outlive it, even when it fails.
afterEach(() => platform?.sandbox.faults.clear());

afterAll(async () => {
  await platform?.stop();
});

const ENV = "k8s-demo";
const instanceId = restoreInstanceId(ENV, "app2");

const instances = () => restoreInstances(platform);

const request = (cluster: string, route: "restore" | "restore/cancel"): ApiRequest => ({
  method: "POST",
  url: `http://localhost:7071/api/environments/${ENV}/clusters/${cluster}/${route}`,
  params: { env: ENV, cluster },
  query: new URLSearchParams(),
  headers: { get: () => null },
  text: () => Promise.resolve(""),
});

const postRestore = (cluster = "app2"): Promise<ApiResponse> =>
  handleRestore(request(cluster, "restore"), registry, instances());
const postCancel = (cluster = "app2"): Promise<ApiResponse> =>
  handleRestoreCancel(request(cluster, "restore/cancel"), instances());

async function restoreStatus(): Promise<Partial<RestoreStatus>> {
  return (await platform.instances.get(instanceId))?.customStatus ?? {};
}

/** Looks every 10 ms until `check` answers something, failing with `what` after `timeoutMs`. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; ;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function outcome(id = instanceId): Promise<RestoreOutcome> {
  const status = await platform.driver.waitForCompletion(id, { timeoutMs: 240_000 });
  expect(status.runtimeStatus, JSON.stringify(status.output)).toBe("Completed");
  return status.output as RestoreOutcome;
}

/** app2's resource group (its cluster with it) is deleted: the cluster failure OPS-7 restores from. */
async function loseApp2(): Promise<void> {
  const groups = new ResourceGroupsAdapter(platform.connection, platform.spec.subscriptionId);
  const deleted = await groups.delete("rg-k8s-demo-app2", { updateIntervalInMs: 50 });
  // Already gone (a cancelled rebuild had not re-created it) is as good.
  expect(deleted.ok ? "deleted" : deleted.error.kind).toMatch(/^(deleted|notFound)$/);
  expect(() => platform.sandbox.state.cluster("aks-k8s-demo-app2")).toThrow(/no simulated cluster/);
}

/** app2 lost, and its cluster deploys slowly: a rebuild is still at work when a cancel or a terminate reaches it. */
async function loseApp2WithSlowRebuild(): Promise<void> {
  await loseApp2();
  platform.sandbox.faults.add({
    match: { resourceType: "Microsoft.ContainerService/managedClusters", path: "aks-k8s-demo-app2" },
    effect: { kind: "slow", factor: 3 },
  });
}

/** The restore's rebuild, once it runs. */
function runningRebuild(): Promise<string> {
  return until("the rebuild runs", async () => {
    const id = (await restoreStatus()).rebuildInstanceId;
    return id !== undefined && (await platform.instances.get(id))?.runtimeStatus === "Running" ? id : undefined;
  });
}

/** The restore ended canceled while rebuilding, its rebuild having heard the cancel: nothing started after it. */
async function expectRebuildStopped(rebuildId: string): Promise<void> {
  const result = await outcome();
  expect(result).toMatchObject({ outcome: "canceled", rebuilt: true, canceled: { stage: "rebuilding" } });
  const rebuild = (await platform.instances.get(rebuildId))?.output as DeployUnitsResult;
  expect(rebuild.canceled).toBeDefined();
  expect(rebuild.deployments.some((d) => d.state === "skipped" && d.error?.code === "BuildCanceled")).toBe(true);
  expect(result.reason).toMatch(
    /^cancelled at the rebuilding step \(the cluster is only partly rebuilt, not deployed: /,
  );
}

const app2 = () => platform.spec.clusters.find((c) => c.name === "app2")!;
const app2Unit = (kind: string) => unitName(platform.spec, kind, app2());
const deployments = () => new DeploymentsAdapter(platform.connection, platform.spec.subscriptionId);
const aksDeployment = () => ({
  scope: "resourceGroup" as const,
  resourceGroup: app2().resourceGroup,
  name: app2Unit("aks"),
});

describe("restore cancel races (a cancel as the restore starts rebuilding)", () => {
  it("a cancel posted as the restore starts rebuilding a lost cluster stops it before any of the cluster is deployed", async () => {
    await loseApp2();
    expect((await postRestore()).status).toBe(202);
    await until("the restore is rebuilding", async () =>
      (await restoreStatus()).stage === "rebuilding" ? true : undefined,
    );
    expect(await postCancel()).toMatchObject({ status: 202, jsonBody: { cancelling: [instanceId] } });
    const result = await outcome();
    expect(result).toMatchObject({ outcome: "canceled", rebuilt: true, canceled: { stage: "rebuilding", left: [] } });
    // Before: the cancel reached only the restore, which heard it after its rebuild had deployed the whole cluster.
    expect(() => platform.sandbox.state.cluster("aks-k8s-demo-app2")).toThrow(/no simulated cluster/);
    expect(await deployments().status(aksDeployment())).toMatchObject({ ok: false, error: { kind: "notFound" } });
  });

  it("a cancel posted just as the rebuild sub-orchestration starts reaches it too: the rebuild stops, nothing more starts", async () => {
    await loseApp2WithSlowRebuild();
    expect((await postRestore()).status).toBe(202);
    // The restore lists its rebuild in its status in the step that starts it; the instance may not exist yet.
    const rebuildId = await until(
      "the restore lists its rebuild",
      async () => (await restoreStatus()).rebuildInstanceId,
    );
    const cancel = await postCancel();
    expect(cancel).toMatchObject({ status: 202 });
    expect((cancel.jsonBody as { cancelling: string[] }).cancelling.sort()).toEqual([instanceId, rebuildId].sort());
    // The rebuild heard the cancel itself: it started nothing after it and says so.
    await expectRebuildStopped(rebuildId);
  });

  it("a cancel the API's reach missed the rebuild with (it started after the reach ended) is raised on the rebuild by the restore itself", async () => {
    await loseApp2WithSlowRebuild();
    expect((await postRestore()).status).toBe(202);
    const rebuildId = await runningRebuild();
    // What the API's reach leaves when the rebuild appeared after its 10 s loop ended: the cancel on the restore only.
    await platform.driver.raiseEvent(instanceId, CANCEL_EVENT, { request: "POST /api/…/restore/cancel" });
    // Before: the restore marked the cancel and waited for the whole rebuild, which never heard it.
    await expectRebuildStopped(rebuildId);
  });
});

describe("a restore after a cancelled one that had re-created the cluster", () => {
  it("finishes the rebuild the cancelled restore left (add-ons, backup extension, trusted access), reusing what was done, and restores the workloads", async () => {
    await loseApp2();
    // The backup extension installs slowly, so the cancel lands after the AKS cluster exists, before its add-ons do.
    const slow = platform.sandbox.faults.add({
      match: {
        resourceType: "Microsoft.KubernetesConfiguration/extensions",
        path: "aks-k8s-demo-app2/providers/Microsoft.KubernetesConfiguration/extensions/azure-aks-backup",
      },
      effect: { kind: "slow", factor: 10 },
    });
    expect((await postRestore()).status).toBe(202);
    // Watched in ARM: the cluster's deployment succeeded, its add-ons' runs.
    const stateOf = async (kind: string) => {
      const status = await deployments().status({ ...aksDeployment(), name: app2Unit(kind) });
      return status.ok ? status.value.state : undefined;
    };
    await until("the cluster is deployed and its add-ons run", async () =>
      (await stateOf("aks")) === "succeeded" && (await stateOf("addons")) === "running" ? true : undefined,
    );
    expect((await postCancel()).status).toBe(202);
    const cancelled = await outcome();
    expect(cancelled).toMatchObject({ outcome: "canceled", canceled: { stage: "rebuilding" } });
    expect(cancelled.reason).toContain(app2Unit("addons-common"));
    platform.sandbox.faults.remove(slow.id);
    // What the cancelled restore left: the cluster, without its add-ons.
    expect(platform.sandbox.state.cluster("aks-k8s-demo-app2").name).toBe("aks-k8s-demo-app2");
    const aksBefore = await deployments().status(aksDeployment());
    expect(aksBefore).toMatchObject({ ok: true, value: { state: "succeeded" } });

    expect((await postRestore()).status).toBe(202);
    // A second POST while it runs is a 409 naming the running restore and where to follow it.
    expect(await postRestore()).toEqual({
      status: 409,
      jsonBody: {
        error: "a restore of cluster app2 is already running",
        instanceId,
        statusUrl: `http://localhost:7071/runtime/webhooks/durabletask/instances/${encodeURIComponent(instanceId)}`,
      },
    });
    const result = await outcome();
    // Before: the cluster existed, so the restore skipped the rebuild and its restore job failed on the missing
    // backup extension (the vault restores only into a cluster with the extension and trusted access).
    expect({ outcome: result.outcome, reason: result.reason }).toEqual({ outcome: "restored", reason: undefined });
    expect(result.rebuilt).toBe(true);
    expect(result.resumed).toEqual(expect.arrayContaining([app2Unit("addons"), app2Unit("addons-common")]));
    expect(result.resumed).not.toContain(app2Unit("aks"));
    expect(result.workloads).toMatch(/^\d+ pods running$/);
    const message = sink.requestsTo("/slack").at(-1)!.body;
    expect(message).toContain(`Cluster app2 restored from backup`);
    expect(message).toContain(app2Unit("addons-common"));
    // Idempotent: the cluster's deployment was reused as it was, not run again.
    const aksAfter = await deployments().status(aksDeployment());
    expect(aksAfter.ok && aksAfter.value.correlationId).toBe(aksBefore.ok && aksBefore.value.correlationId);

    // Now whole: the next restore restores without rebuilding anything.
    expect((await postRestore()).status).toBe(202);
    const again = await outcome();
    expect(again).toMatchObject({ outcome: "restored", rebuilt: false });
    expect(again.resumed).toBeUndefined();
  });
});

describe("a failed restore", () => {
  it("a restore job that fails shows its error and the restore can be posted again, which restores", async () => {
    platform.sandbox.state.injectBackupFailures({
      operation: "Restore",
      backupInstance: "bi-aks-k8s-demo-app1",
      code: "UserErrorRestoreNamespaceConflict",
      message: "namespace app-shop exists and conflictPolicy is Skip",
    });
    const app1 = restoreInstanceId(ENV, "app1");
    expect((await postRestore("app1")).status).toBe(202);
    const failed = await outcome(app1);
    expect(failed).toMatchObject({ outcome: "failed", rebuilt: false });
    expect(failed.reason).toBe(
      `restore job ${failed.jobId!} Failed: UserErrorRestoreNamespaceConflict: namespace app-shop exists and conflictPolicy is Skip`,
    );
    // Ended: a new POST is accepted (not a 409) and restores.
    expect((await postRestore("app1")).status).toBe(202);
    const retried = await outcome(app1);
    expect({ outcome: retried.outcome, reason: retried.reason }).toEqual({ outcome: "restored", reason: undefined });
    expect(retried.jobId).not.toBe(failed.jobId);
  });

  it("a rebuild terminated by someone ends the restore as failed (stage, cluster, cause), says so once, and a retry restores", async () => {
    await loseApp2WithSlowRebuild();
    const slackBefore = sink.requestsTo("/slack").length;
    expect((await postRestore()).status).toBe(202);
    const rebuildId = await runningRebuild();
    await platform.driver.terminate(rebuildId, "stopped by an operator");
    // Before: the restore itself failed with the sub-orchestration's exception, no outcome and no message.
    const failed = await outcome();
    expect(failed).toMatchObject({ outcome: "failed", cluster: "app2", rebuilt: true });
    expect(failed.reason).toBe(
      `rebuilding the cluster failed: the rebuild ${rebuildId} ended without a result: stopped by an operator`,
    );
    expect(await restoreStatus()).toMatchObject({ stage: "failed", rebuildInstanceId: rebuildId });
    await until("the failure is sent", () =>
      Promise.resolve(sink.requestsTo("/slack").length > slackBefore ? true : undefined),
    );
    const sent = sink.requestsTo("/slack").slice(slackBefore);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body).toContain("Restore of cluster app2 failed");
    expect(sent[0]!.body).toContain("stopped by an operator");

    platform.sandbox.faults.clear();
    expect((await postRestore()).status).toBe(202);
    const retried = await outcome();
    expect({ outcome: retried.outcome, reason: retried.reason }).toEqual({ outcome: "restored", reason: undefined });
    expect(retried).toMatchObject({ rebuilt: true });
  });

  it("names ARM's innermost error of the rebuild that failed, and a retry restores", async () => {
    await loseApp2();
    platform.sandbox.faults.add({
      match: { resourceType: "Microsoft.ContainerService/managedClusters", path: "aks-k8s-demo-app2" },
      effect: { kind: "failResource", code: "SkuNotAvailable", message: "Standard_D4s_v5 is not available in zone 2" },
      times: 1,
    });
    expect((await postRestore()).status).toBe(202);
    const failed = await outcome();
    expect(failed.outcome).toBe("failed");
    // Before: "DeploymentFailed: At least one resource deployment operation failed…", the wrapper saying nothing.
    expect(failed.reason).toMatch(
      new RegExp(
        `^rebuilding the cluster failed: ${app2Unit("aks")}: SkuNotAvailable: Standard_D4s_v5 is not available in zone 2`,
      ),
    );
    expect(failed.reason).not.toContain("DeploymentFailed");

    expect((await postRestore()).status).toBe(202);
    const retried = await outcome();
    expect({ outcome: retried.outcome, reason: retried.reason }).toEqual({ outcome: "restored", reason: undefined });
    expect(retried).toMatchObject({ rebuilt: true });
  });
});
