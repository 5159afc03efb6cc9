import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AksAdapter,
  DATA_PROTECTION_API_VERSION,
  DataProtectionClient,
  ResourceGroupsAdapter,
  storageFromConnectionString,
  type ArmConnection,
} from "../../lib/azure";
import { vaultOf } from "../../lib/backup";
import { handleRestore, handleRestoreCancel } from "../../lib/api/restore";
import { restoreInstanceId } from "../../lib/api/instance-ids";
import { EnvironmentRegistry } from "../../lib/environments";
import type { ApiRequest } from "../../lib/api/http";
import { Orchestrations } from "../../lib/function-names";
import type { PlatformSpec } from "../../lib/spec";
import type { SandboxArm } from "../../local/sandbox";
import type { RestoreOutcome } from "../../orchestrations/restore/contracts";
import { buildPlatform, type Platform } from "../helpers/platform";
import { startSink, type Sink } from "../helpers/sink";
import { sandboxFetch } from "../sandbox/helpers";
import { restoreInstances } from "../restore/instances";

// OPS-7 end to end on the sandbox: the platform is built by the real provisioning orchestration through the local
// durable driver, app2's resource group is deleted, and the restore orchestration rebuilds the cluster and
// restores it from the newest recovery point. The sandbox runs the restore job and brings the backed-up pods back,
// which the workload check then reads through run command.

const TIME_SCALE = 600;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
let platform: Platform;
let sandbox: SandboxArm;
let connection: ArmConnection;
let spec: PlatformSpec;
let sink: Sink;
/** The Slack messages the app sent. */
const posts = () => sink.requestsTo("/slack").map((r) => r.json());

beforeAll(async () => {
  sink = await startSink();
  platform = await buildPlatform({
    timeScale: TIME_SCALE,
    sandbox: { startTime: "2026-11-20T03:00:00Z" },
    notify: sink,
    // The first backup each instance takes when protection is configured fails, so the platform starts with no
    // recovery point (the refusal below); the daily schedule makes them.
    beforeBuild: (p) =>
      p.sandbox.state.injectBackupFailures({ operation: "Backup", count: 3, code: "UserErrorKubernetesBackupFailed" }),
  });
  ({ sandbox, connection, spec } = platform);
}, 300_000);

afterAll(async () => {
  await platform?.stop();
});

async function restore(
  cluster: string,
  recoveryPointId?: string,
): Promise<{ runtimeStatus: string; result: RestoreOutcome }> {
  const instanceId = `${restoreInstanceId(spec.name, cluster)}:${posts().length}`;
  await platform.driver.startNew(Orchestrations.restoreCluster, {
    instanceId,
    input: { spec, cluster, ...(recoveryPointId ? { recoveryPointId } : {}) },
  });
  const status = await platform.driver.waitForCompletion(instanceId, { timeoutMs: 240_000 });
  return { runtimeStatus: status.runtimeStatus, result: status.output as RestoreOutcome };
}

const lastPost = () => JSON.stringify(posts().at(-1));

interface RestoreJobView {
  properties: {
    operation: string;
    status: string;
    backupInstanceId: string;
    extendedInfo: { recoveryDestination: string; sourceRecoverPoint: { recoveryPointID: string } };
  };
}

/** The restore job as Data Protection shows it (with what was restored where). */
async function restoreJob(jobId: string): Promise<RestoreJobView> {
  const vault = vaultOf(spec);
  const res = await sandboxFetch(
    sandbox,
    `/subscriptions/${sandbox.subscriptionId}/resourceGroups/${vault.resourceGroup}/providers/Microsoft.DataProtection/backupVaults/${vault.vault}/backupJobs/${jobId}?api-version=${DATA_PROTECTION_API_VERSION}`,
  );
  expect(res.status).toBe(200);
  return res.body as RestoreJobView;
}

async function restoreJobCount(): Promise<number> {
  const jobs = await new DataProtectionClient(connection, sandbox.subscriptionId).listBackupJobs(vaultOf(spec));
  if (!jobs.ok) throw new Error(`${jobs.error.code}: ${jobs.error.message}`);
  return jobs.value.filter((j) => j.operation === "Restore").length;
}

const podsIn = (cluster: string, namespace: string) =>
  sandbox.state
    .cluster(cluster)
    .pods.filter((p) => p.namespace === namespace)
    .map((p) => `${p.name} ${p.phase}`)
    .sort();

