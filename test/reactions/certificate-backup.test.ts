import { afterAll, beforeAll, describe, expect, it } from "vitest";
import path from "node:path";
import { scanCertificates } from "../../functions/certificateScan";
import { handleEventGridEvent } from "../../functions/eventgrid";
import {
  createArmConnection,
  DataProtectionClient,
  DeploymentsAdapter,
  ResourceGroupsAdapter,
  createAzureContext,
} from "../../lib/azure";
import { EventClassifier } from "../../lib/events";
import { driverReactionClient, type ReactionClient } from "../../lib/ops/reactions-dispatch";
import type { DurableDriver } from "../../local/durable/driver";
import { startKeyVaultStandIn } from "../../local/keyvault";
import { trustLocalCa } from "../../local/trust";
import { waitForDeployment } from "../sandbox/helpers";
import { readTlsSecret } from "../../orchestrations/reactions/activities/scanTlsSecrets";
import { makeCertificatePem, spec, SUBSCRIPTION } from "./helpers";
import { count, startHarnessDriver, startReactionsHarness, type ReactionsHarness } from "./harness";

// OPS-3 and OPS-4 through the local durable driver (timers 600× faster) against the sandbox ARM: cert-manager
// renewal and gateway restarts by run command, ad-hoc backups through the Data Protection REST API.

let h: ReactionsHarness;
let driver: DurableDriver;
let client: ReactionClient;
const classifier = new EventClassifier({ spec });
const vault = spec.shared.keyVault.name;
const backupVault = { resourceGroup: spec.commonResourceGroup, vault: spec.shared.backupVault.name };
const app1 = spec.clusters[1]!;
const backupInstance = `bi-${app1.aksName}`;

const deliver = async (raw: unknown) => {
  const { outcomes, rejected } = await handleEventGridEvent(raw, client, classifier, () => ({ spec }));
  expect(rejected).toEqual([]);
  return outcomes;
};

function keyVaultEvent(change: "NearExpiry" | "Expired" | "NewVersionCreated", version: string, exp: Date) {
  return {
    id: `${change}-${version}`,
    eventType: `Microsoft.KeyVault.Secret${change}`,
    subject: "ingress-tls-crt",
    eventTime: "2026-11-24T05:00:00Z",
    dataVersion: "1",
    metadataVersion: "1",
    topic: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${spec.commonResourceGroup}/providers/Microsoft.KeyVault/vaults/${vault}`,
    data: {
      Id: `https://${vault}.vault.azure.net/secrets/ingress-tls-crt/${version}`,
      VaultName: vault,
      ObjectType: "Secret",
      ObjectName: "ingress-tls-crt",
      Version: version,
      NBF: Math.floor(exp.getTime() / 1000) - 90 * 86_400,
      EXP: Math.floor(exp.getTime() / 1000),
    },
  };
}

function backupFailedEvent(alertId: string, firedAt: string) {
  const vaultId = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${backupVault.resourceGroup}/providers/Microsoft.DataProtection/backupVaults/${backupVault.vault}`;
  return {
    id: `alert-${alertId}`,
    eventType: "AksPlatform.Backup.JobFailed",
    subject: vaultId,
    eventTime: firedAt,
    dataVersion: "1.0",
    metadataVersion: "1",
    topic: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.EventGrid/topics/aks-platform`,
    data: {
      origin: "azure-monitor-alert",
      monitorCondition: "Fired",
      alertId,
      alertRule: "Backup Failure",
      alertSeverity: "Sev1",
      firedAt,
      targetResourceIds: [vaultId],
      backupInstance,
      errorCode: "UserErrorKubernetesBackupFailed",
      errorMessage: "Backup extension pod crashed",
    },
  };
}

