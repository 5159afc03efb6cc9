import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DRIFT_REPORT_CONTAINER, DriftReportStore, driftWatchInstanceId, type DriftReport } from "../../lib/drift";
import { Orchestrations } from "../../lib/function-names";
import { defaultSpec, type PlatformSpec } from "../../lib/spec";
import { reportContainer } from "../../orchestrations/backup/activities/writeBackupReport";
import type { DriftCheckInput, DriftCheckResult, DriftWatchResult } from "../../orchestrations/drift/contracts";
import { runOrchestration } from "../../local/build/runner";
import { startApiHarness, type ApiHarness } from "../e2e/harness";
import { startSink, type Sink } from "../helpers/sink";
import { startDriftSweep } from "../../functions/driftSweep";
import { INPUT_DIGEST_TAG } from "../../orchestrations/shared/templates";
import { armRequest, nsgId, openSshByHand, SSH_FROM_ANYWHERE } from "./helpers";

/**
 * Issue 21, end to end on the local host: a build through the API with the sandbox's Resources events delivered to
 * the host's Event Grid webhook, then a person's direct PUT of the NSG, then remediation.
 */

const APP_OBJECT_ID = "00000000-0000-4000-8000-0000000000a1";
const SETTINGS = [
  "AKS_PLATFORM_APP_OBJECT_ID",
  "AKS_PLATFORM_TEAMS_WEBHOOK_URL",
  "AKS_PLATFORM_SLACK_WEBHOOK_URL",
  "AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS",
] as const;

let h: ApiHarness;
let sink: Sink;
const saved = SETTINGS.map((name) => [name, process.env[name]] as const);

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function finished(instanceId: string): Promise<unknown> {
  return waitFor(instanceId, async () => {
    const s = await h.host.driver.getStatus(instanceId);
    if (s?.runtimeStatus === "Failed") throw new Error(`${instanceId} failed: ${JSON.stringify(s.output)}`);
    return s?.runtimeStatus === "Completed" ? s.output : undefined;
  });
}

async function check(spec: PlatformSpec, id: string, act = false): Promise<DriftCheckResult> {
  const input: DriftCheckInput = { spec, trigger: "manual", act };
  return (await runOrchestration(h.host.driver, Orchestrations.driftCheck, id, input, 100)) as DriftCheckResult;
}

beforeAll(async () => {
  sink = await startSink({ defaultResponse: { status: 200, body: "ok" } });
  Object.assign(process.env, {
    AKS_PLATFORM_APP_OBJECT_ID: APP_OBJECT_ID,
    AKS_PLATFORM_TEAMS_WEBHOOK_URL: `${sink.url}/teams`,
    AKS_PLATFORM_SLACK_WEBHOOK_URL: `${sink.url}/slack`,
    AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS: sink.host,
  });
  h = await startApiHarness({ taskHub: "drifte2e", sandbox: { throttle: false, appObjectId: APP_OBJECT_ID } });
  h.sandbox.events.subscribe({
    endpoint: `${h.host.url}/runtime/webhooks/eventgrid?functionName=eventgridResources&code=${h.host.systemKey}`,
    resourceGroups: [defaultSpec.commonResourceGroup, ...defaultSpec.clusters.map((c) => c.resourceGroup)],
  });
  const started = await h.api(`environments/${defaultSpec.name}/provision`, { method: "POST" });
  expect(started.status).toBe(202);
  const build = await h.waitForRun(`environments/${defaultSpec.name}/provision`);
  expect(build.runtimeStatus).toBe("Completed");
  await h.sandbox.events.settled();
}, 300_000);