describe("restore a cluster (OPS-7) on the sandbox", () => {
  it("refuses with a clear message when there is no recovery point yet", async () => {
    const { runtimeStatus, result } = await restore("app1");
    expect(runtimeStatus).toBe("Completed");
    expect(result).toMatchObject({ outcome: "refused", rebuilt: false });
    expect(result.reason).toBe(
      "backup instance bi-aks-k8s-demo-app1 has no recovery point to restore from; nothing was changed (run an ad-hoc backup once the cluster is healthy)",
    );
    expect(await restoreJobCount()).toBe(0);
    expect(lastPost()).toMatch(/Restore of cluster app1 refused/);
  });

  it("reports a failing restore job with the job's error", async () => {
    sandbox.clock.advance(86_400);
    sandbox.state.injectBackupFailures({
      operation: "Restore",
      backupInstance: "bi-aks-k8s-demo-app1",
      code: "UserErrorRestoreNamespaceConflict",
      message: "namespace app-shop exists and conflictPolicy is Skip",
    });
    const { result } = await restore("app1");
    expect(result).toMatchObject({ outcome: "failed", rebuilt: false, jobId: expect.stringMatching(GUID) });
    expect(result.reason).toBe(
      `restore job ${result.jobId!} Failed: UserErrorRestoreNamespaceConflict: namespace app-shop exists and conflictPolicy is Skip`,
    );
    expect((await restoreJob(result.jobId!)).properties).toMatchObject({ operation: "Restore", status: "Failed" });
    expect(lastPost()).toMatch(/Restore of cluster app1 failed/);
    expect(lastPost()).toMatch(/UserErrorRestoreNamespaceConflict/);
  });

  it("brings back the workloads a deleted namespace lost, and says so when they cannot run", async () => {
    const aks = new AksAdapter(connection, sandbox.subscriptionId);
    const before = podsIn("aks-k8s-demo-app1", "apps");
    expect(before.length).toBeGreaterThan(0);
    const deleted = await aks.runCommand("rg-k8s-demo-app1", "aks-k8s-demo-app1", "kubectl delete namespace apps", {
      updateIntervalInMs: 50,
    });
    expect(deleted.ok && deleted.value).toMatchObject({ exitCode: 0, logs: 'namespace "apps" deleted\n' });
    expect(podsIn("aks-k8s-demo-app1", "apps")).toEqual([]);

    const { result } = await restore("app1");
    expect({ outcome: result.outcome, reason: result.reason }).toEqual({ outcome: "restored", reason: undefined });
    const total = sandbox.state.cluster("aks-k8s-demo-app1").pods.length;
    expect(result.workloads).toBe(`${total} pods running`);
    expect(podsIn("aks-k8s-demo-app1", "apps")).toEqual(before);
    const job = await restoreJob(result.jobId!);
    expect(job.properties).toMatchObject({ operation: "Restore", status: "Completed" });
    expect(job.properties.extendedInfo.sourceRecoverPoint.recoveryPointID).toBe(result.recoveryPoint!.name);

    // Again, with no spot capacity anywhere: the restored pods stay Pending and the restore says so.
    expect((await aks.runCommand("rg-k8s-demo-app1", "aks-k8s-demo-app1", "kubectl delete namespace apps")).ok).toBe(
      true,
    );
    sandbox.state.setSpotCapacity("aks-k8s-demo-app1", { "1": false, "2": false, "3": false });
    try {
      const { result: stuck } = await restore("app1");
      expect(stuck.outcome).toBe("failed");
      expect(stuck.reason).toMatch(
        new RegExp(
          `^the restore finished but the workloads are not back: ${before.length} of ${total} pods not running: apps/`,
        ),
      );
    } finally {
      sandbox.state.setSpotCapacity("aks-k8s-demo-app1", { "1": true, "2": true, "3": true });
    }
  });

  it("rebuilds app2 after its resource group was deleted and restores the newest recovery point", async () => {
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
    const job = (await restoreJob(result.jobId!)).properties;
    expect(job.backupInstanceId).toMatch(/\/backupInstances\/bi-aks-k8s-demo-app2$/);
    expect(job.extendedInfo.sourceRecoverPoint.recoveryPointID).toBe(result.recoveryPoint!.name);
    expect(job.extendedInfo.recoveryDestination).toMatch(
      /resourceGroups\/rg-k8s-demo-app2\/providers\/Microsoft.ContainerService\/managedClusters\/aks-k8s-demo-app2$/i,
    );
    expect(lastPost()).toMatch(/Cluster app2 restored from backup/);
    expect(lastPost()).toMatch(/target 30 min/);
  });
});

