import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AksAdapter,
  DataProtectionClient,
  DATA_PROTECTION_API_VERSION,
  DeploymentsAdapter,
  ResourceGroupsAdapter,
} from "../../lib/azure";
import { buildRestoreRequest, RestoreClient, type OperationState } from "../../lib/backup";
import { sandboxFetch, startFixture, waitForDeployment, type SandboxFixture } from "./helpers";

// Data Protection through our REST clients (@azure-rest/core-client): backup instances created by a
// deployment, the simulated daily 02:00 UTC schedule, paging with nextLink, ad-hoc backup, restore
// validation and restore as long-running operations, injected job failures, the protection status control.

const vault = { resourceGroup: "rg-k8s-demo-common", vault: "bv-k8s-demo" };
const app1Id = (subscriptionId: string) =>
  `/subscriptions/${subscriptionId}/resourceGroups/${vault.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/aks-app1`;
const backupTemplate = {
  $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  contentVersion: "1.0.0.0",
  resources: [
    {
      // The protected cluster whose workloads the backups capture (aks-mgmt stays a name only).
      type: "Microsoft.ContainerService/managedClusters",
      apiVersion: "2026-05-01",
      name: "aks-app1",
      location: "koreacentral",
      identity: { type: "SystemAssigned" },
      properties: {
        dnsPrefix: "aks-app1",
        nodeProvisioningProfile: { mode: "Auto", defaultNodePools: "None" },
        agentPoolProfiles: [{ name: "system", mode: "System", count: 1, vmSize: "Standard_D2s_v5" }],
      },
    },
    {
      type: "Microsoft.DataProtection/backupVaults",
      apiVersion: "2025-07-01",
      name: "bv-k8s-demo",
      location: "koreacentral",
      identity: { type: "SystemAssigned" },
      properties: {},
    },
    // What a restore target needs: the backup extension and the vault's trusted access.
    {
      type: "Microsoft.KubernetesConfiguration/extensions",
      apiVersion: "2024-11-01",
      name: "azure-aks-backup",
      scope: "[resourceId('Microsoft.ContainerService/managedClusters', 'aks-app1')]",
      dependsOn: ["[resourceId('Microsoft.ContainerService/managedClusters', 'aks-app1')]"],
      properties: { extensionType: "microsoft.dataprotection.kubernetes" },
    },
    {
      type: "Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings",
      apiVersion: "2026-05-01",
      name: "aks-app1/backup-vault",
      dependsOn: [
        "[extensionResourceId(resourceId('Microsoft.ContainerService/managedClusters', 'aks-app1'), 'Microsoft.KubernetesConfiguration/extensions', 'azure-aks-backup')]",
        "[resourceId('Microsoft.DataProtection/backupVaults', 'bv-k8s-demo')]",
      ],
      properties: {
        sourceResourceId: "[resourceId('Microsoft.DataProtection/backupVaults', 'bv-k8s-demo')]",
        roles: ["Microsoft.DataProtection/backupVaults/backup-operator"],
      },
    },
    ...["aks-mgmt", "aks-app1"].map((cluster) => ({
      type: "Microsoft.DataProtection/backupVaults/backupInstances",
      apiVersion: "2025-07-01",
      name: `bv-k8s-demo/${cluster}`,
      dependsOn: ["[resourceId('Microsoft.DataProtection/backupVaults', 'bv-k8s-demo')]"],
      properties: {
        friendlyName: cluster,
        objectType: "BackupInstance",
        dataSourceInfo: {
          resourceID: `[resourceId('Microsoft.ContainerService/managedClusters', '${cluster}')]`,
          objectType: "Datasource",
        },
      },
    })),
  ],
};

let f: SandboxFixture;
let dp: DataProtectionClient;
let restore: RestoreClient;

