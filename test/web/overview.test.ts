import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { buildInstanceId, type BuildInstances, type InstanceView } from "../../lib/api/builds";
import { buildRecordEnvironments } from "../../lib/api/environments";
import type { ApiRequest } from "../../lib/api/http";
import {
  handleOpsData,
  PANELS,
  readPanel,
  type BackupHistory,
  type CertificateRow,
  type ClusterRow,
  type EventRow,
  type ListedInstance,
  type OverviewSources,
  type PanelResult,
  type ProvisioningPanel,
  type RunbookRow,
} from "../../lib/api/overview";
import { assetResponse, escapeHtml, opsPageHeaders, renderOpsPage, versionedAssets } from "../../lib/api/overview-page";
import { buildReport, vaultOf, verifyPolicyFor } from "../../lib/backup";
import type { BuildStatus, DeploymentProgress } from "../../lib/plan/progress";
import { defaultSpec } from "../../lib/spec";
import { instanceReport } from "./fixtures";

/**
 * The page's data panels over in-memory records shaped like the durable client's answers: what each panel shows,
 * that an empty source says "no data" and a broken one "unavailable", and that other environments stay out.
 */

const ENV = defaultSpec.name;
const NOW = new Date("2026-11-24T06:00:00Z");

function records(views: InstanceView[]): BuildInstances {
  const byId = new Map(views.map((v) => [v.instanceId, v]));
  return {
    get: (id) => Promise.resolve(byId.get(id)),
    start: () => Promise.reject(new Error("the page never starts builds")),
    terminate: () => Promise.reject(new Error("the page never terminates builds")),
    raise: () => Promise.reject(new Error("the page never cancels builds")),
    managementUrls: () => ({}),
  };
}

function sources(overrides: Partial<OverviewSources> = {}, views: InstanceView[] = [], listed: ListedInstance[] = []) {
  const asked: Date[] = [];
  const builds = records(views);
  const value: OverviewSources = {
    builds,
    // Without the app's registry, the environments the build records hold (what the CLI's local runs use).
    environments: buildRecordEnvironments(builds),
    instancesSince: (since) => {
      asked.push(since);
      return Promise.resolve(listed.filter((i) => i.createdTime >= since.toISOString()));
    },
    backupHistory: () => Promise.resolve({ trend: [] }),
    now: () => NOW,
    ...overrides,
  };
  return { value, asked };
}

const get = (panel: string, env = ENV): ApiRequest => ({
  method: "GET",
  url: `http://127.0.0.1/api/environments/${env}/ops/${panel}`,
  params: { env, panel },
  query: new URLSearchParams(),
  headers: { get: () => null },
  text: () => Promise.resolve(""),
});

function ok<T>(result: PanelResult<unknown>): T {
  if (result.state !== "ok") throw new Error(`${result.panel}: ${result.state}: ${result.reason}`);
  return result.data as T;
}

const deployment = (name: string, state: DeploymentProgress["state"], extra: Partial<DeploymentProgress> = {}) =>
  ({
    name,
    phase: "clusters",
    state,
    startedAt: "2026-11-24T05:00:00.000Z",
    endedAt: "2026-11-24T05:12:30.000Z",
    ...extra,
  }) satisfies DeploymentProgress;

function failedBuild(): InstanceView[] {
  const status: BuildStatus = {
    environment: ENV,
    mode: "deploy",
    runId: "r1",
    stage: "done",
    startedAt: "2026-11-24T05:00:00.000Z",
    phases: [],
    deployments: [
      deployment("k8s-demo-network", "succeeded", { phase: "network" }),
      deployment("k8s-demo-aks-app1", "pending", { cluster: "app1", startedAt: undefined, endedAt: undefined }),
    ],
    children: [{ label: "app1", instanceId: `${ENV}-app1` }],
  };
  const child = {
    deployments: [
      deployment("k8s-demo-aks-app1", "failed", {
        cluster: "app1",
        error: {
          code: "DeploymentFailed",
          message: "At least one resource deployment operation failed.",
          details: [
            { code: "QuotaExceeded", message: "cores quota" },
            { code: "Conflict", message: "wrapper", details: [{ code: "QuotaExceeded", message: "cores quota" }] },
          ],
        },
      }),
    ],
  };
  return [
    {
      instanceId: buildInstanceId(ENV),
      runtimeStatus: "Failed",
      input: { spec: defaultSpec, mode: "deploy" },
      customStatus: status,
    },
    { instanceId: `${ENV}-app1`, runtimeStatus: "Completed", customStatus: child },
  ];
}

