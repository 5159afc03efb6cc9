import { describe, expect, it } from "vitest";
import type { InstanceView } from "../../lib/api/builds";
import type { ApiRequest } from "../../lib/api/http";
import { handleUpgradeAction, handleUpgrades, newRunId, type UpgradeInstances } from "../../lib/api/upgrades";
import { defaultSpec } from "../../lib/spec";
import { asEnvironments } from "../../local/cli/target-environments";
import { upgradeInstanceId, type UpgradeRunInput } from "../../lib/upgrade";

// The upgrade API's answers (the durable side is an in-memory instance table; the orchestration is tested end to
// end in run.test.ts).

function instances(views: Record<string, InstanceView> = {}) {
  const raised: [string, string, unknown][] = [];
  const started: UpgradeRunInput[] = [];
  const api: UpgradeInstances = {
    get: (id) => Promise.resolve(views[id]),
    start(id, input) {
      started.push(input);
      views[id] = {
        instanceId: id,
        runtimeStatus: "Running",
        input,
        customStatus: { runId: input.runId, state: "planning" },
      };
      return Promise.resolve();
    },
    raiseEvent(id, name, data) {
      raised.push([id, name, data]);
      return Promise.resolve();
    },
    terminate: () => Promise.resolve(),
    managementUrls: () => ({}),
  };
  return { api, raised, started, views };
}

function req(method: string, params: Record<string, string>, body?: string): ApiRequest {
  return {
    method,
    url: `https://app/api/environments/${params.env}/upgrades`,
    params,
    query: new URLSearchParams(),
    headers: { get: () => null },
    text: () => Promise.resolve(body ?? ""),
  };
}

const env = defaultSpec.name;
const lab = { ...defaultSpec, name: "lab", clusters: defaultSpec.clusters.slice(0, 2) };
/** The registry: the seed and lab. */
const registry = asEnvironments(
  new Map([
    [env, defaultSpec],
    ["lab", lab],
  ]),
);
const now = () => new Date("2026-12-07T06:00:00.123Z");

describe("upgrade API", () => {
  it("starts a run with a readable id and refuses a second one while it runs", async () => {
    const i = instances();
    const first = await handleUpgrades(
      req("POST", { env }, '{"target":{"kubernetesVersion":"1.34"}}'),
      i.api,
      registry,
      now,
    );
    expect(first.status).toBe(202);
    expect(first.jsonBody).toMatchObject({
      runId: newRunId(env, now()),
      statusUrl: `https://app/api/environments/${env}/upgrades/${env}-20261207T060000Z`,
    });
    expect(i.started[0]).toMatchObject({ target: { kubernetesVersion: "1.34" }, approved: false, spec: { name: env } });
    const second = await handleUpgrades(req("POST", { env }, '{"target":{"nodeImage":true}}'), i.api, registry, now);
    expect(second.status).toBe(409);
    expect((second.jsonBody as { error: string }).error).toContain(
      `upgrade run ${env}-20261207T060000Z of environment ${env} is planning`,
    );
  });

  it.each([
    ['{"target":{}}', "target: give a target: kubernetesVersion, istioRevision and/or nodeImage: true"],
    ['{"target":{"kubernetesVersion":"latest"}}', "target.kubernetesVersion: a version such as 1.34 or 1.34.1"],
    ['{"target":{"istioRevision":"1.27"}}', "target.istioRevision: an Istio add-on revision such as asm-1-27"],
  ])("answers 400 naming what is wrong in %s", async (body, problem) => {
    const res = await handleUpgrades(req("POST", { env }, body), instances().api, registry, now);
    expect(res.status).toBe(400);
    expect((res.jsonBody as { problems: string[] }).problems).toContain(problem);
  });

  it.each([
    ["restore", "restore:lab:app1"],
    ["teardown", "teardown:lab:app1"],
  ])("refuses a run while a %s of one of its clusters runs (409 naming it)", async (what, id) => {
    const i = instances({ [id]: { instanceId: id, runtimeStatus: "Running" } });
    const res = await handleUpgrades(
      req("POST", { env: "lab" }, '{"target":{"nodeImage":true}}'),
      i.api,
      registry,
      now,
    );
    expect(res.status).toBe(409);
    expect((res.jsonBody as { error: string }).error).toBe(
      `a ${what} of cluster app1 is running; upgrade lab after it ends`,
    );
    expect(i.started).toEqual([]);
  });

  it("starts a run of any registered environment with that environment's spec", async () => {
    const i = instances();
    const res = await handleUpgrades(
      req("POST", { env: "lab" }, '{"target":{"nodeImage":true}}'),
      i.api,
      registry,
      now,
    );
    expect(res.status).toBe(202);
    expect(i.started[0]?.spec).toEqual(lab);
    expect(i.views[upgradeInstanceId("lab")]).toBeDefined();
  });

  it("answers 404 naming the known environments for an unknown one, 404 for an unknown run and 405 for other methods", async () => {
    for (const res of [
      await handleUpgrades(
        req("POST", { env: "other" }, '{"target":{"nodeImage":true}}'),
        instances().api,
        registry,
        now,
      ),
      await handleUpgrades(req("GET", { env: "other" }), instances().api, registry, now),
      await handleUpgradeAction(req("POST", { env: "other", id: "r1", action: "approve" }), instances().api, registry),
    ]) {
      expect(res.status).toBe(404);
      expect((res.jsonBody as { error: string }).error).toBe("unknown environment other (known: k8s-demo, lab)");
    }
    expect((await handleUpgrades(req("GET", { env, id: "nope" }), instances().api, registry, now)).status).toBe(404);
    expect((await handleUpgrades(req("DELETE", { env }), instances().api, registry, now)).status).toBe(405);
  });

  it("raises approval only while the run waits for it, and turns cancel of a blocked run into a clean stop", async () => {
    const id = upgradeInstanceId(env);
    const view = (state: string, waitingFor?: string): InstanceView => ({
      instanceId: id,
      runtimeStatus: "Running",
      customStatus: { runId: "r1", state, ...(waitingFor ? { waitingFor } : {}) },
    });
    const running = instances({ [id]: view("running") });
    expect(
      (await handleUpgradeAction(req("POST", { env, id: "r1", action: "approve" }), running.api, registry)).status,
    ).toBe(409);
    const waiting = instances({ [id]: view("waiting-approval", "approval") });
    expect(
      (await handleUpgradeAction(req("POST", { env, id: "r1", action: "approve" }), waiting.api, registry)).status,
    ).toBe(202);
    expect(waiting.raised).toEqual([[id, "approval", { approved: true }]]);
    const blocked = instances({ [id]: view("blocked", "resume") });
    expect(
      (await handleUpgradeAction(req("POST", { env, id: "r1", action: "cancel" }), blocked.api, registry)).status,
    ).toBe(202);
    expect(blocked.raised).toEqual([[id, "resume", { action: "stop" }]]);
    expect(
      (await handleUpgradeAction(req("POST", { env, id: "r2", action: "resume" }), blocked.api, registry)).status,
    ).toBe(404);
  });
});