beforeAll(async () => {
  // 02:30 UTC: the first scheduled backup runs tomorrow at 02:00.
  f = await startFixture({ pageSize: 3, startTime: "2026-11-20T02:30:00Z", backupSeconds: 600 });
  dp = new DataProtectionClient(f.connection, f.sandbox.subscriptionId);
  restore = new RestoreClient(f.connection, f.sandbox.subscriptionId);
  expect(
    (
      await new ResourceGroupsAdapter(f.connection, f.sandbox.subscriptionId).ensure(
        vault.resourceGroup,
        "koreacentral",
      )
    ).ok,
  ).toBe(true);
  const deployments = new DeploymentsAdapter(f.connection, f.sandbox.subscriptionId);
  const ref = { scope: "resourceGroup" as const, resourceGroup: vault.resourceGroup, name: "backup" };
  expect((await deployments.start({ ...ref, template: backupTemplate, parameters: {} })).ok).toBe(true);
  expect((await waitForDeployment(deployments, ref)).state).toBe("succeeded");
});
afterAll(async () => {
  await f.stop();
});

describe("Data Protection REST against the sandbox", () => {
  it("lists the backup instances the deployment created, with their protection status", async () => {
    const instances = await dp.listBackupInstances(vault);
    expect(
      instances.ok && instances.value.map((b) => [b.name, b.protectionStatus, b.dataSourceId?.split("/").pop()]),
    ).toEqual([
      ["aks-mgmt", "ProtectionConfigured", "aks-mgmt"],
      ["aks-app1", "ProtectionConfigured", "aks-app1"],
    ]);
  });

  it("produces daily recovery points and jobs on the simulated schedule, paged with nextLink", async () => {
    f.sandbox.clock.advance(5 * 24 * 3600);
    const firstPage = await sandboxFetch(
      f.sandbox,
      `/subscriptions/${f.sandbox.subscriptionId}/resourceGroups/${vault.resourceGroup}/providers/Microsoft.DataProtection/backupVaults/${vault.vault}/backupInstances/aks-mgmt/recoveryPoints?api-version=${DATA_PROTECTION_API_VERSION}`,
    );
    expect(firstPage.body.value).toHaveLength(3);
    expect(firstPage.body.nextLink).toContain("$skipToken=3");
    const points = await dp.listRecoveryPoints(vault, "aks-mgmt");
    // Five scheduled backups, and the first backup each instance took when its protection was configured.
    expect(points.ok && points.value).toHaveLength(6);
    expect(points.ok && points.value[0]!.time).toBe("2026-11-25T02:10:00.000Z");
    expect(points.ok && points.value.at(-1)!.time! < "2026-11-21").toBe(true);
    const jobs = await dp.listBackupJobs(vault);
    expect(jobs.ok && jobs.value).toHaveLength(12);
    expect(jobs.ok && new Set(jobs.value.map((j) => j.status))).toEqual(new Set(["Completed"]));
  });

  it("keeps recovery points for the 7-day retention only", async () => {
    f.sandbox.clock.advance(5 * 24 * 3600);
    const points = await dp.listRecoveryPoints(vault, "aks-app1");
    expect(points.ok && points.value.length).toBeLessThanOrEqual(8);
    expect(points.ok && points.value.at(-1)!.time! >= "2026-11-23").toBe(true);
  });

  it("reports an injected job failure with its error details", async () => {
    f.sandbox.state.injectBackupFailures({
      backupInstance: "aks-app1",
      code: "UserErrorKubernetesBackupFailed",
      message: "snapshot failed",
    });
    f.sandbox.clock.advance(24 * 3600);
    const jobs = await dp.listBackupJobs(vault);
    const failed = jobs.ok ? jobs.value.filter((j) => j.status?.toLowerCase() === "failed") : [];
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      backupInstanceId: expect.stringMatching(/backupInstances\/aks-app1$/),
      errors: [{ code: "UserErrorKubernetesBackupFailed", message: "snapshot failed" }],
    });
  });

  it("runs an ad-hoc backup and a restore validation as long-running operations", async () => {
    const backup = await dp.triggerBackup(vault, "aks-app1", { ruleName: "BackupDaily" }, { pollIntervalMs: 20 });
    expect(backup.ok && backup.value.jobId).toMatch(/^[0-9a-f-]{36}$/);
    f.sandbox.clock.advance(900);
    const jobs = await dp.listBackupJobs(vault);
    const adhoc = jobs.ok ? jobs.value.find((j) => backup.ok && j.name === backup.value.jobId) : undefined;
    expect(adhoc).toMatchObject({ status: "Completed", isUserTriggered: true });
    const validated = await dp.validateRestore(vault, "aks-app1", await restoreRequest(), { pollIntervalMs: 20 });
    expect(validated.ok).toBe(true);
    const missing = await dp.triggerBackup(vault, "aks-nope", { ruleName: "BackupDaily" }, { pollIntervalMs: 20 });
    expect(missing).toMatchObject({ ok: false, error: { kind: "notFound", code: "ResourceNotFound" } });
  });
});

