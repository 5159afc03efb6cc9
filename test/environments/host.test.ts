import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storageFromConnectionString } from "../../lib/azure";
import { EnvironmentRegistry, type EnvironmentRecord } from "../../lib/environments";
import { UNSET_SUBSCRIPTION_ID } from "../../lib/spec";
import { getRegistry } from "../../local/registry";
import { startApiHarness, type ApiHarness } from "../e2e/harness";
import { startSink, type Sink } from "../helpers/sink";
import { slackOnly, specNamed } from "../helpers/specs";

/**
 * The registry on the local host (HTTP API, real orchestrations on the durable driver, sandbox ARM, Azurite):
 * every build, teardown and restore records its own end, read here straight from the registry table without
 * anyone calling `GET /api/environments`; and every route taking `{env}` refuses a bad name and an unknown
 * environment the same way.
 */

const SUBSCRIPTION = "11111111-2222-4333-8444-555555555555";

const specIn = (name: string, subscriptionId: string) =>
  specNamed(name, (raw) => {
    raw["subscriptionId"] = subscriptionId;
    raw["clusters"] = (raw["clusters"] as { name: string }[]).filter((c) => c.name !== "app2");
    raw["notifications"] = slackOnly(`${name}-slack`, `${name.toUpperCase()}_SLACK_WEBHOOK_URL`);
  });
const lab = specIn("lab", SUBSCRIPTION);

