import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CUSTOM_STATUS_LIMIT_BYTES, customStatusBytes } from "../../lib/custom-status";
import { PLAN_TENANT_ID } from "../../lib/plan";
import { defaultSpec } from "../../lib/spec";
import { differences, plannedResources, startApiHarness, type ApiHarness } from "./harness";

/**
 * OPS-1 end to end: the default spec built through the HTTP API on the local host, the real orchestrations and
 * activities, the real Azure SDK and the sandbox ARM over HTTPS.
 */

const ENV = defaultSpec.name;

interface ResourceView {
  id: string;
  properties?: Record<string, unknown>;
}

describe("provisioning through the HTTP API (local host + sandbox ARM)", () => {
  let h: ApiHarness;
  const api = (route: string, init?: RequestInit, key?: string | null) => h.api(route, init, key);
  const waitForBuild = () => h.waitForRun(`environments/${ENV}/provision`);

  beforeAll(async () => {
    // The plan is expanded offline with the placeholder tenant; the sandbox uses the same one so they compare.
    h = await startApiHarness({ taskHub: "e2eapi", sandbox: { tenantId: PLAN_TENANT_ID } });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it("refuses bad requests with clear answers and starts nothing", async () => {
    expect((await api(`environments/${ENV}/provision`, { method: "POST" }, null)).status).toBe(401);

    const wrongMethod = await api(`environments/${ENV}/provision`, { method: "PUT" });
    expect(wrongMethod.status).toBe(405);

    const badSpec = await api(`environments/${ENV}/provision`, {
      method: "POST",
      body: JSON.stringify({ ...defaultSpec, location: "Korea Central", clusters: [] }),
    });
    expect(badSpec.status).toBe(400);
    const problems = ((await badSpec.json()) as { problems: { path: string; message: string }[] }).problems;
    expect(problems.map((p) => p.path)).toEqual(expect.arrayContaining(["location", "clusters"]));

    const badMode = await api(`environments/${ENV}/provision?mode=yolo`, { method: "POST" });
    expect(badMode.status).toBe(400);
    expect(((await badMode.json()) as { error: string }).error).toContain("mode");

    const huge = await api(`environments/${ENV}/provision`, { method: "POST", body: "x".repeat(1024 * 1024 + 1) });
    expect(huge.status).toBe(413);

    expect((await api(`environments/${ENV}/provision`)).status).toBe(404);
    expect(h.sandbox.counters.snapshot().writes).toBe(0);
  });

  it("builds the default spec: 202, 409 for a second build, every planned resource in ARM as planned", async () => {
    const started = await api(`environments/${ENV}/provision`, { method: "POST" });
    expect(started.status).toBe(202);
    const body = (await started.json()) as { instanceId: string; statusUrl: string };
    expect(body.instanceId).toBe(`build:${ENV}`);

    const second = await api(`environments/${ENV}/provision`, { method: "POST" });
    expect(second.status).toBe(409);
    expect(((await second.json()) as { instanceId: string }).instanceId).toBe(`build:${ENV}`);

    const final = await waitForBuild();
    expect(final.runtimeStatus, JSON.stringify(final.failure)).toBe("Completed");
    const progress = final.progress as {
      istioRevision: string;
      deployments: { state: string; startedAt?: string; correlationId?: string }[];
    };
    expect(progress.deployments.every((d) => d.state === "succeeded" && d.startedAt !== undefined)).toBe(true);
    // The custom status keeps the polled form, within Durable's 16 KB with a margin; the output has the rest.
    expect(progress.deployments.every((d) => d.correlationId !== undefined)).toBe(true);
    const raw = await h.host.driver.getStatus(`build:${ENV}`);
    expect(customStatusBytes(raw?.customStatus)).toBeLessThan(0.9 * CUSTOM_STATUS_LIMIT_BYTES);

    const inArm = new Map((h.sandbox.state.resources() as ResourceView[]).map((r) => [r.id.toLowerCase(), r]));
    // The build looked the Istio revision up in the (sandbox) region; the plan must use the same one.
    const built = { ...defaultSpec, istio: { revision: progress.istioRevision } };
    const planned = plannedResources(built).filter((r) => r.type !== "Microsoft.Resources/resourceGroups");
    const missing = planned.filter((r) => !inArm.has(r.id.toLowerCase())).map((r) => r.id);
    expect(missing).toEqual([]);
    const mismatched = planned.flatMap((r) =>
      differences(r.properties, inArm.get(r.id.toLowerCase())?.properties).map((d) => `${r.id} ${d}`),
    );
    expect(mismatched).toEqual([]);

    const plan = await api(`environments/${ENV}/plan`);
    expect(plan.status).toBe(200);
    expect(((await plan.json()) as { phases: unknown[] }).phases.length).toBeGreaterThanOrEqual(5);
  });

  it("a second build of the same spec changes nothing: what-if sees no change, nothing is redeployed", async () => {
    const before = h.sandbox.counters.snapshot();

    expect((await api(`environments/${ENV}/provision?mode=whatif`, { method: "POST" })).status).toBe(202);
    const whatIf = await h.waitForRun(`environments/${ENV}/provision?mode=whatif`);
    expect(whatIf.runtimeStatus).toBe("Completed");
    const previews = (
      whatIf.progress as { deployments: { whatIf?: { create: number; modify: number; delete: number } }[] }
    ).deployments;
    expect(previews.every((d) => d.whatIf && d.whatIf.create + d.whatIf.modify + d.whatIf.delete === 0)).toBe(true);
    const rawWhatIf = await h.host.driver.getStatus(`whatif:${ENV}`);
    expect(customStatusBytes(rawWhatIf?.customStatus)).toBeLessThan(0.9 * CUSTOM_STATUS_LIMIT_BYTES);

    expect((await api(`environments/${ENV}/provision`, { method: "POST" })).status).toBe(202);
    const rerun = await waitForBuild();
    expect(rerun.runtimeStatus).toBe("Completed");
    const deployments = (rerun.progress as { deployments: { reused?: boolean }[] }).deployments;
    expect(deployments.every((d) => d.reused === true)).toBe(true);
    expect(h.sandbox.counters.snapshot().modifiedResources).toBe(before.modifiedResources);
  });
});
