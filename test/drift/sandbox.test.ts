import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArmConnection, DeploymentsAdapter } from "../../lib/azure";
import { OBJECT_ID_CLAIM, startSandboxArm, type SandboxArm } from "../../local/sandbox";
import { startSink, type Sink } from "../helpers/sink";
import { armRequest, SSH_FROM_ANYWHERE } from "./helpers";

/**
 * The sandbox's part of drift: callers told apart by token, a direct PUT of a resource, Resources events naming the
 * caller delivered to a registered endpoint, and what-if against the current state (Modify with the element's
 * path, Create for a resource deleted by hand).
 */

const RG = "rg-drift";
const rule = (name: string, priority: number) => ({
  name,
  properties: {
    priority,
    direction: "Inbound",
    access: "Deny",
    protocol: "*",
    sourceAddressPrefix: "*",
    sourcePortRange: "*",
    destinationAddressPrefix: "*",
    destinationPortRange: "*",
  },
});
const template = {
  $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  contentVersion: "1.0.0.0",
  resources: [
    {
      type: "Microsoft.Network/networkSecurityGroups",
      apiVersion: "2024-05-01",
      name: "nsg-a",
      location: "koreacentral",
      properties: { securityRules: [rule("deny-all", 4000)] },
    },
    {
      type: "Microsoft.Network/publicIPAddresses",
      apiVersion: "2024-05-01",
      name: "pip-a",
      location: "koreacentral",
      sku: { name: "Standard" },
      properties: { publicIPAllocationMethod: "Static" },
    },
  ],
};

let dir: string;
let sandbox: SandboxArm;
let sink: Sink;
let deployments: DeploymentsAdapter;
const sub = () => `/subscriptions/${sandbox.subscriptionId}`;
const nsg = () => `${sub()}/resourceGroups/${RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-a`;
const pip = () => `${sub()}/resourceGroups/${RG}/providers/Microsoft.Network/publicIPAddresses/pip-a`;
const whatIf = async () => {
  const r = await deployments.whatIf(
    { name: "d1", scope: "resourceGroup", resourceGroup: RG, template, parameters: {} },
    { updateIntervalInMs: 50 },
  );
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "drift-sandbox-"));
  sandbox = await startSandboxArm({ stateDir: dir, timeScale: 600, throttle: false });
  sink = await startSink({ defaultResponse: { status: 200, body: "" } });
  sandbox.events.subscribe({ endpoint: `${sink.url}/events`, resourceGroups: [RG] });
  deployments = new DeploymentsAdapter(
    createArmConnection({ armEndpoint: sandbox.url, token: sandbox.token, ca: sandbox.caPem }),
    sandbox.subscriptionId,
  );
  expect(
    (
      await armRequest(sandbox, sandbox.identities.app, "PUT", `${sub()}/resourceGroups/${RG}`, {
        location: "koreacentral",
      })
    ).status,
  ).toBe(201);
  const started = await deployments.start({
    name: "d1",
    scope: "resourceGroup",
    resourceGroup: RG,
    template,
    parameters: {},
  });
  expect(started.ok).toBe(true);
  for (;;) {
    const s = await deployments.status({ name: "d1", scope: "resourceGroup", resourceGroup: RG });
    if (s.ok && s.value.state !== "running") break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await sandbox.events.settled();
});

afterAll(async () => {
  await sandbox?.close();
  await sink?.close();
  rmSync(dir, { recursive: true, force: true });
});

const eventsSince = (n: number) =>
  sink
    .requestsTo("/events")
    .slice(n)
    .flatMap(
      (r) => JSON.parse(r.body) as { eventType: string; subject: string; data: { claims: Record<string, string> } }[],
    );

describe("sandbox: callers, direct writes, Resources events, what-if against the current state", () => {
  it("refuses an unknown token and tells the app's writes from a person's", async () => {
    const stranger = { ...sandbox.identities.person, token: "not-a-token-of-this-sandbox" };
    expect((await armRequest(sandbox, stranger, "GET", nsg())).status).toBe(401);
    const events = eventsSince(0);
    expect(events.map((e) => e.subject.toLowerCase()).sort()).toEqual(
      [nsg(), pip()].map((x) => x.toLowerCase()).sort(),
    );
    for (const e of events) {
      expect(e.eventType).toBe("Microsoft.Resources.ResourceWriteSuccess");
      expect(e.data.claims[OBJECT_ID_CLAIM]).toBe(sandbox.identities.app.objectId);
    }
    expect(sink.requestsTo("/events")[0]!.headers["aeg-event-type"]).toBe("Notification");
  });

  it("a fresh deployment what-ifs as NoChange", async () => {
    expect((await whatIf()).map((c) => c.changeType)).toEqual(["NoChange", "NoChange"]);
  });

  it("a person's PUT adding a rule is a Modify with the element's index, and an event naming the person", async () => {
    const before = sink.requestsTo("/events").length;
    const got = await armRequest(sandbox, sandbox.identities.person, "GET", nsg());
    const body = got.body as { properties: { securityRules: unknown[]; provisioningState?: string } };
    expect(body.properties.provisioningState).toBe("Succeeded");
    body.properties.securityRules.push(SSH_FROM_ANYWHERE);
    expect((await armRequest(sandbox, sandbox.identities.person, "PUT", nsg(), body)).status).toBe(200);
    await sandbox.events.settled();
    const [event] = eventsSince(before);
    expect(event).toMatchObject({ eventType: "Microsoft.Resources.ResourceWriteSuccess" });
    expect(event!.data.claims[OBJECT_ID_CLAIM]).toBe(sandbox.identities.person.objectId);

    const change = (await whatIf()).find((c) => c.resourceId.toLowerCase() === nsg().toLowerCase())!;
    expect(change.changeType).toBe("Modify");
    expect(change.delta).toEqual([
      {
        path: "properties.securityRules",
        propertyChangeType: "Array",
        children: [{ path: "1", propertyChangeType: "Delete", before: SSH_FROM_ANYWHERE }],
      },
    ]);
  });

  it("a resource deleted by hand what-ifs as Create, after a delete event", async () => {
    const before = sink.requestsTo("/events").length;
    expect((await armRequest(sandbox, sandbox.identities.person, "DELETE", pip())).status).toBe(202);
    sandbox.clock.advance(600);
    await armRequest(sandbox, sandbox.identities.person, "GET", nsg());
    await sandbox.events.settled();
    expect(eventsSince(before).map((e) => [e.eventType, e.data.claims[OBJECT_ID_CLAIM]])).toEqual([
      ["Microsoft.Resources.ResourceDeleteSuccess", sandbox.identities.person.objectId],
    ]);
    expect((await whatIf()).find((c) => c.resourceId.toLowerCase() === pip().toLowerCase())?.changeType).toBe("Create");
  });
});