describe("the registry follows the work (local host + sandbox ARM + Azurite)", () => {
  let h: ApiHarness;
  let sink: Sink;
  let registry: EnvironmentRegistry;
  const post = (route: string, body?: unknown) =>
    h.api(route, {
      method: "POST",
      headers: { "content-type": "application/json" },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  const recorded = async (): Promise<EnvironmentRecord | undefined> => registry.find("lab");

  beforeAll(async () => {
    sink = await startSink({ defaultResponse: { status: 200, body: "ok" } });
    h = await startApiHarness({
      taskHub: "registryhost",
      sandbox: { subscriptionId: SUBSCRIPTION },
      values: {
        AKS_PLATFORM_SUBSCRIPTION_ID: SUBSCRIPTION,
        LAB_SLACK_WEBHOOK_URL: `${sink.url}/lab`,
        NOSUB_SLACK_WEBHOOK_URL: `${sink.url}/nosub`,
        AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS: sink.host,
      },
    });
    // The host's own storage, read directly: nothing here goes through GET /api/environments.
    registry = await EnvironmentRegistry.open({
      storage: storageFromConnectionString(process.env.AzureWebJobsStorage!),
    });
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
    await sink?.close();
  });

  it("refuses at once, with one alert naming the cause, a build with no subscription (none in the spec, no setting)", async () => {
    const saved = process.env.AKS_PLATFORM_SUBSCRIPTION_ID;
    delete process.env.AKS_PLATFORM_SUBSCRIPTION_ID;
    try {
      const refused = await post("environments/nosub/provision", specIn("nosub", UNSET_SUBSCRIPTION_ID));
      expect(refused.status).toBe(422);
      expect(((await refused.json()) as { cause: string }).cause).toBe(
        "no subscription: the spec of nosub names none and AKS_PLATFORM_SUBSCRIPTION_ID is not set (ARM: SubscriptionNotFound)",
      );
    } finally {
      process.env.AKS_PLATFORM_SUBSCRIPTION_ID = saved;
    }
    for (let i = 0; i < 100 && sink.requestsTo("/nosub").length === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    const alerts = sink.requestsTo("/nosub").map((r) => r.body);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toContain("AKS_PLATFORM_SUBSCRIPTION_ID is not set");
    // Nothing was started: no build to follow, nothing retries; the registry says why.
    expect((await h.api("environments/nosub/provision")).status).toBe(404);
    expect(await registry.find("nosub")).toMatchObject({
      state: "failed",
      lastError: expect.stringContaining("no subscription"),
    });
    expect(h.sandbox.counters.snapshot().writes).toBe(0);
    expect(await registry.remove("nosub")).toBe(true);
  }, 60_000);

  it("every route taking {env} answers a bad name with 400 and an unknown environment with 404 naming the known ones", async () => {
    const routes = getRegistry()
      .byTrigger("httpTrigger")
      .map((fn) => String(fn.trigger["route"]))
      .filter((route) => route.includes("{env}"));
    expect(routes.length).toBeGreaterThanOrEqual(10);
    const fill = (route: string, env: string) =>
      route
        .replace("{env}", env)
        .replace("{cluster}", "app1")
        .replace(/\{id\??\}/, "r1")
        .replace("{action}", "approve")
        .replace("{panel}", "clusters");
    for (const route of routes) {
      const answers: [string, number, string][] = [];
      for (const method of ["GET", "POST", "DELETE"]) {
        // A POST of a build is how an environment is registered: its own checks answer it.
        if (method === "POST" && route === "environments/{env}/provision") continue;
        const unknown = await h.api(fill(route, "nowhere"), { method });
        const body = (await unknown.json()) as { error: string };
        answers.push([method, unknown.status, body.error]);
        const bad = await h.api(fill(route, "Bad_Env"), { method });
        expect([route, method, bad.status, ((await bad.json()) as { parameter?: string }).parameter]).toEqual([
          route,
          method,
          bad.status === 405 ? 405 : 400,
          bad.status === 405 ? undefined : "env",
        ]);
      }
      // Each method either is not the route's (405) or gets the 404; at least one gets the 404.
      for (const [method, status, error] of answers) {
        if (status !== 405)
          expect([route, method, status, error]).toEqual([
            route,
            method,
            404,
            "unknown environment nowhere (known: k8s-demo)",
          ]);
      }
      expect(
        answers.some(([, status]) => status === 404),
        route,
      ).toBe(true);
    }
  }, 120_000);

  it("a what-if records nothing (its answer is still there); a failed and a succeeded build record their end", async () => {
    expect((await post("environments/lab/provision?mode=whatif", lab)).status).toBe(202);
    expect((await h.waitForRun("environments/lab/provision?mode=whatif")).runtimeStatus).toBe("Completed");
    expect(await recorded()).toBeUndefined();
    // Its answer is there all the same, though the registry does not know lab yet.
    expect((await h.api("environments/lab/provision")).status).toBe(404);

    const fault = h.sandbox.faults.add({
      match: { resourceType: "Microsoft.ContainerService/managedClusters", path: "aks-lab-app1" },
      effect: { kind: "failResource", code: "QuotaExceeded", message: "exceeding approved cores quota" },
    });
    expect((await post("environments/lab/provision", lab)).status).toBe(202);
    expect((await h.waitForRun("environments/lab/provision")).runtimeStatus).toBe("Failed");
    const failed = await recorded();
    expect(failed).toMatchObject({ state: "failed", lastWork: { kind: "build", outcome: "failed" } });
    expect(failed?.lastError).toMatch(/lab-aks-app1 \(cluster app1\): failed: QuotaExceeded/);
    h.sandbox.faults.remove(fault.id);

    expect((await post("environments/lab/provision", lab)).status).toBe(202);
    expect((await h.waitForRun("environments/lab/provision")).runtimeStatus).toBe("Completed");
    const built = await recorded();
    expect(built).toMatchObject({ state: "built", lastWork: { kind: "build", outcome: "succeeded" } });
    expect(built?.lastError).toBeUndefined();
    expect(built?.builtAt).toBe(built?.lastWork?.endedAt);
  }, 240_000);

  it("a teardown records the cluster as removed; a cancelled rebuild records `canceled`", async () => {
    expect((await h.api("environments/lab/clusters/app1", { method: "DELETE" })).status).toBe(202);
    expect(await h.waitForRun("environments/lab/clusters/app1")).toMatchObject({ runtimeStatus: "Completed" });
    expect(await recorded()).toMatchObject({
      state: "built",
      tornDownClusters: ["app1"],
      lastWork: { kind: "teardown", cluster: "app1", outcome: "succeeded" },
    });

    expect((await post("environments/lab/provision", lab)).status).toBe(202);
    for (let i = 0; i < 300; i++) {
      const status = (await (await h.api("environments/lab/provision")).json()) as {
        progress?: { deployments: { state: string }[] };
      };
      if (status.progress?.deployments.some((d) => d.state === "running")) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await post("environments/lab/provision/cancel")).status).toBe(202);
    expect((await h.waitForRun("environments/lab/provision")).runtimeStatus).toBe("Canceled");
    expect(await recorded()).toMatchObject({
      state: "canceled",
      // A cancelled build did not bring app1 back.
      tornDownClusters: ["app1"],
      lastWork: { kind: "build", outcome: "canceled" },
    });
  }, 240_000);
});