/** The app's restore request for the newest recovery point of aks-app1, into aks-app1. */
async function restoreRequest(recoveryPointId?: string): Promise<Record<string, unknown>> {
  const points = await dp.listRecoveryPoints(vault, "aks-app1");
  if (!points.ok || !points.value[0]) throw new Error("aks-app1 has no recovery point");
  return buildRestoreRequest({
    recoveryPointId: recoveryPointId ?? points.value[0].name,
    dataSourceInfo: { objectType: "Datasource", resourceID: app1Id(f.sandbox.subscriptionId) },
    location: "koreacentral",
  });
}

/** Starts a restore and follows its operation to the job id, as the restore orchestration does. */
async function startRestore(request: unknown): Promise<string> {
  const started = await restore.beginRestore(vault, "aks-app1", request);
  if (!started.ok) throw new Error(`${started.error.code}: ${started.error.message}`);
  if (started.value.kind !== "started") throw new Error("expected 202 + Azure-AsyncOperation");
  let op: OperationState = { state: "running", retryAfterSeconds: started.value.retryAfterSeconds };
  while (op.state === "running") {
    f.sandbox.clock.advance(10);
    const polled = await restore.operationStatus(started.value.statusUrl);
    if (!polled.ok) throw new Error(`${polled.error.code}: ${polled.error.message}`);
    op = polled.value;
  }
  if (op.state !== "succeeded" || op.jobId === undefined) throw new Error(`restore operation: ${JSON.stringify(op)}`);
  return op.jobId;
}

const appPods = () =>
  f.sandbox.state
    .cluster("aks-app1")
    .pods.filter((p) => p.namespace === "apps")
    .map((p) => `${p.name} ${p.phase}`)
    .sort();

