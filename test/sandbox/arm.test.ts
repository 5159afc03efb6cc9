import { ResourceManagementClient } from "@azure/arm-resources";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeploymentsAdapter, ResourceGroupsAdapter, TransientArmError } from "../../lib/azure";
import {
  readTemplate,
  sandboxFetch,
  startFixture,
  tinyTemplate,
  waitForDeployment,
  type SandboxFixture,
} from "./helpers";

// The real Azure SDK clients (@azure/arm-resources, @azure/arm-resourcesdeployments) against the sandbox
// ARM server over HTTPS, through lib/azure's connection factory and adapters.

let f: SandboxFixture;
let deployments: DeploymentsAdapter;
let groups: ResourceGroupsAdapter;

beforeAll(async () => {
  // Federated credentials take 600 simulated s (0.6 real s at timeScale 1000) so two deployments overlap.
  f = await startFixture({
    latencySeconds: { "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials": 600 },
  });
  deployments = new DeploymentsAdapter(f.connection, f.sandbox.subscriptionId);
  groups = new ResourceGroupsAdapter(f.connection, f.sandbox.subscriptionId);
});
afterAll(async () => {
  await f.stop();
});

describe("resource groups and deployments with the real SDK over HTTPS", () => {
  it("creates a resource group from the real resource-group template at subscription scope", async () => {
    const start = await deployments.start({
      scope: "subscription",
      name: "rg-k8s-demo-common",
      location: "koreacentral",
      template: readTemplate("resource-group.json"),
      parameters: { name: "rg-k8s-demo-common", location: "koreacentral", tags: { env: "k8s-demo" } },
    });
    expect(start).toMatchObject({ ok: true, value: { provisioningState: "Accepted" } });
    expect(start.ok && start.value.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    const done = await waitForDeployment(deployments, { scope: "subscription", name: "rg-k8s-demo-common" });
    expect(done.state).toBe("succeeded");
    expect(done.outputs.resourceGroupId).toBe(
      `/subscriptions/${f.sandbox.subscriptionId}/resourceGroups/rg-k8s-demo-common`,
    );
    const rg = await groups.get("rg-k8s-demo-common");
    expect(rg).toEqual({
      ok: true,
      value: {
        name: "rg-k8s-demo-common",
        location: "koreacentral",
        provisioningState: "Succeeded",
        tags: { env: "k8s-demo" },
      },
    });
  });

  it("runs the real cluster-identity template and returns outputs resolved against the simulated state", async () => {
    const ref = { scope: "resourceGroup" as const, resourceGroup: "rg-k8s-demo-common", name: "identity-mgmt" };
    const start = await deployments.start({
      ...ref,
      tags: { "input-digest": "abc123" },
      template: readTemplate("cluster-identity.json"),
      parameters: {
        controlPlaneIdentityName: "id-mgmt",
        kubeletIdentityName: "id-mgmt-kubelet",
        clusterName: "aks-mgmt",
        roleAssignments: [],
      },
    });
    expect(start.ok).toBe(true);
    const done = await waitForDeployment(deployments, ref);
    expect(done.state).toBe("succeeded");
    expect(done.tags).toEqual({ "input-digest": "abc123" });
    const identity = f.sandbox.state.resource(
      `/subscriptions/${f.sandbox.subscriptionId}/resourceGroups/rg-k8s-demo-common/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-mgmt`,
    ) as { properties: { principalId: string } };
    expect(done.outputs.controlPlanePrincipalId).toBe(identity.properties.principalId);
    expect(done.outputs.kubeletPrincipalId).toMatch(/^[0-9a-f-]{36}$/);
    const ops = await deployments.operations(ref);
    expect(ops.ok && ops.value.map((o) => [o.resourceName, o.provisioningState]).sort()).toEqual([
      ["id-mgmt", "Succeeded"],
      ["id-mgmt-kubelet", "Succeeded"],
    ]);
  });

  it("reports NoChange on a re-deploy of the same template and Modify with a delta when something changed", async () => {
    const base = {
      scope: "resourceGroup" as const,
      resourceGroup: "rg-k8s-demo-common",
      name: "identity-mgmt",
      template: readTemplate("cluster-identity.json"),
    };
    const same = await deployments.whatIf(
      {
        ...base,
        parameters: {
          controlPlaneIdentityName: "id-mgmt",
          kubeletIdentityName: "id-mgmt-kubelet",
          clusterName: "aks-mgmt",
          roleAssignments: [],
        },
      },
      { updateIntervalInMs: 50 },
    );
    expect(same.ok && same.value.map((c) => c.changeType)).toEqual(["NoChange", "NoChange"]);
    const changed = await deployments.whatIf(
      {
        ...base,
        parameters: {
          controlPlaneIdentityName: "id-mgmt",
          kubeletIdentityName: "id-other",
          clusterName: "aks-mgmt",
          roleAssignments: [],
          tags: { team: "platform" },
        },
      },
      { updateIntervalInMs: 50 },
    );
    expect(changed.ok).toBe(true);
    const byId = new Map(changed.ok ? changed.value.map((c) => [c.resourceId.split("/").pop(), c]) : []);
    expect(byId.get("id-mgmt")?.changeType).toBe("Modify");
    expect(byId.get("id-mgmt")?.delta).toEqual([
      { path: "tags.team", propertyChangeType: "Create", after: "platform" },
    ]);
    expect(byId.get("id-other")?.changeType).toBe("Create");
    expect(byId.get("id-mgmt-kubelet")?.changeType).toBe("Ignore");
    const complete = await deployments.whatIf(
      {
        ...base,
        mode: "Complete",
        parameters: {
          controlPlaneIdentityName: "id-mgmt",
          kubeletIdentityName: "id-other",
          clusterName: "aks-mgmt",
          roleAssignments: [],
        },
      },
      { updateIntervalInMs: 50 },
    );
    const completeById = new Map(
      complete.ok ? complete.value.map((c) => [c.resourceId.split("/").pop(), c.changeType]) : [],
    );
    expect(completeById.get("id-mgmt-kubelet")).toBe("Delete");
  });

  it("serves resource groups to ResourceManagementClient directly: create, list, delete as a long-running operation", async () => {
    const client = new ResourceManagementClient(
      f.connection.credential,
      f.sandbox.subscriptionId,
      f.connection.clientOptions,
    );
    await client.resourceGroups.createOrUpdate("rg-scratch", { location: "koreacentral" });
    const names: string[] = [];
    for await (const rg of client.resourceGroups.list()) names.push(rg.name ?? "");
    expect(names).toEqual(expect.arrayContaining(["rg-k8s-demo-common", "rg-scratch"]));
    const deleted = await groups.delete("rg-scratch", { updateIntervalInMs: 50 });
    expect(deleted.ok).toBe(true);
    expect(await groups.get("rg-scratch")).toEqual({ ok: true, value: undefined });
  });
});

describe("ARM rules the app must respect", () => {
  it("rejects reusing the name of a running deployment with a typed 409 DeploymentActive conflict", async () => {
    const ref = { scope: "resourceGroup" as const, resourceGroup: "rg-k8s-demo-common", name: "slow-one" };
    f.sandbox.faults.add({
      match: { resourceType: "Microsoft.ManagedIdentity/userAssignedIdentities" },
      effect: { kind: "slow", factor: 100 },
      times: 1,
    });
    const first = await deployments.start({ ...ref, template: tinyTemplate(false), parameters: { name: "id-slow" } });
    expect(first.ok).toBe(true);
    const second = await deployments.start({ ...ref, template: tinyTemplate(false), parameters: { name: "id-slow" } });
    expect(second).toMatchObject({
      ok: false,
      error: { kind: "conflict", status: 409, code: "DeploymentActive", operation: "start deployment" },
    });
    expect(!second.ok && second.error.correlationId).toMatch(/^[0-9a-f-]{36}$/);

    const cancel = await deployments.cancel(ref);
    expect(cancel.ok).toBe(true);
    expect((await waitForDeployment(deployments, ref)).state).toBe("canceled");
    expect(await deployments.cancel(ref)).toMatchObject({
      ok: false,
      error: { kind: "conflict", code: "DeploymentCannotBeCancelled" },
    });
  });

  it("rejects a second concurrent write to one identity (409 AnotherOperationInProgress in the deployment operations)", async () => {
    const fic = (subject: string) => ({
      $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
      contentVersion: "1.0.0.0",
      resources: [
        {
          type: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
          apiVersion: "2024-11-30",
          name: `id-mgmt/${subject}`,
          properties: {
            issuer: "https://issuer.example",
            subject: `system:serviceaccount:x:${subject}`,
            audiences: ["api://AzureADTokenExchange"],
          },
        },
      ],
    });
    const a = { scope: "resourceGroup" as const, resourceGroup: "rg-k8s-demo-common", name: "fic-a" };
    const b = { ...a, name: "fic-b" };
    expect((await deployments.start({ ...a, template: fic("a"), parameters: {} })).ok).toBe(true);
    expect((await deployments.start({ ...b, template: fic("b"), parameters: {} })).ok).toBe(true);
    expect((await waitForDeployment(deployments, a)).state).toBe("succeeded");
    const failed = await waitForDeployment(deployments, b);
    expect(failed.state).toBe("failed");
    expect(failed.error?.details?.[0]?.code).toBe("AnotherOperationInProgress");
    const ops = await deployments.operations(b);
    expect(f.sandbox.counters.snapshot().conflicts).toBeGreaterThanOrEqual(1);
    expect(ops.ok && ops.value[0]).toMatchObject({
      provisioningState: "Failed",
      statusCode: "Conflict",
      error: { code: "AnotherOperationInProgress" },
    });
  });

  it("serves generic GET and DELETE by id, and rejects a delete while a deployment writes to the same identity", async () => {
    const client = new ResourceManagementClient(
      f.connection.credential,
      f.sandbox.subscriptionId,
      f.connection.clientOptions,
    );
    const ids = `/subscriptions/${f.sandbox.subscriptionId}/resourceGroups/rg-k8s-demo-common/providers/Microsoft.ManagedIdentity/userAssignedIdentities`;
    const kubelet = await client.resources.getById(`${ids}/id-mgmt-kubelet`, "2024-11-30");
    expect(kubelet.properties).toMatchObject({
      provisioningState: "Succeeded",
      principalId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });

    const writing = { scope: "resourceGroup" as const, resourceGroup: "rg-k8s-demo-common", name: "fic-slow" };
    const fic = {
      ...tinyTemplate(false),
      resources: [
        {
          type: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
          apiVersion: "2024-11-30",
          name: "id-mgmt-kubelet/slow",
          properties: {
            issuer: "https://issuer.example",
            subject: "system:serviceaccount:x:slow",
            audiences: ["api://AzureADTokenExchange"],
          },
        },
      ],
    };
    expect((await deployments.start({ ...writing, template: fic, parameters: { name: "unused" } })).ok).toBe(true);
    const conflict = await client.resources.deleteById(`${ids}/id-mgmt-kubelet`, "2024-11-30").catch((e: unknown) => e);
    expect(conflict).toMatchObject({ statusCode: 409, code: "AnotherOperationInProgress" });
    expect((await waitForDeployment(deployments, writing)).state).toBe("succeeded");

    await client.resources.deleteById(`${ids}/id-mgmt-kubelet`, "2024-11-30", { updateIntervalInMs: 50 });
    const gone = await client.resources.getById(`${ids}/id-mgmt-kubelet`, "2024-11-30").catch((e: unknown) => e);
    expect(gone).toMatchObject({ statusCode: 404, code: "ResourceNotFound" });
    expect(f.sandbox.state.resource(`${ids}/id-mgmt-kubelet/federatedIdentityCredentials/slow`)).toBeUndefined();
  });

  it("fails a deployment on an injected resource failure and names it in status and operations", async () => {
    f.sandbox.faults.add({
      match: { resourceType: "Microsoft.ManagedIdentity/userAssignedIdentities" },
      effect: { kind: "failResource", code: "QuotaExceeded", message: "no quota" },
      times: 1,
    });
    const ref = { scope: "resourceGroup" as const, resourceGroup: "rg-k8s-demo-common", name: "will-fail" };
    expect((await deployments.start({ ...ref, template: tinyTemplate(), parameters: { name: "id-fail" } })).ok).toBe(
      true,
    );
    const status = await waitForDeployment(deployments, ref);
    expect(status).toMatchObject({
      state: "failed",
      error: { code: "DeploymentFailed", details: [{ code: "QuotaExceeded", message: "no quota" }] },
    });
    const ops = await deployments.operations(ref);
    expect(ops.ok && ops.value[0]?.error).toEqual({ code: "QuotaExceeded", message: "no quota" });
  });

  it("returns template errors from validate as a badRequest value", async () => {
    const bad = {
      ...tinyTemplate(false),
      resources: [
        {
          type: "Microsoft.ManagedIdentity/userAssignedIdentities",
          apiVersion: "2023-01-31",
          name: "[parameters('nope')]",
          location: "x",
        },
      ],
    };
    const result = await deployments.validate({
      scope: "resourceGroup",
      resourceGroup: "rg-k8s-demo-common",
      name: "bad",
      template: bad,
      parameters: { name: "x" },
    });
    expect(result).toMatchObject({ ok: false, error: { kind: "badRequest", code: "InvalidTemplate" } });
    const good = await deployments.validate({
      scope: "resourceGroup",
      resourceGroup: "rg-k8s-demo-common",
      name: "good",
      template: tinyTemplate(),
      parameters: { name: "x" },
    });
    expect(good.ok && good.value.validatedResources).toHaveLength(1);
  });
});

describe("throttling and transient failures", () => {
  it("honours Retry-After on a 429 through the SDK's throttling policy", async () => {
    f.sandbox.counters.reset();
    f.sandbox.faults.add({
      match: { method: "GET", path: "/resourcegroups/rg-k8s-demo-common" },
      effect: { kind: "throttle", retryAfterSeconds: 1 },
      times: 1,
    });
    const rg = await groups.get("rg-k8s-demo-common");
    expect(rg.ok && rg.value?.name).toBe("rg-k8s-demo-common");
    expect(f.sandbox.counters.snapshot()).toMatchObject({ reads: 2, throttled: 1 });
  });

  it("throws TransientArmError for 429/5xx the SDK gave up on, so Durable retries exactly those", async () => {
    f.sandbox.faults.add({
      match: { method: "GET", path: "/resourcegroups/rg-k8s-demo-common" },
      effect: { kind: "error", status: 503, code: "ServiceUnavailable" },
      times: 10,
    });
    const err = await groups.get("rg-k8s-demo-common").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientArmError);
    expect(err).toMatchObject({ status: 503, operation: "get resource group", target: "rg-k8s-demo-common" });
    f.sandbox.faults.clear();
  });

  it("throttles by the token-bucket model and counts reads, writes and 429s", async () => {
    const small = await startFixture({
      throttle: { reads: { burst: 3, refillPerSecond: 1 }, writes: { burst: 200, refillPerSecond: 10 } },
    });
    try {
      const path = `/subscriptions/${small.sandbox.subscriptionId}/resourcegroups?api-version=2025-04-01`;
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await sandboxFetch(small.sandbox, path)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const throttled = await sandboxFetch(small.sandbox, path);
      expect(throttled.headers.get("retry-after")).toBe("1");
      expect(throttled.body.error.code).toBe("SubscriptionRequestsThrottled");
      expect(small.sandbox.counters.snapshot()).toMatchObject({ reads: 5, writes: 0, throttled: 2 });
    } finally {
      await small.stop();
    }
  });
});
