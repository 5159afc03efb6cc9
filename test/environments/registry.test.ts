import { storageFromConnectionString } from "../../lib/azure";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArmConnection, ResourceGroupsAdapter } from "../../lib/azure";
import {
  EnvironmentRecordError,
  EnvironmentRegistry,
  offeredSeed,
  SUBSCRIPTION_SETTING,
  withSubscription,
} from "../../lib/environments";
import { buildStartProblem } from "../../lib/environments/start";
import { classifyDelivery, EnvironmentsClassifier, type DomainEvent } from "../../lib/events";
import { loadNotifySettings, Notifier, NotifyStore, urlFingerprint } from "../../lib/notify";
import { defaultSpec, UNSET_SUBSCRIPTION_ID, validateSpec, type PlatformSpec } from "../../lib/spec";
import { startAzurite, type AzuriteHandle } from "../../local/azurite";
import { startSandboxArm, type SandboxArm } from "../../local/sandbox";
import { startSink, type Sink } from "../helpers/sink";
import { samples } from "../notify/fixtures";
import { evictionEvent } from "../reactions/helpers";

/** The registry over Azurite, and the pieces that read it: classification, per-environment outboxes, the start check. */

const SUBSCRIPTION = "11111111-2222-4333-8444-555555555555";

function labSpec(): PlatformSpec {
  const raw = JSON.parse(JSON.stringify(defaultSpec).replaceAll("k8s-demo", "lab")) as Record<string, unknown>;
  raw["clusters"] = (raw["clusters"] as { name: string }[]).filter((c) => c.name !== "app2");
  raw["notifications"] = {
    channels: [{ name: "lab-slack", kind: "slack", webhookSetting: "LAB_SLACK_WEBHOOK_URL" }],
    routes: [{ severities: ["info", "warning", "critical"], channels: ["lab-slack"] }],
    digestWindowMinutes: 0,
  };
  const result = validateSpec(raw);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.spec;
}
const lab = labSpec();

let azurite: AzuriteHandle;
let tables = 0;
const openRegistry = (env: Record<string, string> = {}) =>
  EnvironmentRegistry.open(
    { storage: storageFromConnectionString(azurite.connectionString), tableName: `envs${tables++}` },
    env,
  );

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