describe("restore against the sandbox", () => {
  it("runs a restore as a long-running operation: a Restore job that brings the backed-up pods back", async () => {
    const before = appPods();
    expect(before.length).toBeGreaterThan(0);
    const aks = new AksAdapter(f.connection, f.sandbox.subscriptionId);
    const deleted = await aks.runCommand(vault.resourceGroup, "aks-app1", "kubectl delete namespace apps", {
      updateIntervalInMs: 20,
    });
    expect(deleted.ok && deleted.value.exitCode).toBe(0);
    expect(appPods()).toEqual([]);

    const jobId = await startRestore(await restoreRequest());
    const running = await restore.getJob(vault, jobId);
    expect(running.ok && running.value).toMatchObject({ operation: "Restore", status: "InProgress", errors: [] });
    // The restore re-creates the pods at once; the spot ones wait for Karpenter while the job runs.
    expect(appPods().every((p) => p.endsWith("Pending"))).toBe(true);
    f.sandbox.clock.advance(600);
    const done = await dp.getJob(vault, jobId);
    expect(done.ok && done.value).toMatchObject({
      id: expect.stringMatching(new RegExp(`/backupJobs/${jobId}$`)),
      operation: "Restore",
      operationCategory: "Restore",
      status: "Completed",
      isUserTriggered: true,
      backupInstanceId: expect.stringMatching(/backupInstances\/aks-app1$/),
    });
    expect(appPods()).toEqual(before);
    const pods = await aks.runCommand(vault.resourceGroup, "aks-app1", "kubectl get pods -n apps -o json", {
      updateIntervalInMs: 20,
    });
    expect(pods.ok && (JSON.parse(pods.value.logs) as { items: unknown[] }).items).toHaveLength(before.length);
  });

  it("honours the restore criteria's namespaces and leaves existing pods alone", async () => {
    const request = await restoreRequest();
    const target = request.restoreTargetInfo as { restoreCriteria: Array<Record<string, unknown>> };
    target.restoreCriteria[0]!.excludedNamespaces = ["apps"];
    const aks = new AksAdapter(f.connection, f.sandbox.subscriptionId);
    expect((await aks.runCommand(vault.resourceGroup, "aks-app1", "kubectl delete ns apps")).ok).toBe(true);
    await startRestore(request);
    f.sandbox.clock.advance(600);
    expect(appPods()).toEqual([]);
    const all = await restoreRequest();
    await startRestore(all);
    await startRestore(all);
    f.sandbox.clock.advance(600);
    // Twice restored, once present: Skip keeps the pods the first restore brought back.
    expect(new Set(appPods()).size).toBe(appPods().length);
    expect(appPods().length).toBeGreaterThan(0);
  });

  it("rejects a malformed request and an unknown recovery point with 400s that name the problem", async () => {
    const request = await restoreRequest();
    const base = `/subscriptions/${f.sandbox.subscriptionId}/resourceGroups/${vault.resourceGroup}/providers/Microsoft.DataProtection/backupVaults/${vault.vault}/backupInstances/aks-app1`;
    const post = (path: string, body: unknown) =>
      sandboxFetch(f.sandbox, `${base}/${path}?api-version=${DATA_PROTECTION_API_VERSION}`, { method: "POST", body });
    const noCriteria = await post("restore", {
      ...request,
      restoreTargetInfo: { ...(request.restoreTargetInfo as object), restoreCriteria: undefined },
    });
    expect(noCriteria).toMatchObject({
      status: 400,
      body: {
        error: {
          code: "InvalidRequestContent",
          message: expect.stringContaining("'restoreTargetInfo.restoreCriteria'"),
        },
      },
    });
    const badOption = await post("validateRestore", {
      restoreRequestObject: {
        ...request,
        restoreTargetInfo: { ...(request.restoreTargetInfo as object), recoveryOption: "Overwrite" },
      },
    });
    expect(badOption.status).toBe(400);
    expect(badOption.body.error.message).toMatch(/'restoreRequestObject\.restoreTargetInfo\.recoveryOption'/);
    const unknownPoint = await restore.beginRestore(vault, "aks-app1", await restoreRequest("0000feed"));
    expect(unknownPoint).toMatchObject({
      ok: false,
      error: { kind: "badRequest", code: "UserErrorRecoveryPointNotFound" },
    });
    const validated = await dp.validateRestore(vault, "aks-app1", await restoreRequest("0000feed"), {
      pollIntervalMs: 20,
    });
    expect(validated).toMatchObject({ ok: false, error: { code: "UserErrorRecoveryPointNotFound" } });
  });

  it("ends a restore job Failed on an injected failure or a missing target cluster", async () => {
    const control = await sandboxFetch(f.sandbox, "/_sandbox/backup/failures", {
      method: "POST",
      body: { operation: "Restore", backupInstance: "aks-app1", code: "UserErrorRestoreNamespaceConflict" },
    });
    expect(control.status).toBe(204);
    const injected = await startRestore(await restoreRequest());
    f.sandbox.clock.advance(600);
    expect(await restore.getJob(vault, injected)).toMatchObject({
      ok: true,
      value: {
        status: "Failed",
        errors: [{ code: "UserErrorRestoreNamespaceConflict", message: "Injected restore job failure." }],
      },
    });
    const request = await restoreRequest();
    const target = request.restoreTargetInfo as { datasourceInfo: { resourceID: string } };
    target.datasourceInfo.resourceID = target.datasourceInfo.resourceID.replace(/aks-app1$/, "aks-gone");
    const missing = await startRestore(request);
    f.sandbox.clock.advance(600);
    expect(await dp.getJob(vault, missing)).toMatchObject({
      ok: true,
      value: { status: "Failed", errors: [{ code: "UserErrorKubernetesClusterNotFound" }] },
    });
    expect(await dp.getJob(vault, "00000000-0000-0000-0000-000000000000")).toMatchObject({
      ok: false,
      error: { kind: "notFound", code: "ResourceNotFound" },
    });
  });
});