beforeAll(async () => {
  h = await startReactionsHarness(["mgmt", "app1"]);
  // The backup vault and app1's backup instance, as the build deploys them (cluster-addons-common.json).
  const connection = createArmConnection({ armEndpoint: h.sandbox.url, token: h.sandbox.token, ca: h.sandbox.caPem });
  expect(
    (await new ResourceGroupsAdapter(connection, SUBSCRIPTION).ensure(backupVault.resourceGroup, spec.location)).ok,
  ).toBe(true);
  const deployments = new DeploymentsAdapter(connection, SUBSCRIPTION);
  const ref = { scope: "resourceGroup" as const, resourceGroup: backupVault.resourceGroup, name: "backup" };
  const clusterId = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${app1.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${app1.aksName}`;
  const started = await deployments.start({
    ...ref,
    parameters: {},
    template: {
      $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
      contentVersion: "1.0.0.0",
      resources: [
        {
          type: "Microsoft.DataProtection/backupVaults",
          apiVersion: "2025-07-01",
          name: backupVault.vault,
          location: spec.location,
          identity: { type: "SystemAssigned" },
          properties: { storageSettings: [{ datastoreType: "VaultStore", type: "ZoneRedundant" }] },
        },
        {
          type: "Microsoft.DataProtection/backupVaults/backupInstances",
          apiVersion: "2025-07-01",
          name: `${backupVault.vault}/${backupInstance}`,
          dependsOn: [`[resourceId('Microsoft.DataProtection/backupVaults', '${backupVault.vault}')]`],
          properties: {
            objectType: "BackupInstance",
            friendlyName: app1.aksName,
            dataSourceInfo: {
              objectType: "Datasource",
              resourceID: clusterId,
              datasourceType: "Microsoft.ContainerService/managedClusters",
            },
            policyInfo: { policyId: `${clusterId}/policy` },
          },
        },
      ],
    },
  });
  expect(started.ok).toBe(true);
  expect((await waitForDeployment(deployments, ref)).state).toBe("succeeded");
  driver = await startHarnessDriver(h, "reactionscertbackup", 600);
  client = driverReactionClient(driver);
});

afterAll(async () => {
  await driver?.stop();
  await h?.stop();
});

const now = Date.now();
const day = 86_400_000;

describe("certificate reactions", () => {
  it("raises a critical alert for an expired certificate, once however often the event arrives", async () => {
    h.sink.reset();
    const raw = keyVaultEvent("Expired", "v0", new Date(now - day));
    const outcomes = (await Promise.all([1, 2, 3].map(() => deliver(raw)))).flat();
    expect(outcomes.filter((o) => o.action === "started")).toHaveLength(1);
    const done = await driver.waitForCompletion(outcomes[0]!.instanceId!, { timeoutMs: 60_000 });
    expect(done.output).toMatchObject({ action: "alert-expired" });
    expect(count(h.bodies("teams"), "has expired")).toBe(1);
    expect(count(h.bodies("slack"), "has expired")).toBe(1);
  });

  it("renews a certificate near expiry with kubectl (the Issuing status patch) on every ingress cluster and says so", async () => {
    h.sink.reset();
    const [outcome] = await deliver(keyVaultEvent("NearExpiry", "v1", new Date(now + 20 * day)));
    expect(outcome).toMatchObject({ kind: "certificate", action: "started" });
    const done = await driver.waitForCompletion(outcome!.instanceId!, { timeoutMs: 90_000 });
    expect(done.output).toMatchObject({ action: "renew", renewalTriggered: true });
    for (const c of ["mgmt", "app1"]) {
      const aks = spec.clusters.find((x) => x.name === c)!.aksName;
      expect(h.sandbox.state.cluster(aks).certificateRenewals).toContainEqual(
        expect.objectContaining({ name: "ingress-tls", namespace: "external-secrets", reason: "ManuallyTriggered" }),
      );
    }
    // The driver's clock runs 600× faster, so a day may have passed on it.
    expect(h.bodies("slack").filter((b) => /expires in (19|20) days/.test(b))).toHaveLength(1);
    expect(count(h.bodies("slack"), "Triggered a renewal")).toBe(1);
  }, 120_000);

  it("restarts the ingress gateways when a new version's rollout cannot be confirmed, and reports it", async () => {
    h.sink.reset();
    const [outcome] = await deliver(keyVaultEvent("NewVersionCreated", "v2", new Date(now + 90 * day)));
    const done = await driver.waitForCompletion(outcome!.instanceId!, { timeoutMs: 60_000 });
    expect(done.output).toMatchObject({ action: "verify-rollout", rolledOut: [] });
    for (const c of ["mgmt", "app1"]) {
      const aks = spec.clusters.find((x) => x.name === c)!.aksName;
      expect(h.sandbox.state.cluster(aks).rolloutRestarts).toContainEqual(
        expect.objectContaining({
          kind: "deployment",
          name: "aks-istio-ingressgateway-external-asm-1-26",
          namespace: "aks-istio-ingress",
        }),
      );
    }
    const slack = h.bodies("slack");
    expect(count(slack, "renewed")).toBe(1);
    expect(count(slack, "not confirmed")).toBe(1);
  });
});

describe("backup failure reaction", () => {
  it("retries a failed backup once a day per instance and notifies once with the job's error", async () => {
    h.sink.reset();
    const firedAt = new Date(now).toISOString();
    const first = backupFailedEvent("alert-1", firedAt);
    const outcomes = (await Promise.all([1, 2, 3, 4, 5].map(() => deliver(first)))).flat();
    expect(outcomes.filter((o) => o.action === "started")).toHaveLength(1);
    const id = outcomes.find((o) => o.action === "started")!.instanceId!;
    const done = await driver.waitForCompletion(id, { timeoutMs: 60_000 });
    expect(done.output).toMatchObject({ retried: true });
    // A second alert of the same instance the same day joins today's reaction: no second retry.
    expect((await deliver(backupFailedEvent("alert-2", new Date(now + 60_000).toISOString())))[0]).toMatchObject({
      action: "duplicate",
      instanceId: id,
    });

    const connection = createArmConnection({ armEndpoint: h.sandbox.url, token: h.sandbox.token, ca: h.sandbox.caPem });
    const jobs = await new DataProtectionClient(connection, SUBSCRIPTION).listBackupJobs(backupVault);
    expect(jobs.ok && jobs.value.filter((j) => j.isUserTriggered)).toHaveLength(1);
    for (const channel of ["teams", "slack"] as const) {
      const bodies = h.bodies(channel);
      expect(bodies).toHaveLength(1);
      expect(count(bodies, "Backup of app1 failed")).toBe(1);
      expect(count(bodies, "Backup extension pod crashed")).toBe(1);
      expect(count(bodies, "Started ad-hoc backup 1 of 1")).toBe(1);
    }
  });
});

describe("daily certificate scan", () => {
  it("reads the pushed TLS secret (no exp attribute), finds it near expiry and starts one reaction per version", async () => {
    const pem = makeCertificatePem({
      cn: spec.gitops.ingressHost,
      notBefore: new Date(now - 60 * day),
      notAfter: new Date(now + 10 * day),
    });
    // The local Key Vault stand-in (HTTPS, checks the token's audience) read through the context's credential.
    const vaultServer = await startKeyVaultStandIn({
      tlsDir: path.dirname(h.sandbox.caPath),
      secrets: { "ingress-tls-crt": pem },
    });
    trustLocalCa(h.sandbox.caPem);
    try {
      const keyVault = createAzureContext({ armEndpoint: h.sandbox.url, token: h.sandbox.token });
      const read = (name: string) =>
        readTlsSecret(vaultServer.url, name, keyVault, new Date(now), AbortSignal.timeout(10_000));
      const secret = await read("ingress-tls-crt");
      expect(secret).toMatchObject({
        name: "ingress-tls-crt",
        version: expect.stringMatching(/^[0-9a-f]{32}$/),
        state: "near-expiry",
      });
      expect(secret.attributeExpiresAt).toBeUndefined();
      // The seed spec names no subscription and a scan finding no resource: the sandbox's is configured.
      const options = { spec, defaultSubscriptionId: SUBSCRIPTION };
      const first = await scanCertificates(read, client, options, new Date(now));
      expect(first).toMatch(/near-expiry → started certificate-[0-9a-f]{24}$/);
      expect(await scanCertificates(read, client, options, new Date(now + day))).toMatch(/near-expiry → duplicate/);
      expect(vaultServer.requests[0]).toBe("GET /secrets/ingress-tls-crt https://vault.azure.net");
      const id = /started (\S+)$/.exec(first)![1]!;
      const done = await driver.waitForCompletion(id, { timeoutMs: 90_000 });
      expect(done.output).toMatchObject({ action: "renew", renewalTriggered: true });
    } finally {
      await vaultServer.close();
    }
  }, 120_000);
});