describe("the registry of environments", () => {
  it("offers the seed on a fresh install, with AKS_PLATFORM_SUBSCRIPTION_ID applied", async () => {
    const registry = await openRegistry({ [SUBSCRIPTION_SETTING]: SUBSCRIPTION });
    expect(await registry.list()).toEqual([
      {
        name: "k8s-demo",
        spec: { ...defaultSpec, subscriptionId: SUBSCRIPTION },
        subscriptionId: SUBSCRIPTION,
        state: "offered",
        tornDownClusters: [],
      },
    ]);
    expect(await registry.registered()).toEqual([]);
    expect(await registry.find("lab")).toBeUndefined();
  });

  it("records an accepted build, its end, a torn-down cluster, and forgets it", async () => {
    const registry = await openRegistry();
    await registry.recordBuildAccepted(lab, new Date("2026-12-01T10:00:00Z"));
    expect(await registry.find("lab")).toMatchObject({
      state: "building",
      spec: lab,
      registeredAt: "2026-12-01T10:00:00.000Z",
      lastBuildAt: "2026-12-01T10:00:00.000Z",
    });
    const failed = {
      kind: "build",
      outcome: "failed",
      error: "Failed: quota",
      startedAt: "2026-12-01T10:00:01.000Z",
      endedAt: "2026-12-01T10:30:00.000Z",
    } as const;
    expect(await registry.recordWorkEnded(lab, failed)).toBe(true);
    expect(await registry.find("lab")).toMatchObject({ state: "failed", lastError: "Failed: quota", lastWork: failed });
    await registry.recordBuildAccepted(lab, new Date("2026-12-02T10:00:00Z"));
    // The first build's end written again (a retried activity) after the second was accepted: stale, ignored.
    expect(await registry.recordWorkEnded(lab, failed)).toBe(false);
    expect(await registry.find("lab")).toMatchObject({ state: "building" });
    const build = { kind: "build", outcome: "succeeded", startedAt: "2026-12-02T10:00:01.000Z" } as const;
    await registry.recordWorkEnded(lab, { ...build, endedAt: "2026-12-02T10:40:00.000Z" });
    const teardown = {
      kind: "teardown",
      cluster: "app1",
      outcome: "succeeded",
      startedAt: "2026-12-02T11:00:00.000Z",
      endedAt: "2026-12-02T11:10:00.000Z",
    } as const;
    await registry.recordWorkEnded(lab, teardown);
    // Recording it again (a replay, a retried activity) writes the same row.
    await registry.recordWorkEnded(lab, teardown);
    const built = await registry.find("lab");
    expect(built).toMatchObject({
      state: "built",
      registeredAt: "2026-12-01T10:00:00.000Z",
      builtAt: "2026-12-02T10:40:00.000Z",
      tornDownClusters: ["app1"],
      lastWork: teardown,
    });
    expect(built?.lastError).toBeUndefined();
    expect((await registry.list()).map((r) => [r.name, r.state])).toEqual([
      ["k8s-demo", "offered"],
      ["lab", "built"],
    ]);
    // A restore that failed leaves app1 removed; one that succeeded brings it back.
    const restore = { kind: "restore", cluster: "app1", startedAt: "2026-12-03T09:00:00.000Z" } as const;
    await registry.recordWorkEnded(lab, {
      ...restore,
      outcome: "failed",
      error: "no recovery point",
      endedAt: "2026-12-03T09:01:00.000Z",
    });
    expect(await registry.find("lab")).toMatchObject({ tornDownClusters: ["app1"], state: "built" });
    await registry.recordWorkEnded(lab, { ...restore, outcome: "succeeded", endedAt: "2026-12-03T09:30:00.000Z" });
    expect(await registry.find("lab")).toMatchObject({ tornDownClusters: [], state: "built" });
    await registry.recordWorkEnded(lab, { ...build, outcome: "canceled", endedAt: "2026-12-04T10:00:00.000Z" });
    expect(await registry.find("lab")).toMatchObject({ state: "canceled" });
    expect(await registry.remove("lab")).toBe(true);
    expect(await registry.remove("lab")).toBe(false);
    expect(await registry.find("lab")).toBeUndefined();
  });

  it("a build's end registers an environment it finds missing; a teardown's end does not", async () => {
    const registry = await openRegistry();
    const times = { startedAt: "2026-12-01T10:00:00.000Z", endedAt: "2026-12-01T10:20:00.000Z" };
    expect(
      await registry.recordWorkEnded(lab, { kind: "teardown", cluster: "app1", outcome: "succeeded", ...times }),
    ).toBe(false);
    expect(await registry.find("lab")).toBeUndefined();
    expect(await registry.recordWorkEnded(lab, { kind: "build", outcome: "succeeded", ...times })).toBe(true);
    expect(await registry.find("lab")).toMatchObject({
      state: "built",
      registeredAt: times.startedAt,
      builtAt: times.endedAt,
      subscriptionId: lab.subscriptionId,
    });
  });

  it("refuses a stored record whose spec no longer validates, naming the environment; lists the others", async () => {
    const registry = await openRegistry();
    await registry.recordBuildAccepted({ ...lab, location: "Not A Region" }, new Date());
    await expect(registry.find("lab")).rejects.toThrow(EnvironmentRecordError);
    await expect(registry.find("lab")).rejects.toThrow(/environment lab: .*location/);
    // The others' timers go on: the list skips the row and says so.
    const { records, unreadable } = await registry.listAll();
    expect(records.map((r) => r.name)).toEqual(["k8s-demo"]);
    expect(unreadable.map((e) => e.environment)).toEqual(["lab"]);
  });

  it("gives a spec that names no subscription the setting's, and refuses a setting that is no GUID", () => {
    expect(withSubscription(lab, {}).subscriptionId).toBe(UNSET_SUBSCRIPTION_ID);
    expect(withSubscription(lab, { [SUBSCRIPTION_SETTING]: SUBSCRIPTION }).subscriptionId).toBe(SUBSCRIPTION);
    const own = { ...lab, subscriptionId: "22222222-2222-4222-8222-222222222222" };
    expect(withSubscription(own, { [SUBSCRIPTION_SETTING]: SUBSCRIPTION })).toBe(own);
    expect(() => offeredSeed({ [SUBSCRIPTION_SETTING]: "my-subscription" })).toThrow(
      "AKS_PLATFORM_SUBSCRIPTION_ID is not a subscription GUID",
    );
  });
});