describe("POST /api/environments/{env}/clusters/{cluster}/restore", () => {
  const instances = () => restoreInstances(platform);
  const request = (
    env: string,
    cluster: string,
    body = "",
    method = "POST",
    route = "restore",
    by: string | null = null,
  ): ApiRequest => ({
    method,
    url: `http://localhost:7071/api/environments/${env}/clusters/${cluster}/${route}`,
    params: { env, cluster },
    query: new URLSearchParams(),
    headers: { get: (name) => (name.toLowerCase() === "x-ms-client-principal-name" ? by : null) },
    text: () => Promise.resolve(body),
  });
  let specs: EnvironmentRegistry;
  beforeAll(async () => {
    // The registry as a build accepted by the API leaves it: the environment with the spec it was built from.
    specs = await EnvironmentRegistry.open(
      { storage: storageFromConnectionString(platform.storage), tableName: "restoreenvs" },
      {},
    );
    await specs.recordBuildAccepted(spec, new Date());
  });

  it("answers 400 and 404 with messages that say what is wrong", async () => {
    expect(await handleRestore(request("prod", "app2"), specs, instances())).toEqual({
      status: 404,
      jsonBody: { error: "unknown environment prod (known: k8s-demo)", environments: ["k8s-demo"] },
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
    const status = await platform.driver.waitForCompletion("restore:k8s-demo:app2", { timeoutMs: 240_000 });
    const output = status.output as RestoreOutcome;
    expect(output).toMatchObject({ outcome: "restored", rebuilt: false, recoveryPoint: { name: older } });
    expect((await restoreJob(output.jobId!)).properties.extendedInfo.sourceRecoverPoint.recoveryPointID).toBe(older);
  });

  it("a cancel stops the restore before its next step: no restore job starts, it ends canceled, recorded and told once", async () => {
    // Nothing runs: a cancel is a 409 naming that (before: no cancel route, a restore could not be stopped).
    expect(await handleRestoreCancel(request("k8s-demo", "app2", "", "POST", "restore/cancel"), instances())).toEqual({
      status: 409,
      jsonBody: { error: "no restore of cluster app2 in environment k8s-demo is running", runtimeStatus: "Completed" },
    });
    expect(
      (await handleRestoreCancel(request("k8s-demo", "app2", "", "GET", "restore/cancel"), instances())).status,
    ).toBe(405);
    const jobsBefore = await restoreJobCount();
    const messagesBefore = posts().length;
    // The restore validation answers slowly, so the cancel arrives while the restore is validating.
    sandbox.faults.add({ match: { method: "POST", path: "validateRestore" }, effect: { kind: "latency", ms: 2000 } });
    expect((await handleRestore(request("k8s-demo", "app2"), specs, instances())).status).toBe(202);
    const instanceId = "restore:k8s-demo:app2";
    for (let i = 0; ; i++) {
      const stage = ((await platform.driver.getStatus(instanceId))?.customStatus as { stage?: string } | undefined)
        ?.stage;
      if (stage === "validating") break;
      if (i > 400) throw new Error(`the restore never reached validating (stage ${stage})`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const cancel = await handleRestoreCancel(
      request("k8s-demo", "app2", "", "POST", "restore/cancel", "ops@example.com"),
      instances(),
    );
    expect(cancel).toMatchObject({
      status: 202,
      jsonBody: {
        instanceId,
        cluster: "app2",
        cancelling: [instanceId],
        statusUrl: expect.stringContaining("restore%3A"),
      },
    });
    const status = await platform.driver.waitForCompletion(instanceId, { timeoutMs: 240_000 });
    sandbox.faults.clear();
    const output = status.output as RestoreOutcome;
    expect(output).toMatchObject({
      outcome: "canceled",
      canceled: {
        stage: "restoring",
        left: [],
        requestedBy: "ops@example.com",
        request: "POST /api/environments/k8s-demo/clusters/app2/restore/cancel",
      },
    });
    expect(output.reason).toBe("cancelled by ops@example.com at the restoring step; nothing left running");
    // It stopped before starting a restore job, and its one message says it was cancelled.
    expect(await restoreJobCount()).toBe(jobsBefore);
    expect(posts().length).toBe(messagesBefore + 1);
    expect(lastPost()).toMatch(/Restore of cluster app2 cancelled/);
    // The registry of environments records how it ended.
    const registry = await EnvironmentRegistry.open({ storage: storageFromConnectionString(platform.storage) }, {});
    expect((await registry.find("k8s-demo"))?.lastWork).toMatchObject({
      kind: "restore",
      cluster: "app2",
      outcome: "canceled",
    });
    // Ended: a second cancel is a 409, a new restore may start.
    expect(
      (await handleRestoreCancel(request("k8s-demo", "app2", "", "POST", "restore/cancel"), instances())).status,
    ).toBe(409);
  });
});