const listed = (name: string, instanceId: string, extra: Partial<ListedInstance>): ListedInstance => ({
  name,
  instanceId,
  runtimeStatus: "Completed",
  createdTime: "2026-11-23T10:00:00.000Z",
  lastUpdatedTime: "2026-11-23T10:30:00.000Z",
  ...extra,
});

function reactions(): ListedInstance[] {
  return [
    listed("evictionWatch", "eviction-k8s-demo-app1-20261123T0900Z", {
      runtimeStatus: "Running",
      createdTime: "2026-11-23T09:01:00.000Z",
      input: {
        environment: ENV,
        cluster: "app1",
        first: { vmName: "aks-spot-vmss_4", occurredAt: "2026-11-23T09:00:00Z" },
      },
      customStatus: { phase: "checking", evictions: 3, checks: 2 },
    }),
    listed("evictionWatch", "eviction-k8s-demo-app2-20261120T0300Z", {
      createdTime: "2026-11-20T03:01:00.000Z",
      input: { environment: ENV, cluster: "app2", first: { vmName: "aks-spot-vmss_1" } },
      output: {
        outcome: "escalate",
        evictions: 2,
        reason: "no Spot capacity in zones 1, 2, 3",
        noSpotCapacity: true,
        waitedMinutes: 30,
      },
    }),
    listed("certificateReaction", "certificate-abc", {
      createdTime: "2026-11-22T06:30:00.000Z",
      input: {
        environment: ENV,
        event: {
          vaultName: "kv-demo",
          objectName: "ingress-tls-crt",
          version: "v7",
          change: "near-expiry",
          expiresAt: "2026-12-10T00:00:00Z",
          occurredAt: "2026-11-22T06:30:00Z",
        },
      },
      output: { action: "renew", reason: "20 days left", newVersion: "v8", rolledOut: ["app1"] },
    }),
    listed("backupFailureReaction", "backup-x-20261121", {
      createdTime: "2026-11-21T02:00:00.000Z",
      input: {
        environment: ENV,
        cluster: "mgmt",
        event: { backupInstance: "bi-aks-k8s-demo-mgmt", errorCode: "UserErrorX", occurredAt: "2026-11-21T01:59:00Z" },
      },
      output: { retried: true, reason: "first failure today", retryJobId: "job-2", error: "UserErrorX" },
    }),
    listed("lifecycleNotice", "lifecycle-1", {
      createdTime: "2026-11-19T00:00:00.000Z",
      input: {
        environment: ENV,
        event: { change: "new-kubernetes-version", kubernetesVersion: "1.34", cluster: "mgmt" },
      },
      output: { notified: "new-kubernetes-version" },
    }),
    // Not this environment's, not a reaction, too old: none of these is shown.
    listed("evictionWatch", "eviction-other", { input: { environment: "other", cluster: "app1" } }),
    listed("provisionPlatform", ENV, { input: { spec: defaultSpec } }),
    listed("lifecycleNotice", "lifecycle-old", {
      createdTime: "2026-10-01T00:00:00.000Z",
      input: { environment: ENV, event: {} },
    }),
  ];
}

