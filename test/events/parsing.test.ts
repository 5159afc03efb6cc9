import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  baseResourceId,
  classifyDelivery,
  ClusterResolver,
  EventClassifier,
  parseDelivery,
  parseResourceId,
} from "../../lib/events";
import { defaultSpec } from "../../lib/spec";
import type { PlatformSpec } from "../../lib/spec";

const SUB = "3f2e8c1a-5b7d-4e9f-a1c2-9d8e7f6a5b4c";

describe("resource ids and node mapping", () => {
  const resolver = new ClusterResolver(defaultSpec);

  it.each([
    [
      `/subscriptions/${SUB}/resourceGroups/rg-k8s-demo-app1-nodes/providers/Microsoft.Compute/virtualMachineScaleSets/aks-system-12345678-vmss/virtualMachines/2`,
      { cluster: "app1", pool: "system", vmName: "aks-system-12345678-vmss_2", nodeKind: "vmss-instance" },
    ],
    [
      `/SUBSCRIPTIONS/${SUB}/RESOURCEGROUPS/RG-K8S-DEMO-APP1-NODES/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINESCALESETS/AKS-INGRESS-87654321-VMSS`,
      { cluster: "app1", pool: "INGRESS", nodeKind: "vmss" },
    ],
    [
      `/subscriptions/${SUB}/resourceGroups/rg-k8s-demo-mgmt-nodes/providers/Microsoft.Compute/virtualMachines/aks-default-7xk2p`,
      { cluster: "mgmt", pool: "default", nodeKind: "vm" },
    ],
    [
      `/subscriptions/${SUB}/resourceGroups/rg-k8s-demo-mgmt-nodes/providers/Microsoft.Compute/virtualMachines/aks-spot-zone-2-abcde`,
      { cluster: "mgmt", pool: "spot-zone-2" },
    ],
    [
      `/subscriptions/${SUB}/resourceGroups/rg-k8s-demo-app2-nodes/providers/Microsoft.Compute/virtualMachines/custom-vm`,
      { cluster: "app2", vmName: "custom-vm" },
    ],
  ])("%s", (id, expected) => {
    expect(resolver.locateNode(id)).toMatchObject(expected);
  });

  it("leaves the pool unknown when the name does not tell", () => {
    const node = resolver.locateNode(
      `/subscriptions/${SUB}/resourceGroups/rg-k8s-demo-app2-nodes/providers/Microsoft.Compute/virtualMachines/custom-vm`,
    );
    expect(node?.pool).toBeUndefined();
  });

  it.each([
    [`/subscriptions/${SUB}/resourceGroups/rg-other/providers/Microsoft.Compute/virtualMachines/aks-default-7xk2p`],
    [
      `/subscriptions/${SUB}/resourceGroups/rg-k8s-demo-app1-nodes/providers/Microsoft.Network/networkInterfaces/aks-default-7xk2p`,
    ],
    [`/subscriptions/${SUB}/resourceGroups/rg-k8s-demo-app1-nodes`],
    ["not a resource id"],
    [""],
  ])("does not map %s", (id) => {
    expect(resolver.locateNode(id)).toBeUndefined();
  });

  it("checks the subscription when the spec has one", () => {
    const spec: PlatformSpec = { ...defaultSpec, subscriptionId: SUB };
    const scoped = new ClusterResolver(spec);
    const vm = `/resourceGroups/rg-k8s-demo-app1-nodes/providers/Microsoft.Compute/virtualMachines/aks-default-7xk2p`;
    expect(scoped.locateNode(`/subscriptions/${SUB.toUpperCase()}${vm}`)?.cluster).toBe("app1");
    expect(scoped.locateNode(`/subscriptions/00000000-1111-2222-3333-444444444444${vm}`)).toBeUndefined();
  });

  it("maps clusters through node resource groups named in the spec, not by convention", () => {
    const spec: PlatformSpec = {
      ...defaultSpec,
      clusters: defaultSpec.clusters.map((c) =>
        c.name === "app1" ? { ...c, nodeResourceGroup: "MC_custom_nodes" } : c,
      ),
    };
    const custom = new ClusterResolver(spec);
    expect(
      custom.locateNode(
        `/subscriptions/${SUB}/resourceGroups/mc_CUSTOM_nodes/providers/Microsoft.Compute/virtualMachines/aks-default-1`,
      )?.cluster,
    ).toBe("app1");
    expect(
      custom.locateNode(
        `/subscriptions/${SUB}/resourceGroups/rg-k8s-demo-app1-nodes/providers/Microsoft.Compute/virtualMachines/aks-default-1`,
      ),
    ).toBeUndefined();
  });

  it("splits ids and strips extension resources", () => {
    const vm = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1`;
    expect(baseResourceId(`${vm}/providers/Microsoft.ResourceHealth/resourceAnnotations/x`)).toBe(vm);
    expect(baseResourceId(vm)).toBe(vm);
    expect(parseResourceId(vm)).toEqual({
      subscriptionId: SUB,
      resourceGroup: "rg",
      provider: "Microsoft.Compute",
      segments: [{ type: "virtualMachines", name: "vm1" }],
    });
    expect(parseResourceId("/subscriptions")).toBeUndefined();
  });

  it("finds the cluster a backup instance name mentions, preferring the longest AKS name", () => {
    const spec: PlatformSpec = {
      ...defaultSpec,
      clusters: [
        ...defaultSpec.clusters,
        { ...defaultSpec.clusters[1]!, name: "app10", aksName: "aks-k8s-demo-app10", nodeResourceGroup: "rg-x" },
      ],
    };
    const r = new ClusterResolver(spec);
    expect(r.clusterMentionedIn(["aks-k8s-demo-app10-aks-k8s-demo-app10-1234"])?.name).toBe("app10");
    expect(r.clusterMentionedIn(["aks-k8s-demo-app1-aks-k8s-demo-app1-1234"])?.name).toBe("app1");
    expect(r.clusterMentionedIn(["nothing here"])).toBeUndefined();
  });
});

describe("tolerant parsing", () => {
  const classifier = new EventClassifier({ spec: defaultSpec });

  async function classifyOne(body: unknown) {
    const result = await classifyDelivery(JSON.stringify(body), classifier);
    if (!result.ok) throw new Error(result.problem.message);
    return result.items[0];
  }

  const kvEvent = (data: Record<string, unknown>, type = "Microsoft.KeyVault.SecretNearExpiry") => ({
    id: "kv-1",
    topic: `/subscriptions/${SUB}/resourceGroups/rg-k8s-demo-common/providers/Microsoft.KeyVault/vaults/kv-k8s-demo-01`,
    subject: "ingress-tls",
    eventType: type,
    data,
    dataVersion: "1",
    metadataVersion: "1",
    eventTime: "2026-11-20T04:00:00Z",
  });

  it.each([
    [{ NBF: 1789948800, EXP: 1797724800 }],
    [{ NBF: "1789948800", EXP: "1797724800" }],
    [{ " nbf ": " 1789948800 ", "exp ": "1797724800.0" }],
  ])("reads NBF/EXP from %j", async (times) => {
    const item = await classifyOne(
      kvEvent({
        VaultName: "KV-K8S-DEMO-01",
        ObjectType: "Secret",
        ObjectName: "ingress-tls",
        Version: "v1",
        ...times,
      }),
    );
    expect(item).toMatchObject({
      ok: true,
      event: { kind: "certificate", notBefore: "2026-09-21T00:00:00.000Z", expiresAt: "2026-12-20T00:00:00.000Z" },
    });
  });

  it("takes vault and object from topic and subject when data lacks them", async () => {
    const item = await classifyOne(kvEvent({ Version: "v1" }));
    expect(item).toMatchObject({
      ok: true,
      event: { kind: "certificate", vaultName: "kv-k8s-demo-01", objectName: "ingress-tls" },
    });
  });

  it("ignores Key Vault data with a non-numeric EXP, naming the field", async () => {
    const item = await classifyOne(kvEvent({ ObjectName: "ingress-tls", EXP: "tomorrow" }));
    expect(item).toMatchObject({ ok: true, event: { kind: "ignored", reason: expect.stringContaining("exp") } });
  });

  it("honours a configured TLS object pattern", async () => {
    const strict = new EventClassifier({ spec: defaultSpec, tlsObjectPattern: /^gateway-cert$/g });
    const body = JSON.stringify(kvEvent({ ObjectName: "gateway-cert", VaultName: "kv-k8s-demo-01" }));
    for (let i = 0; i < 2; i++) {
      const result = await classifyDelivery(body, strict);
      expect(result.ok && result.items[0]?.ok && result.items[0].event.kind).toBe("certificate");
    }
  });

  it("matches event types case-insensitively and trims whitespace in keys and values", async () => {
    const item = await classifyOne({
      " id ": "x1",
      "topic ": " /subscriptions/s ",
      subject: "aks-k8s-demo-app1 ",
      "eventType ": " microsoft.containerservice.newkubernetesversionavailable ",
      data: { " latestStableKubernetesVersion": "1.33.5 " },
      dataVersion: "1",
      metadataVersion: "1",
      eventTime: "2026-11-20T04:00:00Z",
    });
    expect(item).toMatchObject({
      ok: true,
      event: { kind: "cluster-lifecycle", cluster: "app1", latestStableKubernetesVersion: "1.33.5" },
    });
  });

  it("keeps __proto__ and constructor keys as plain data", async () => {
    const body =
      '{"id":"p","topic":"t","subject":"s","eventType":"Foo.Bar","dataVersion":"1","metadataVersion":"1","eventTime":"2026-11-20T04:00:00Z","data":{"__proto__":{"polluted":true},"constructor":1}}';
    const result = await parseDelivery(body);
    expect(result.ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const classified = await classifyDelivery(body, classifier);
    expect(classified.ok && classified.items[0]?.ok && classified.items[0].event.kind).toBe("ignored");
  });

  it("refuses absurdly nested JSON without overflowing the stack", async () => {
    const deep = `{"id":"d","topic":"t","subject":"s","eventType":"Foo","dataVersion":"1","metadataVersion":"1","eventTime":"2026-11-20T04:00:00Z","data":${"[".repeat(5000)}${"]".repeat(5000)}}`;
    const result = await parseDelivery(deep);
    expect(result).toMatchObject({ ok: true, items: [{ ok: false, error: expect.stringContaining("nested deeper") }] });
  });

  it("does not echo the body in a JSON syntax error", async () => {
    const result = await parseDelivery('{"secret": sauce}');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem.message).not.toContain("sauce");
  });

  it.each([
    ["null"],
    ["true"],
    ['"text"'],
    ["[null]"],
    ["[1,2]"],
    ["[[]]"],
    ['{"specversion":"0.3","id":"1","source":"s","type":"t"}'],
    ['{"eventType":"x"}'],
    ["{}"],
  ])("never throws on %s", async (body) => {
    const result = await classifyDelivery(body, classifier);
    if (result.ok) expect(result.items.every((i) => !i.ok || i.event.kind === "ignored")).toBe(true);
  });

  it("classifies an eviction without occurredTime by the envelope time", async () => {
    const target = `/subscriptions/${SUB}/resourceGroups/rg-k8s-demo-app1-nodes/providers/Microsoft.Compute/virtualMachines/aks-spot-d-zzzzz`;
    const item = await classifyOne({
      id: "e",
      source: `/subscriptions/${SUB}`,
      subject: target,
      type: "Microsoft.ResourceNotifications.HealthResources.ResourceAnnotated",
      specversion: "1.0",
      time: "2026-11-20T03:44:59Z",
      data: { resourceInfo: { properties: { annotationName: "VIRTUALMACHINEPREEMPTED" } } },
    });
    expect(item).toMatchObject({
      ok: true,
      event: {
        kind: "spot-eviction",
        cluster: "app1",
        occurredAt: "2026-11-20T03:44:59.000Z",
        watchKey: "eviction-k8s-demo-app1-20261120T0330Z",
      },
    });
  });
});

describe("robustness", () => {
  const classifier = new EventClassifier({ spec: defaultSpec });

  it("refuses a non-positive eviction window", () => {
    expect(() => new EventClassifier({ spec: defaultSpec, evictionWindowMinutes: 0 })).toThrow(RangeError);
  });

  it("never throws on mutated fixtures (deleted members, values of other types)", async () => {
    const dir = path.resolve(__dirname, "../fixtures/events");
    const seeds = readdirSync(dir)
      .filter((f) => !f.startsWith("garbage-not-json"))
      .map((f) => JSON.parse(readFileSync(path.join(dir, f), "utf8")) as unknown);
    // Deterministic PRNG so a failure reproduces.
    let state = 42;
    const random = (): number => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const replacements: unknown[] = [
      null,
      0,
      -1,
      1e308,
      "",
      " ",
      "2026-13-45T99:00:00Z",
      [],
      {},
      true,
      "x".repeat(300),
      [null],
      { a: { b: [] } },
    ];
    const mutate = (value: unknown, depth: number): unknown => {
      if (value === null || typeof value !== "object")
        return random() < 0.15 ? replacements[Math.floor(random() * replacements.length)] : value;
      if (Array.isArray(value)) return value.map((v) => mutate(v, depth + 1));
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const roll = random();
        if (roll < 0.08) continue;
        out[roll < 0.12 ? k.toUpperCase() : k] =
          roll < 0.2 ? replacements[Math.floor(random() * replacements.length)] : mutate(v, depth + 1);
      }
      return out;
    };
    let classified = 0;
    for (let round = 0; round < 100; round++) {
      for (const seed of seeds) {
        const result = await classifyDelivery(JSON.stringify(mutate(seed, 0)), classifier);
        if (result.ok) classified += result.items.filter((i) => i.ok).length;
      }
    }
    expect(classified).toBeGreaterThan(0);
  });
});