describe("a build that cannot start (the real SDK against the sandbox, which knows one subscription)", () => {
  let sandbox: SandboxArm;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "env-start-"));
    sandbox = await startSandboxArm({ stateDir: dir, subscriptionId: SUBSCRIPTION });
  });
  afterAll(async () => {
    await sandbox?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const problemOf = (spec: PlatformSpec) => {
    const connection = createArmConnection({ armEndpoint: sandbox.url, token: sandbox.token, ca: sandbox.caPem });
    return buildStartProblem(spec, () => new ResourceGroupsAdapter(connection, spec.subscriptionId).list());
  };

  it("names a missing subscription and an unknown one; a known one starts", async () => {
    expect(await problemOf(lab)).toBe(
      "no subscription: the spec of lab names none and AKS_PLATFORM_SUBSCRIPTION_ID is not set (ARM: SubscriptionNotFound)",
    );
    expect(await problemOf({ ...lab, subscriptionId: "99999999-9999-4999-8999-999999999999" })).toBe(
      "subscription 99999999-9999-4999-8999-999999999999 is unknown to ARM (SubscriptionNotFound)",
    );
    expect(await problemOf({ ...lab, subscriptionId: SUBSCRIPTION })).toBeUndefined();
  });
});

describe("classification across environments", () => {
  const classifier = new EnvironmentsClassifier([defaultSpec, lab]);
  const classify = async (event: unknown): Promise<DomainEvent> => {
    const delivery = await classifyDelivery(JSON.stringify([event]), classifier);
    if (!delivery.ok || !delivery.items[0]?.ok) throw new Error("not classified");
    return delivery.items[0].event;
  };
  const at = "2026-12-01T03:14:07Z";

  it("maps an eviction to the environment whose node resource group holds the VM", async () => {
    const inLab = await classify(
      evictionEvent("app1", "aks-spot-a", at, "e1", { spec: lab, subscription: SUBSCRIPTION }),
    );
    expect(inLab).toMatchObject({ kind: "spot-eviction", environment: "lab", cluster: "app1" });
    expect(inLab.kind === "spot-eviction" && inLab.watchKey).toBe("eviction-lab-app1-20261201T0300Z");
    const inSeed = await classify(evictionEvent("app1", "aks-spot-a", at, "e2"));
    expect(inSeed).toMatchObject({ kind: "spot-eviction", environment: "k8s-demo", cluster: "app1" });
  });

  it("ignores what no environment claims, with each environment's reason", async () => {
    const stray = evictionEvent("app1", "aks-spot-a", at, "e3");
    const target = stray.data.resourceInfo.properties.targetResourceId.replace("rg-k8s-demo-app1-nodes", "rg-other");
    stray.subject = target;
    stray.data.resourceInfo.properties.targetResourceId = target;
    stray.data.resourceInfo.id = `${target}/providers/Microsoft.ResourceHealth/resourceAnnotations/current`;
    const ignored = await classify(stray);
    expect(ignored.kind).toBe("ignored");
    expect(ignored.environment).toBeUndefined();
    expect(ignored.reason).toMatch(/^k8s-demo: .*environment k8s-demo; lab: .*environment lab$/);
  });
});

describe("one outbox per environment", () => {
  let sink: Sink;
  beforeAll(async () => {
    sink = await startSink();
  });
  afterAll(async () => {
    await sink?.close();
  });

  it("a kept delivery is retried only by its own environment's notifier, with that environment's channels", async () => {
    const env = { LAB_SLACK_WEBHOOK_URL: `${sink.url}/lab`, AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS: sink.host };
    const connection = { storage: storageFromConnectionString(azurite.connectionString), tableName: "outboxes" };
    const message = { ...samples["backup-failed"]!, environment: "lab" };
    const labStore = await NotifyStore.open(connection, "lab");
    await labStore.addPending(
      {
        channel: "lab-slack",
        target: urlFingerprint(`${sink.url}/lab`),
        reason: "retry",
        attempts: 1,
        rounds: 1,
        dueAt: new Date(Date.now() - 1000),
        message,
      },
      new Date(),
    );
    const notifierOf = async (name: string, spec: PlatformSpec) =>
      new Notifier({
        notifications: spec.notifications,
        settings: loadNotifySettings(env, spec.notifications),
        store: await NotifyStore.open(connection, name),
        logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      });
    // The seed's notifier neither sees nor rejects lab's delivery ("no longer configured" was the old failure).
    expect(await (await notifierOf("k8s-demo", defaultSpec)).flushDue()).toEqual({
      digests: 0,
      delivered: 0,
      rescheduled: 0,
      rejected: 0,
    });
    expect(await (await notifierOf("lab", lab)).flushDue()).toMatchObject({ delivered: 1, rejected: 0 });
    expect(sink.requestsTo("/lab")).toHaveLength(1);
    expect(await labStore.listPending()).toEqual([]);
    // And a message never goes through another environment's channels.
    await expect((await notifierOf("k8s-demo", defaultSpec)).notify(message)).rejects.toThrow(
      "a message of environment lab cannot go through the channels of environment k8s-demo",
    );
  });
});