afterAll(async () => {
  await h?.stop();
  await sink?.close();
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe("drift on the sandbox platform", () => {
  it("the build's own writes reach the host as Resources events and raise no drift", async () => {
    const delivered = h.sandbox.events.history();
    expect(delivered.length).toBeGreaterThan(50);
    expect(delivered.every((e) => e.delivered)).toBe(true);
    const callers = new Set(
      delivered.map(
        (e) =>
          (e.event.data as { claims: Record<string, string> }).claims[
            "http://schemas.microsoft.com/identity/claims/objectidentifier"
          ],
      ),
    );
    expect([...callers]).toEqual([APP_OBJECT_ID]);
    expect(await h.host.driver.getStatus(driftWatchInstanceId(defaultSpec.name))).toBeUndefined();
  });

  it("a freshly built platform reports no drift (no false positives)", async () => {
    const { report } = await check(defaultSpec, "drift-noise");
    expect(report.errors).toEqual([]);
    expect(report.findings).toEqual([]);
    expect(report.units.length).toBeGreaterThan(15);
  });

  it("a person's PUT opening SSH on the NSG is reported as high-severity drift of the network unit within the quiet period", async () => {
    const before = sink.requests.length;
    const id = await openSshByHand(h.sandbox, defaultSpec);
    await h.sandbox.events.settled();
    const watch = (await finished(driftWatchInstanceId(defaultSpec.name))) as DriftWatchResult;
    expect(watch.units).toEqual([`${defaultSpec.name}-network-app1`]);
    const report = watch.check.report;
    expect(report.trigger).toBe("event");
    expect(report.severity).toBe("high");
    expect(report.findings).toHaveLength(1);
    const finding = report.findings[0]!;
    expect(finding.resourceId.toLowerCase()).toBe(id.toLowerCase());
    expect(finding.unit).toBe(`${defaultSpec.name}-network-app1`);
    expect(finding.changes).toHaveLength(1);
    expect(finding.changes[0]).toMatchObject({ change: "added", severity: "high", now: SSH_FROM_ANYWHERE });
    expect(finding.changes[0]!.path).toMatch(/^properties\.securityRules\[\d+\]$/);
    expect(finding.changes[0]!.text).toContain("allow-ssh-anywhere: Allow Inbound Tcp");

    // Stored for the ops page and the CLI, and one message per channel.
    const stored = await new DriftReportStore(reportContainer(process.env, DRIFT_REPORT_CONTAINER)).latest(
      defaultSpec.name,
    );
    expect(stored?.findings[0]?.resourceName).toBe(finding.resourceName);
    const messages = sink.requests.slice(before).map((r) => r.body);
    expect(messages.filter((b) => b.includes("allow-ssh-anywhere"))).toHaveLength(2);
  });

  it("with drift.mode remediate the network unit is re-deployed: the rule is gone and the next check finds no drift", async () => {
    const remediating: PlatformSpec = {
      ...defaultSpec,
      drift: { ...defaultSpec.drift, mode: "remediate", autoRemediate: [`${defaultSpec.name}-network-app1`] },
    };
    const result = await check(remediating, "drift-remediate", true);
    expect(result.report.severity).toBe("high");
    expect(result.remediation).toMatchObject({
      units: [`${defaultSpec.name}-network-app1`],
      failures: [],
      refused: [],
    });
    expect((result.remediation!.after as DriftReport).findings).toEqual([]);
    const nsg = await armRequest(h.sandbox, h.sandbox.identities.app, "GET", nsgId(h.sandbox, defaultSpec));
    const rules = (nsg.body as { properties: { securityRules: { name: string }[] } }).properties.securityRules;
    expect(rules.map((r) => r.name)).not.toContain(SSH_FROM_ANYWHERE.name);
    // The re-deploy is the app's own write: no new drift watch.
    await h.sandbox.events.settled();
    const { report } = await check(defaultSpec, "drift-after");
    expect(report.findings).toEqual([]);
  });

  it("the sweep checks the units due in its tick and removes the app's superseded deployment records, never others'", async () => {
    const group = `/subscriptions/${h.sandbox.subscriptionId}/resourceGroups/${defaultSpec.commonResourceGroup}`;
    const emptyTemplate = {
      $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
      contentVersion: "1.0.0.0",
      resources: [],
    };
    const record = (name: string, tags?: Record<string, string>) =>
      armRequest(
        h.sandbox,
        h.sandbox.identities.app,
        "PUT",
        `${group}/providers/Microsoft.Resources/deployments/${name}`,
        {
          ...(tags ? { tags } : {}),
          properties: { template: emptyTemplate, mode: "Incremental" },
        },
      );
    expect((await record("k8s-demo-aks-retired", { [INPUT_DIGEST_TAG]: "old" })).status).toBe(201);
    expect((await record("someone-elses-deployment")).status).toBe(201);

    // 06:01 UTC: the tick holding the first unit's slot of the 6-hour interval.
    const [started, ...others] = await startDriftSweep([defaultSpec], new Date(Date.UTC(2026, 11, 7, 6, 1)), {
      start: async (instanceId, input) => {
        await h.host.driver.startNew(Orchestrations.driftCheck, { instanceId, input });
      },
    });
    expect(others).toEqual([]);
    expect(started!.units).toEqual([`${defaultSpec.name}-network-mgmt`]);
    const result = (await finished(started!.instanceId)) as DriftCheckResult;
    expect(result.report.trigger).toBe("sweep");
    expect(result.report.units).toEqual([`${defaultSpec.name}-network-mgmt`]);
    expect(result.history?.removed).toEqual([
      { resourceGroup: defaultSpec.commonResourceGroup, name: "k8s-demo-aks-retired" },
    ]);
    const list = await armRequest(
      h.sandbox,
      h.sandbox.identities.app,
      "GET",
      `${group}/providers/Microsoft.Resources/deployments`,
    );
    const names = (list.body as { value: { name: string }[] }).value.map((d) => d.name);
    expect(names).toContain("someone-elses-deployment");
    expect(names).toContain(`${defaultSpec.name}-network-mgmt`);
    expect(names).not.toContain("k8s-demo-aks-retired");
  });
});
