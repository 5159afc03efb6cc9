import { afterEach, describe, expect, it } from "vitest";
import { handleProvision } from "../../lib/api/builds";
import { defaultSpec } from "../../lib/spec";
import { runBuild } from "../../local/build/runner";
import { statusText } from "../../local/cli/commands/up";
import { startSink } from "../helpers/sink";
import { startPlatform, type Platform } from "../helpers/platform";

/**
 * OPS-1 under the faults Azure really produces: throttling storms, transient 500s, a permanent failure of one
 * cluster (the others finish; a re-run resumes only the failed part), and ARM's refusal of concurrent writes.
 */

let runtime: Platform | undefined;

afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

const byName = (status: Awaited<ReturnType<typeof runBuild>>["status"]) =>
  new Map((status?.deployments ?? []).map((d) => [d.name, d]));

describe("provisioning under faults (local driver + sandbox ARM)", () => {
  it("rides out a 429 storm and transient 500s and still builds everything", async () => {
    runtime = await startPlatform({ spec: defaultSpec });
    runtime.sandbox.faults.add({
      match: { path: "/deployments/" },
      effect: { kind: "throttle", retryAfterSeconds: 1 },
      times: 25,
    });
    runtime.sandbox.faults.add({
      match: { method: "PUT", path: "/deployments/k8s-demo-network" },
      effect: { kind: "error", status: 500, code: "InternalServerError" },
      times: 2,
    });
    const outcome = await runBuild(runtime, defaultSpec, "deploy");
    expect(outcome.runtimeStatus, outcome.failure).toBe("Completed");
    expect(runtime.sandbox.counters.snapshot().throttled).toBeGreaterThanOrEqual(25);
    expect(runtime.sandbox.faults.list()).toEqual([]);
  });

  it("a permanent failure of app2's cluster leaves mgmt and app1 built, reports ARM's error, and a re-run redoes only app2", async () => {
    runtime = await startPlatform({ spec: defaultSpec });
    const fault = runtime.sandbox.faults.add({
      match: { resourceType: "Microsoft.ContainerService/managedClusters", path: "aks-k8s-demo-app2" },
      effect: {
        kind: "failResource",
        code: "QuotaExceeded",
        message: "Operation could not be completed as it results in exceeding approved cores quota",
      },
    });
    const failed = await runBuild(runtime, defaultSpec, "deploy");
    expect(failed.runtimeStatus).toBe("Failed");
    const first = byName(failed.status);
    for (const cluster of ["mgmt", "app1"]) {
      expect(first.get(`k8s-demo-aks-${cluster}`)?.state).toBe("succeeded");
      expect(first.get(`k8s-demo-addons-${cluster}`)?.state).toBe("succeeded");
    }
    const app2 = first.get("k8s-demo-aks-app2");
    expect(app2?.state).toBe("failed");
    expect(JSON.stringify(app2?.error)).toContain("QuotaExceeded");
    expect(failed.failure).toContain("k8s-demo-aks-app2");
    // The message names ARM's innermost error and the resource, not the DeploymentFailed wrapper.
    expect(failed.failure).toMatch(
      /k8s-demo-aks-app2 \(cluster app2\): failed: QuotaExceeded: Operation could not be completed .*\(resource [^)]*aks-k8s-demo-app2\)/,
    );
    expect(first.get("k8s-demo-addons-app2")?.state).toBe("skipped");
    // `GET …/provision` names the innermost cause and the resource it hit.
    const answer = await handleProvision(
      {
        method: "GET",
        url: `http://127.0.0.1/api/environments/${defaultSpec.name}/provision`,
        params: { env: defaultSpec.name },
        query: new URLSearchParams(),
        headers: new Headers(),
        text: () => Promise.resolve(""),
      },
      runtime.instances,
    );
    expect((answer.jsonBody as { causes: unknown[] }).causes).toContainEqual(
      expect.objectContaining({
        deployment: "k8s-demo-aks-app2",
        cluster: "app2",
        code: "QuotaExceeded",
        target: expect.stringContaining("aks-k8s-demo-app2") as unknown,
      }),
    );
    // `aks-platform status` says why, per deployment.
    const text = statusText(
      defaultSpec.name,
      (await runtime.instances.get(failed.instanceId))!,
      failed.status,
      undefined,
    );
    expect(text).toMatch(
      /failed\s+k8s-demo-aks-app2\s+QuotaExceeded: Operation could not be completed[^\n]*\(resource [^)]*aks-k8s-demo-app2\)/,
    );

    runtime.sandbox.faults.remove(fault.id);
    const rerun = await runBuild(runtime, defaultSpec, "deploy");
    expect(rerun.runtimeStatus, rerun.failure).toBe("Completed");
    const redone = [...byName(rerun.status).values()].filter((d) => !d.reused).map((d) => d.name);
    expect(redone.sort()).toEqual(
      ["k8s-demo-addons-app2", "k8s-demo-addons-common-app2", "k8s-demo-aks-app2", "k8s-demo-aks-monitoring-app2"].sort(),
    );
  });

  it("never writes one cluster, identity or VNet concurrently (the sandbox would refuse it)", async () => {
    runtime = await startPlatform({ spec: defaultSpec });
    const outcome = await runBuild(runtime, defaultSpec, "deploy");
    expect(outcome.runtimeStatus, outcome.failure).toBe("Completed");
    expect(runtime.sandbox.counters.snapshot().conflicts).toBe(0);
  });

  it("one unreadable status read (a gateway's HTML page with 200) is asked again, and the build succeeds", async () => {
    runtime = await startPlatform({ spec: defaultSpec });
    runtime.sandbox.faults.add({
      match: { method: "GET", path: "/deployments/k8s-demo-aks-app1" },
      effect: { kind: "malformed" },
      times: 3,
    });
    const outcome = await runBuild(runtime, defaultSpec, "deploy");
    expect(outcome.runtimeStatus, outcome.failure).toBe("Completed");
    expect(runtime.sandbox.faults.list()).toEqual([]);
  });

  it("a build that fails while planning (the Istio look-up refused) alerts like any other failure", async () => {
    const sink = await startSink();
    const settings = {
      AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS: sink.host,
      AKS_PLATFORM_TEAMS_WEBHOOK_URL: `${sink.url}/teams`,
      AKS_PLATFORM_SLACK_WEBHOOK_URL: `${sink.url}/slack`,
    };
    const saved = Object.keys(settings).map((k) => [k, process.env[k]] as const);
    Object.assign(process.env, settings);
    try {
      runtime = await startPlatform({ spec: defaultSpec });
      runtime.sandbox.faults.add({
        match: { method: "GET", path: "meshRevisionProfiles" },
        effect: { kind: "error", status: 403, code: "AuthorizationFailed", message: "no read on meshRevisionProfiles" },
      });
      const outcome = await runBuild(runtime, defaultSpec, "deploy");
      expect(outcome.runtimeStatus).toBe("Failed");
      expect(outcome.failure).toContain("failed while planning");
      expect(outcome.failure).toContain("AuthorizationFailed");
      const view = (await runtime.instances.get(outcome.instanceId))!;
      expect(statusText(defaultSpec.name, view, outcome.status, undefined)).toMatch(
        /reason: .*failed while planning: .*AuthorizationFailed/,
      );
      const alerts = await sink.waitForRequests(2, 10_000);
      // Exactly one per channel, also a moment later (nothing retried or sent twice).
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(sink.requestsTo("/teams")).toHaveLength(1);
      expect(sink.requestsTo("/slack")).toHaveLength(1);
      for (const path of ["/teams", "/slack"]) {
        const body = JSON.stringify(alerts.find((r) => r.path.startsWith(path))?.json());
        expect(body).toContain("AuthorizationFailed");
        expect(body).toContain("planning");
      }
      expect(runtime.sandbox.counters.snapshot().writes).toBe(0);
    } finally {
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await sink.close();
    }
  });
});