describe("operations page data (lib/api/overview)", () => {
  it("answers GET only, names the panels for an unknown one, and never caches", async () => {
    const { value } = sources();
    expect((await handleOpsData({ ...get("events"), method: "POST" }, value)).status).toBe(405);
    const unknown = await handleOpsData(get("everything"), value);
    expect(unknown.status).toBe(404);
    expect(JSON.stringify(unknown.jsonBody)).toContain(PANELS.join(", "));
    const events = await handleOpsData(get("events"), value);
    expect(events.status).toBe(200);
    expect(events.headers?.["Cache-Control"]).toBe("no-store");
  });

  it("says 'no data' for every panel of an environment nothing is known about, without inventing any", async () => {
    const { value } = sources();
    for (const panel of PANELS.filter((p) => p !== "runbooks")) {
      const result = await readPanel(panel, "staging", value);
      expect(result.state, panel).toBe("no-data");
      expect(result.source.length, panel).toBeGreaterThan(20);
    }
  });

  it("before any build: the seed spec's architecture and clusters, no run, no events, no certificates, no reports", async () => {
    const { value } = sources({ runbookBaseUrl: "https://github.com/org/repo/blob/main/README.md" });
    const arch = ok<{ specFrom: string; mermaid: string }>(await readPanel("architecture", ENV, value));
    expect(arch.specFrom).toBe("seed default");
    expect(arch.mermaid).toMatch(/^flowchart LR/);
    expect((await readPanel("provisioning", ENV, value)).state).toBe("no-data");
    const clusters = ok<ClusterRow[]>(await readPanel("clusters", ENV, value));
    expect(clusters.map((c) => c.name)).toEqual(defaultSpec.clusters.map((c) => c.name));
    expect(clusters.every((c) => c.buildState === undefined && c.spot.evictions === 0)).toBe(true);
    expect(clusters[0]!.pools.map((p) => p.kind)).toContain("spot");
    const certs = await readPanel("certificates", ENV, value);
    expect(certs.state === "no-data" && certs.reason).toContain("AKS_PLATFORM_KEYVAULT_URL");
    expect((await readPanel("backups", ENV, value)).state).toBe("no-data");
    const books = ok<RunbookRow[]>(await readPanel("runbooks", ENV, value));
    expect(books).toContainEqual({
      id: "OPS-2",
      heading: "OPS-2 Spot eviction",
      href: "https://github.com/org/repo/blob/main/README.md#ops-2-spot-eviction",
    });
  });

  it("the last run: child progress merged in, the failure counted, marked crit in the Gantt, with ARM's root causes once each", async () => {
    const { value } = sources({}, failedBuild());
    const run = ok<ProvisioningPanel>(await readPanel("provisioning", ENV, value));
    expect(run.runtimeStatus).toBe("Failed");
    expect(run.counts).toMatchObject({ succeeded: 1, failed: 1, pending: 0 });
    expect(run.gantt).toMatch(/k8s-demo-aks-app1 FAILED DeploymentFailed :crit/);
    const failed = run.deployments.find((d) => d.state === "failed");
    expect(failed).toMatchObject({ name: "k8s-demo-aks-app1", cluster: "app1", durationSeconds: 750 });
    expect(failed?.error?.causes).toEqual(["QuotaExceeded: cores quota"]);
    expect(ok<{ specFrom: string }>(await readPanel("architecture", ENV, value)).specFrom).toBe("last build");
    const clusters = ok<ClusterRow[]>(await readPanel("clusters", ENV, value));
    expect(clusters.find((c) => c.name === "app1")?.buildState).toBe("failed");
  });

  it("a cancelled build shows Canceled with what the cancel left: cancelled in ARM, awaited, never started", async () => {
    const canceled = {
      requestedAt: "2026-11-24T05:10:00.000Z",
      cancelledInArm: ["k8s-demo-aks-app1"],
      awaited: ["k8s-demo-network"],
      notStarted: ["k8s-demo-aks-app2"],
    };
    const [build, child] = failedBuild();
    // Durable's view of a cancelled build: Completed, with `canceled` in its result.
    const views = [{ ...build!, runtimeStatus: "Completed", output: { succeeded: false, canceled } }, child!];
    const run = ok<ProvisioningPanel>(await readPanel("provisioning", ENV, sources({}, views).value));
    expect(run.runtimeStatus).toBe("Canceled");
    expect(run.canceled).toEqual(canceled);
    // A build that completed normally stays Completed and carries no cancellation.
    const done = [{ ...build!, runtimeStatus: "Completed", output: { succeeded: true } }, child!];
    const plain = ok<ProvisioningPanel>(await readPanel("provisioning", ENV, sources({}, done).value));
    expect(plain.runtimeStatus).toBe("Completed");
    expect(plain.canceled).toBeUndefined();
  });

  it("a cluster torn down since the build shows as removed (when, backups kept), until a build or restore replaces it", async () => {
    const built = failedBuild().map((v) => ({ ...v, createdTime: "2026-11-24T05:00:00.000Z" }));
    const teardown = (extra: Partial<InstanceView> = {}): InstanceView => ({
      instanceId: "teardown:k8s-demo:app1",
      runtimeStatus: "Completed",
      input: { spec: defaultSpec, cluster: "app1", supersedes: { build: "2026-11-24T05:00:00.000Z" } },
      createdTime: "2026-11-24T06:00:00.000Z",
      lastUpdatedTime: "2026-11-24T06:20:00.000Z",
      ...extra,
    });
    const app1 = async (views: InstanceView[]) =>
      ok<ClusterRow[]>(await readPanel("clusters", ENV, sources({}, views).value)).find((c) => c.name === "app1")!;

    const removed = await app1([...built, teardown()]);
    expect(removed.removal).toEqual({ state: "removed", at: "2026-11-24T06:20:00.000Z", backups: "kept" });
    expect(removed.buildState).toBeUndefined();
    expect((await app1([...built, teardown({ runtimeStatus: "Running" })])).removal).toEqual({
      state: "tearing down",
      at: "2026-11-24T06:00:00.000Z",
    });
    // A later restore that restored it, whatever its local clock says: it is not the restore the teardown saw.
    const restore: InstanceView = {
      instanceId: "restore:k8s-demo:app1",
      runtimeStatus: "Completed",
      output: { outcome: "restored" },
      createdTime: "2026-11-24T03:00:00.000Z",
    };
    const back = await app1([...built, teardown(), restore]);
    expect(back.removal).toBeUndefined();
    expect(back.buildState).toBe("failed");
    // A refused restore does not bring it back.
    expect((await app1([...built, teardown(), { ...restore, output: { outcome: "refused" } }])).removal?.state).toBe(
      "removed",
    );
  });

  it("recent events: this environment's reactions of the last 14 days, newest first, with what the app did", async () => {
    const { value, asked } = sources({}, [], reactions());
    const rows = ok<EventRow[]>(await readPanel("events", ENV, value));
    expect(asked[0]?.toISOString()).toBe("2026-11-10T06:00:00.000Z");
    expect(rows.map((r) => r.instanceId)).toEqual([
      "eviction-k8s-demo-app1-20261123T0900Z",
      "certificate-abc",
      "backup-x-20261121",
      "eviction-k8s-demo-app2-20261120T0300Z",
      "lifecycle-1",
    ]);
    const [running, cert, backup, escalated, lifecycle] = rows;
    expect(running).toMatchObject({
      kind: "Spot eviction",
      opsId: "OPS-2",
      cluster: "app1",
      what: "Spot VM aks-spot-vmss_4 evicted",
    });
    expect(running?.did).toBe("Recovery watch checking: 3 eviction(s) counted, 2 check(s).");
    expect(running?.runbook).toBe("README.md#ops-2-spot-eviction");
    expect(cert?.what).toBe("kv-demo/ingress-tls-crt near-expiry, expires 2026-12-10");
    expect(cert?.did).toBe("renew: 20 days left New version v8. Rolled out to app1.");
    expect(backup).toMatchObject({ kind: "Backup failure", cluster: "mgmt", opsId: "OPS-4" });
    expect(backup?.did).toBe("Started one ad-hoc backup (job job-2) and alerted.");
    expect(escalated?.did).toContain("escalate");
    expect(lifecycle).toMatchObject({ kind: "Cluster lifecycle", did: "Sent a notice (new-kubernetes-version)." });
  });

  it("Spot signals per cluster from the eviction watches", async () => {
    const { value } = sources({}, [], reactions());
    const clusters = ok<ClusterRow[]>(await readPanel("clusters", ENV, value));
    const app1 = clusters.find((c) => c.name === "app1")!.spot;
    expect(app1).toMatchObject({ evictions: 3, watches: 1, noSpotCapacity: false, latest: { phase: "checking" } });
    const app2 = clusters.find((c) => c.name === "app2")!.spot;
    expect(app2).toMatchObject({ evictions: 2, noSpotCapacity: true, latest: { outcome: "escalate" } });
    expect(clusters.find((c) => c.name === "mgmt")!.spot.watches).toBe(0);
  });

  it("certificates: Key Vault's current one first, then the ones events reported; a Key Vault error alone is 'unavailable'", async () => {
    const withVault = sources(
      {
        currentCertificate: (spec) =>
          Promise.resolve({
            vault: spec.shared.keyVault.name,
            secret: "ingress-tls-crt",
            version: "v8",
            subject: "CN=demo",
            notBefore: "2026-11-22T00:00:00Z",
            notAfter: "2027-02-20T00:00:00Z",
            state: "valid",
          }),
      },
      [],
      reactions(),
    );
    const rows = ok<CertificateRow[]>(await readPanel("certificates", ENV, withVault.value));
    expect(rows[0]).toMatchObject({ source: "key vault now", version: "v8", daysLeft: 87, state: "valid" });
    expect(rows[1]).toMatchObject({
      source: "event",
      version: "v7",
      daysLeft: 15,
      state: "near-expiry",
      instanceId: "certificate-abc",
    });

    const broken = sources({ currentCertificate: () => Promise.reject(new Error("HTTP 403")) });
    const result = await readPanel("certificates", ENV, broken.value);
    expect(result.state === "unavailable" && result.reason).toBe("Key Vault: HTTP 403");
  });

  it("backups: the trend and the latest report; a storage error names the panel", async () => {
    const latest = buildReport(
      defaultSpec,
      vaultOf(defaultSpec),
      defaultSpec.clusters.map((c) => instanceReport(defaultSpec, c.name, c.name !== "app2", NOW)),
      { policy: verifyPolicyFor(defaultSpec), now: NOW },
    );
    const history: BackupHistory = {
      trend: [
        { date: "2026-11-23", healthy: 3, unhealthy: 0 },
        { date: "2026-11-24", healthy: 2, unhealthy: 1 },
      ],
      latest,
    };
    const asked: unknown[] = [];
    const { value } = sources({
      backupHistory: (...args) => {
        asked.push(args);
        return Promise.resolve(history);
      },
    });
    const panel = ok<{
      trend: unknown[];
      days: number;
      latest: { unhealthy: number; instances: { verdict: string }[] };
    }>(await readPanel("backups", ENV, value));
    expect(asked).toEqual([[ENV, "2026-11-24", 14]]);
    expect(panel.trend).toHaveLength(2);
    expect(panel.latest.unhealthy).toBe(1);
    expect(panel.latest.instances.map((i) => i.verdict).sort()).toEqual(["failed", "healthy", "healthy"]);

    const broken = sources({ backupHistory: () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:10000")) });
    const result = await readPanel("backups", ENV, broken.value);
    expect(result.state === "unavailable" && result.reason).toBe("backups: connect ECONNREFUSED 127.0.0.1:10000");
  });
});

describe("operations page shell (lib/api/overview-page)", () => {
  const assets = versionedAssets({ script: 'console.log("</script>");'.repeat(2000), style: "body{}" });

  it("escapes the environment and links the versioned script and style, allowing scripts from this host only", () => {
    const html = renderOpsPage('<img src=x onerror="1">', { script: assets.script.name, style: assets.style.name });
    expect(html).not.toContain("<img");
    expect(html).toContain(escapeHtml('<img src=x onerror="1">'));
    expect(html).toMatch(/<script defer src="\.\.\/\.\.\/ops-assets\/ops-page\.[0-9a-f]{16}\.js"><\/script>/);
    expect(html).toMatch(/<link rel="stylesheet" href="\.\.\/\.\.\/ops-assets\/ops-page\.[0-9a-f]{16}\.css">/);
    expect(html).not.toContain("console.log");
    for (const panel of PANELS) expect(html).toContain(`aria-labelledby="${panel}-title"`);
    const headers = opsPageHeaders();
    expect(headers["Content-Security-Policy"]).toContain("script-src 'self'");
    expect(headers["Content-Security-Policy"]).toContain("connect-src 'self'");
    expect(headers["Referrer-Policy"]).toBe("no-referrer");
  });

  it("serves each asset under its content hash, immutable, compressed as accepted, 304 when the client has it", () => {
    const other = versionedAssets({ script: "console.log(2)", style: "body{}" });
    expect(other.script.name).not.toBe(assets.script.name);
    expect(other.style.name).toBe(assets.style.name);

    const br = assetResponse(assets.script, { acceptEncoding: "gzip, deflate, br", ifNoneMatch: null });
    expect(br.headers["Cache-Control"]).toBe("public, max-age=31536000, immutable");
    expect(br.headers["Content-Encoding"]).toBe("br");
    expect(brotliDecompressSync(br.body!).toString()).toBe(assets.script.body.toString());
    expect(br.body!.length).toBeLessThan(assets.script.body.length / 10);
    const gz = assetResponse(assets.script, { acceptEncoding: "gzip", ifNoneMatch: null });
    expect(gunzipSync(gz.body!).equals(assets.script.body)).toBe(true);
    const plain = assetResponse(assets.style, { acceptEncoding: null, ifNoneMatch: null });
    expect(plain.headers["Content-Encoding"]).toBeUndefined();
    expect(plain.body!.toString()).toBe("body{}");
    expect(assetResponse(assets.style, { acceptEncoding: null, ifNoneMatch: assets.style.etag }).status).toBe(304);
  });
});
