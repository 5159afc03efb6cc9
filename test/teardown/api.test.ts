import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultSpec } from "../../lib/spec";
import { startApiHarness, type ApiHarness } from "../e2e/harness";

/**
 * RG-1 through the HTTP API on the local host (function keys, the durable client binding, the real orchestration
 * and activities) against the sandbox ARM: the refusals, then a teardown of app2 after one build.
 */

const ENV = defaultSpec.name;
const app2 = defaultSpec.clusters.find((c) => c.name === "app2")!;

interface Problem {
  error: string;
  clusters?: string[];
  instanceId?: string;
}

describe("DELETE /api/environments/{env}/clusters/{cluster} (local host + sandbox ARM)", () => {
  let h: ApiHarness;
  const api = (route: string, init?: RequestInit, key?: string | null) => h.api(route, init, key);
  const clusterUrl = (cluster: string) => `environments/${ENV}/clusters/${cluster}`;
  const waitFor = (route: string) => h.waitForRun(route);

  beforeAll(async () => {
    h = await startApiHarness({ taskHub: "teardownapi" });
  });

  afterAll(async () => {
    await h?.stop();
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
    const badChoice = await api(`${clusterUrl("app2")}?deleteBackups=yes`, { method: "DELETE" });
    expect(badChoice.status).toBe(400);
    expect(((await badChoice.json()) as Problem).error).toContain("deleteBackups must be true or false, not 'yes'");
    expect(h.sandbox.counters.snapshot().writes).toBe(0);
  });

  it("refuses while a build runs, then tears app2 down: 202, 409 for a second request, status until done", async () => {
    expect((await api(`environments/${ENV}/provision`, { method: "POST" })).status).toBe(202);
    const duringBuild = await api(clusterUrl("app2"), { method: "DELETE" });
    expect(duringBuild.status).toBe(409);
    const buildConflict = (await duringBuild.json()) as Problem;
    expect(buildConflict.error).toContain("build");
    expect(buildConflict.instanceId).toBe(`build:${ENV}`);

    const build = await waitFor(`environments/${ENV}/provision`);
    expect(build.runtimeStatus, JSON.stringify(build.failure)).toBe("Completed");
    const groupId = `/subscriptions/${defaultSpec.subscriptionId}/resourceGroups/${app2.resourceGroup}/`.toLowerCase();
    const inGroup = () =>
      (h.sandbox.state.resources() as { id: string }[]).filter((r) => r.id.toLowerCase().startsWith(groupId));
    expect(inGroup().length).toBeGreaterThan(0);

    // Peering deletes answer slowly, so the cancel below arrives while the teardown is detaching.
    h.sandbox.faults.add({
      match: { method: "DELETE", path: "virtualNetworkPeerings" },
      effect: { kind: "latency", ms: 1500 },
    });
    const started = await api(clusterUrl("app2"), { method: "DELETE" });
    expect(started.status).toBe(202);
    const body = (await started.json()) as { instanceId: string; statusUrl: string; cluster: string; backups: string };
    expect(body.cluster).toBe("app2");
    expect(body.backups).toBe("kept (protection stopped)");
    expect(started.headers.get("location")).toBe(body.statusUrl);

    const again = await api(clusterUrl("app2"), { method: "DELETE" });
    expect(again.status).toBe(409);
    expect(((await again.json()) as Problem).error).toContain("teardown");

    // Cancel: it stops before its next delete (never the resource group half-way) and ends Canceled listing what
    // was deleted and what is left (before: no cancel route, the teardown could not be stopped).
    const cancel = await api(`${clusterUrl("app2")}/teardown/cancel`, {
      method: "POST",
      headers: { "x-ms-client-principal-name": "ops@example.com" },
    });
    expect(cancel.status).toBe(202);
    expect(((await cancel.json()) as { cancelling: string[] }).cancelling).toEqual([body.instanceId]);
    const canceled = await waitFor(clusterUrl("app2"));
    h.sandbox.faults.clear();
    expect(canceled.runtimeStatus, JSON.stringify(canceled.failure)).toBe("Canceled");
    const what = canceled.canceled as { deleted: string[]; left: string[]; requestedBy?: string };
    expect(what.requestedBy).toBe("ops@example.com");
    expect(what.left).toContain(`resource group ${app2.resourceGroup}`);
    expect(what.left.length).toBeGreaterThan(0);
    expect(inGroup().length).toBeGreaterThan(0);
    // Nothing of the cancelled teardown writes any more: 600 simulated seconds per real second pass.
    const writes = h.sandbox.counters.snapshot().writes;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(h.sandbox.counters.snapshot().writes).toBe(writes);
    // A cancel with nothing running is a 409 naming that.
    expect((await api(`${clusterUrl("app2")}/teardown/cancel`, { method: "POST" })).status).toBe(409);

    // Run again, it finishes.
    expect((await api(clusterUrl("app2"), { method: "DELETE" })).status).toBe(202);
    const final = await waitFor(clusterUrl("app2"));
    expect(final.runtimeStatus, JSON.stringify(final.failure)).toBe("Completed");
    const result = final.result as { succeeded: boolean; forgottenDeployments: string[] };
    expect(result.succeeded).toBe(true);
    expect(result.forgottenDeployments).toContain(`${ENV}-aks-app2`);
    expect(inGroup()).toEqual([]);
  });
});
