import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DataProtectionClient,
  DATA_PROTECTION_API_VERSION,
  DeploymentsAdapter,
  ResourceGroupsAdapter,
} from "../../lib/azure";
import { sandboxFetch, startFixture, waitForDeployment, type SandboxFixture } from "./helpers";

// Data Protection through our REST client (@azure-rest/core-client): backup instances created by a
// deployment, the simulated daily 02:00 UTC schedule, paging with nextLink, ad-hoc backup and restore
// validation as long-running operations, injected job failures.

const vault = { resourceGroup: "rg-k8s-demo-common", vault: "bv-k8s-demo" };
const backupTemplate = {
  $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  contentVersion: "1.0.0.0",
  resources: [
    {
      type: "Microsoft.DataProtection/backupVaults",
      apiVersion: "2025-07-01",
      name: "bv-k8s-demo",
      location: "koreacentral",
      identity: { type: "SystemAssigned" },
      properties: {},
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
          resourceID: `/subscriptions/x/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${cluster}`,
          objectType: "Datasource",
        },
      },
    })),
  ],
};

let f: SandboxFixture;
let dp: DataProtectionClient;

beforeAll(async () => {
  // 02:30 UTC: the first scheduled backup runs tomorrow at 02:00.
  f = await startFixture({ pageSize: 3, startTime: "2026-11-20T02:30:00Z", backupSeconds: 600 });
  dp = new DataProtectionClient(f.connection, f.sandbox.subscriptionId);
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
    expect(points.ok && points.value).toHaveLength(5);
    expect(points.ok && points.value[0]!.time).toBe("2026-11-25T02:10:00.000Z");
    const jobs = await dp.listBackupJobs(vault);
    expect(jobs.ok && jobs.value).toHaveLength(10);
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
    const validated = await dp.validateRestore(
      vault,
      "aks-app1",
      { objectType: "AzureBackupRecoveryPointBasedRestoreRequest" },
      { pollIntervalMs: 20 },
    );
    expect(validated.ok).toBe(true);
    const missing = await dp.triggerBackup(vault, "aks-nope", { ruleName: "BackupDaily" }, { pollIntervalMs: 20 });
    expect(missing).toMatchObject({ ok: false, error: { kind: "notFound", code: "ResourceNotFound" } });
  });
});
