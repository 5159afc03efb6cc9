import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { driftWatchInstanceId, type DriftReport } from "../../lib/drift";
import { defaultSpec, type PlatformSpec } from "../../lib/spec";
import type { DriftWatchResult } from "../../orchestrations/drift/contracts";
import { startApiHarness, type ApiHarness } from "../e2e/harness";
import { startSink, type Sink } from "../helpers/sink";
import { armRequest, nsgId, openSshByHand, specNamed, SSH_FROM_ANYWHERE } from "./helpers";

/**
 * Issue 21 with two environments built through the API on the local host, the sandbox's Resources events delivered
 * to the host's Event Grid webhook: the seed (`k8s-demo`, drift.mode report, Teams + Slack) and `lab` (two clusters,
 * drift.mode remediate for its network unit, its own Slack channel). A person's SSH rule on lab's NSG is reported to
 * lab only and removed by lab's policy; the same rule on the seed's NSG is reported to the seed only and left.
 */

const APP_OBJECT_ID = "00000000-0000-4000-8000-0000000000a1";

const lab = specNamed("lab", (raw) => {
  raw["clusters"] = (raw["clusters"] as { name: string }[]).filter((c) => c.name !== "app2");
  raw["notifications"] = {
    channels: [{ name: "lab-slack", kind: "slack", webhookSetting: "LAB_SLACK_WEBHOOK_URL" }],
    routes: [{ severities: ["info", "warning", "critical"], channels: ["lab-slack"] }],
    digestWindowMinutes: 0,
  };
  raw["drift"] = {
    mode: "remediate",
    autoRemediate: ["lab-network-app1"],
    quietPeriodSeconds: 60,
    sweepIntervalHours: 6,
  };
});

describe("drift in two environments (local host + sandbox ARM + Azurite + webhook sink)", () => {
  let h: ApiHarness;
  let sink: Sink;
  const seedBodies = () => [...sink.requestsTo("/seed-teams"), ...sink.requestsTo("/seed-slack")].map((r) => r.body);
  const labBodies = () => sink.requestsTo("/lab-slack").map((r) => r.body);

  async function watched(environment: string): Promise<DriftWatchResult> {
    const instanceId = driftWatchInstanceId(environment);
    for (const end = Date.now() + 120_000; Date.now() < end;) {
      const s = await h.host.driver.getStatus(instanceId);
      if (s?.runtimeStatus === "Failed") throw new Error(`${instanceId} failed: ${JSON.stringify(s.output)}`);
      if (s?.runtimeStatus === "Completed") return s.output as DriftWatchResult;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out waiting for ${instanceId}`);
  }

  beforeAll(async () => {
    sink = await startSink({ defaultResponse: { status: 200, body: "ok" } });
    h = await startApiHarness({
      taskHub: "drifttwoenv",
      sandbox: { throttle: false, appObjectId: APP_OBJECT_ID },
      values: {
        AKS_PLATFORM_APP_OBJECT_ID: APP_OBJECT_ID,
        AKS_PLATFORM_TEAMS_WEBHOOK_URL: `${sink.url}/seed-teams`,
        AKS_PLATFORM_SLACK_WEBHOOK_URL: `${sink.url}/seed-slack`,
        LAB_SLACK_WEBHOOK_URL: `${sink.url}/lab-slack`,
        AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS: sink.host,
      },
    });
    const groups = (spec: PlatformSpec) => [spec.commonResourceGroup, ...spec.clusters.map((c) => c.resourceGroup)];
    h.sandbox.events.subscribe({
      endpoint: `${h.host.url}/runtime/webhooks/eventgrid?functionName=eventgridResources&code=${h.host.systemKey}`,
      resourceGroups: [...groups(defaultSpec), ...groups(lab)],
    });
    const post = (env: string, body?: PlatformSpec) =>
      h.api(`environments/${env}/provision`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    expect((await post(defaultSpec.name)).status).toBe(202);
    expect((await post("lab", lab)).status).toBe(202);
    const builds = await Promise.all([
      h.waitForRun(`environments/${defaultSpec.name}/provision`),
      h.waitForRun("environments/lab/provision"),
    ]);
    expect(builds.map((b) => b.runtimeStatus)).toEqual(["Completed", "Completed"]);
    await h.sandbox.events.settled();
  }, 400_000);

  afterAll(async () => {
    await h?.stop();
    await sink?.close();
  });

  it("the builds' own writes in both environments raise no drift", async () => {
    expect(await h.host.driver.getStatus(driftWatchInstanceId(defaultSpec.name))).toBeUndefined();
    expect(await h.host.driver.getStatus(driftWatchInstanceId("lab"))).toBeUndefined();
  });

  it("an SSH rule on lab's NSG is lab's drift, reported to lab's channel only and removed by lab's remediate policy", async () => {
    const seedBefore = seedBodies().length;
    const id = await openSshByHand(h.sandbox, lab);
    await h.sandbox.events.settled();
    const watch = await watched("lab");
    expect(watch.units).toEqual(["lab-network-app1"]);
    expect(watch.check.report).toMatchObject({ environment: "lab", severity: "high" });
    expect(watch.check.report.findings.map((f) => f.resourceId.toLowerCase())).toEqual([id.toLowerCase()]);
    expect(watch.check.remediation).toMatchObject({ units: ["lab-network-app1"], failures: [], refused: [] });
    expect((watch.check.remediation!.after as DriftReport).findings).toEqual([]);
    const nsg = await armRequest(h.sandbox, h.sandbox.identities.app, "GET", nsgId(h.sandbox, lab));
    const rules = (nsg.body as { properties: { securityRules: { name: string }[] } }).properties.securityRules;
    expect(rules.map((r) => r.name)).not.toContain(SSH_FROM_ANYWHERE.name);

    expect(labBodies().some((b) => b.includes("allow-ssh-anywhere"))).toBe(true);
    expect(
      seedBodies()
        .slice(seedBefore)
        .filter((b) => b.includes("allow-ssh-anywhere")),
    ).toEqual([]);
    expect(await h.host.driver.getStatus(driftWatchInstanceId(defaultSpec.name))).toBeUndefined();
  });

  it("the same rule on the seed's NSG is the seed's drift, reported to the seed only and left (mode report)", async () => {
    const labBefore = labBodies().length;
    await h.sandbox.events.settled();
    const id = await openSshByHand(h.sandbox, defaultSpec);
    await h.sandbox.events.settled();
    const watch = await watched(defaultSpec.name);
    expect(watch.units).toEqual([`${defaultSpec.name}-network-app1`]);
    expect(watch.check.report.findings.map((f) => f.resourceId.toLowerCase())).toEqual([id.toLowerCase()]);
    expect(watch.check.remediation).toBeUndefined();
    expect(seedBodies().filter((b) => b.includes("allow-ssh-anywhere"))).toHaveLength(2);
    expect(labBodies().slice(labBefore)).toEqual([]);
    const nsg = await armRequest(h.sandbox, h.sandbox.identities.app, "GET", nsgId(h.sandbox, defaultSpec));
    const rules = (nsg.body as { properties: { securityRules: { name: string }[] } }).properties.securityRules;
    expect(rules.map((r) => r.name)).toContain(SSH_FROM_ANYWHERE.name);
  });
});