describe("protection status control", () => {
  it("shows a stopped protection, skips its scheduled backups and refuses ad-hoc ones until reset", async () => {
    const set = await sandboxFetch(f.sandbox, "/_sandbox/backup/protection", {
      method: "POST",
      body: {
        backupInstance: "aks-mgmt",
        status: "ProtectionStopped",
        currentProtectionState: "BackupSchedulesSuspended",
        errorDetails: { code: "UserErrorBackupStopped", message: "Protection was stopped by a user." },
      },
    });
    expect(set.status).toBe(204);
    const listed = await dp.listBackupInstances(vault);
    expect(listed.ok && listed.value.find((b) => b.name === "aks-mgmt")).toMatchObject({
      protectionStatus: "ProtectionStopped",
      currentProtectionState: "BackupSchedulesSuspended",
      errors: [{ code: "UserErrorBackupStopped", message: "Protection was stopped by a user." }],
    });
    const pointsBefore = await dp.listRecoveryPoints(vault, "aks-mgmt");
    f.sandbox.clock.advance(24 * 3600);
    const pointsAfter = await dp.listRecoveryPoints(vault, "aks-mgmt");
    expect(pointsAfter.ok && pointsAfter.value[0]!.name).toBe(pointsBefore.ok && pointsBefore.value[0]!.name);
    const adhoc = await dp.triggerBackup(vault, "aks-mgmt", { ruleName: "BackupDaily" }, { pollIntervalMs: 20 });
    expect(adhoc).toMatchObject({ ok: false, error: { code: "UserErrorBackupInstanceNotProtected" } });

    f.sandbox.state.setProtection({ backupInstance: "aks-mgmt", status: "ProtectionConfigured" });
    const reset = await dp.listBackupInstances(vault);
    expect(reset.ok && reset.value.find((b) => b.name === "aks-mgmt")).toMatchObject({
      protectionStatus: "ProtectionConfigured",
      currentProtectionState: "ProtectionConfigured",
      errors: [],
    });
    const bad = await sandboxFetch(f.sandbox, "/_sandbox/backup/protection", {
      method: "POST",
      body: { backupInstance: "aks-nope", status: "ProtectionStopped" },
    });
    expect(bad.status).toBe(404);
  });

  it("stop protection keeps every recovery point, suspend backups keeps the newest past the retention (both LROs)", async () => {
    const count = async (bi: string) => {
      const points = await dp.listRecoveryPoints(vault, bi);
      if (!points.ok) throw new Error(points.error.message);
      return points.value;
    };
    const app1Before = await count("aks-app1");
    const mgmtNewest = (await count("aks-mgmt"))[0]!;
    expect(app1Before.length).toBeGreaterThan(1);
    expect(await dp.changeProtection(vault, "aks-app1", "stopProtection", { pollIntervalMs: 20 })).toEqual({
      ok: true,
      value: undefined,
    });
    expect(await dp.changeProtection(vault, "aks-mgmt", "suspendBackups", { pollIntervalMs: 20 })).toEqual({
      ok: true,
      value: undefined,
    });
    const got = await dp.getBackupInstance(vault, "aks-app1");
    expect(got.ok && got.value).toMatchObject({
      protectionStatus: "ProtectionStopped",
      currentProtectionState: "ProtectionStopped",
    });
    expect(await dp.getBackupInstance(vault, "aks-nope")).toEqual({ ok: true, value: undefined });

    // Ten days later (past the 7-day retention), with the protected cluster gone: no new backups; app1's points
    // are all there, mgmt keeps only its newest.
    f.sandbox.clock.advance(10 * 24 * 3600);
    expect((await count("aks-app1")).map((p) => p.name)).toEqual(app1Before.map((p) => p.name));
    expect((await count("aks-mgmt")).map((p) => p.name)).toEqual([mgmtNewest.name]);

    // Nothing left to stop: refused; an unknown instance is 404.
    const again = await dp.changeProtection(vault, "aks-app1", "stopProtection", { pollIntervalMs: 20 });
    expect(again).toMatchObject({ ok: false, error: { code: "UserErrorInvalidOperationForProtectionState" } });
    const missing = await dp.changeProtection(vault, "aks-nope", "suspendBackups", { pollIntervalMs: 20 });
    expect(missing).toMatchObject({ ok: false, error: { kind: "notFound" } });
  });
});
