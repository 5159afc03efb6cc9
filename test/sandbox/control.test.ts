import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArmConnection, DeploymentsAdapter, ResourceGroupsAdapter } from "../../lib/azure";
import { startSandboxArm } from "../../local/sandbox";
import { readTemplate, sandboxFetch, startFixture, waitForDeployment, type SandboxFixture } from "./helpers";

// The sandbox's own surface: ARM error shape and headers, authentication, the /_sandbox control API,
// and state persisted to a file across restarts.

let f: SandboxFixture;
beforeAll(async () => {
  f = await startFixture();
});
afterAll(async () => {
  await f.stop();
});

describe("ARM wire contract", () => {
  it("answers errors in ARM's shape with request and correlation ids", async () => {
    const res = await sandboxFetch(
      f.sandbox,
      `/subscriptions/${f.sandbox.subscriptionId}/resourcegroups/nope?api-version=2025-04-01`,
      {
        headers: { "x-ms-correlation-request-id": "11111111-2222-3333-4444-555555555555" },
      },
    );
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      error: { code: "ResourceGroupNotFound", message: "Resource group 'nope' could not be found." },
    });
    expect(res.headers.get("x-ms-correlation-request-id")).toBe("11111111-2222-3333-4444-555555555555");
    expect(res.headers.get("x-ms-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("requires the bearer token, an api-version and the sandbox's subscription", async () => {
    const rgs = `/subscriptions/${f.sandbox.subscriptionId}/resourcegroups`;
    expect((await sandboxFetch(f.sandbox, `${rgs}?api-version=2025-04-01`, { token: null })).body.error.code).toBe(
      "AuthenticationFailed",
    );
    expect(
      (await sandboxFetch(f.sandbox, `${rgs}?api-version=2025-04-01`, { token: "wrong-token-wrong-token" })).status,
    ).toBe(401);
    expect((await sandboxFetch(f.sandbox, rgs)).body.error.code).toBe("MissingApiVersionParameter");
    const other = await sandboxFetch(
      f.sandbox,
      "/subscriptions/00000000-0000-0000-0000-00000000ffff/resourcegroups?api-version=2025-04-01",
    );
    expect(other).toMatchObject({ status: 404, body: { error: { code: "SubscriptionNotFound" } } });
  });
});

describe("control API under /_sandbox", () => {
  it("adds and removes fault rules, reads counters and moves the clock", async () => {
    const added = await sandboxFetch(f.sandbox, "/_sandbox/faults", {
      method: "POST",
      body: { match: { path: "/resourcegroups" }, effect: { kind: "error", status: 500, code: "Boom" }, times: 1 },
    });
    expect(added.status).toBe(201);
    const hit = await sandboxFetch(
      f.sandbox,
      `/subscriptions/${f.sandbox.subscriptionId}/resourcegroups?api-version=2025-04-01`,
    );
    expect(hit).toMatchObject({ status: 500, body: { error: { code: "Boom" } } });
    expect((await sandboxFetch(f.sandbox, "/_sandbox/faults")).body).toEqual([]);
    const bad = await sandboxFetch(f.sandbox, "/_sandbox/faults", {
      method: "POST",
      body: { effect: { kind: "explode" } },
    });
    expect(bad.status).toBe(400);

    const counters = await sandboxFetch(f.sandbox, "/_sandbox/counters");
    expect(counters.body).toMatchObject({ reads: expect.any(Number), writes: 0, throttled: 0 });
    const before = Date.parse((await sandboxFetch(f.sandbox, "/_sandbox/clock")).body.now);
    const after = Date.parse(
      (await sandboxFetch(f.sandbox, "/_sandbox/clock", { method: "POST", body: { advanceSeconds: 86400 } })).body.now,
    );
    expect(after - before).toBeGreaterThanOrEqual(86400_000);
    expect((await sandboxFetch(f.sandbox, "/_sandbox/nothing")).status).toBe(404);
    const unknownInstance = await sandboxFetch(f.sandbox, "/_sandbox/backup/failures", {
      method: "POST",
      body: { backupInstance: "nope" },
    });
    expect(unknownInstance).toMatchObject({ status: 404, body: { error: { code: "ResourceNotFound" } } });
    expect(
      (await sandboxFetch(f.sandbox, "/_sandbox/backup/failures", { method: "POST", body: { count: 2 } })).status,
    ).toBe(204);
    expect((await sandboxFetch(f.sandbox, "/_sandbox/clusters/nope")).status).toBe(404);
  });
});

describe("persistence", () => {
  it("reloads resources and deployments from the state file, so a re-run sees NoChange", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sandbox-state-"));
    const stateFile = path.join(dir, "state.json");
    const token = "persisted-token-0123456789";
    try {
      const first = await startSandboxArm({ stateDir: dir, stateFile, token, timeScale: 1000 });
      const conn1 = createArmConnection({ armEndpoint: first.url, token, ca: first.caPem });
      expect((await new ResourceGroupsAdapter(conn1, first.subscriptionId).ensure("rg-p", "koreacentral")).ok).toBe(
        true,
      );
      const d1 = new DeploymentsAdapter(conn1, first.subscriptionId);
      const input = {
        scope: "resourceGroup" as const,
        resourceGroup: "rg-p",
        name: "ids",
        template: readTemplate("cluster-identity.json"),
        parameters: {
          controlPlaneIdentityName: "a",
          kubeletIdentityName: "b",
          clusterName: "aks-mgmt",
          roleAssignments: [],
        },
      };
      expect((await d1.start(input)).ok).toBe(true);
      expect((await waitForDeployment(d1, input)).state).toBe("succeeded");
      await first.close();

      const second = await startSandboxArm({ stateDir: dir, stateFile, token, timeScale: 1000 });
      try {
        expect(second.caPem).toBe(first.caPem);
        const d2 = new DeploymentsAdapter(
          createArmConnection({ armEndpoint: second.url, token, ca: second.caPem }),
          second.subscriptionId,
        );
        expect((await d2.status(input)).ok).toBe(true);
        const whatIf = await d2.whatIf(input, { updateIntervalInMs: 50 });
        expect(whatIf.ok && whatIf.value.map((c) => c.changeType)).toEqual(["NoChange", "NoChange"]);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("latency fault", () => {
  it("delays matching requests and records how many a client kept in flight", async () => {
    const rgs = `/subscriptions/${f.sandbox.subscriptionId}/resourcegroups?api-version=2025-04-01`;
    const rule = f.sandbox.faults.add({ match: { path: "/resourcegroups" }, effect: { kind: "latency", ms: 150 } });
    f.sandbox.counters.reset();
    try {
      // Held for 150 ms each, three parallel requests are all in flight at once.
      await Promise.all([1, 2, 3].map(() => sandboxFetch(f.sandbox, rgs)));
      expect(f.sandbox.counters.snapshot().maxInFlight).toBe(3);
    } finally {
      f.sandbox.faults.remove(rule.id);
    }
  });
});
