import { describe, expect, it } from "vitest";
import { EventClassifier } from "../../lib/events";
import { Orchestrations } from "../../lib/function-names";
import { reactionFor } from "../../lib/ops/reactions";
import { react, type ReactionClient } from "../../lib/ops/reactions-dispatch";
import { NODE_POOL_ROLLING_EVENT, upgradeInstanceId } from "../../lib/upgrade";
import { lifecycleEvent, spec, SUBSCRIPTION } from "../reactions/helpers";

// Issue 20, event-driven: a new Kubernetes version proposes an upgrade run once; NodePoolRolling during a run is
// that run's progress, not another message; ClusterSupportEnded stays a critical notice.

const classifier = new EventClassifier({ spec });
const aksEvent = (cluster: string, id: string, eventType: string, data: unknown) => {
  const c = spec.clusters.find((x) => x.name === cluster)!;
  return classifier.classify({
    schema: "EventGrid",
    id,
    type: `Microsoft.ContainerService.${eventType}`,
    subject: c.aksName,
    source: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${c.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${c.aksName}`,
    time: "2026-11-24T05:00:00Z",
    data,
  });
};
const newVersion = (cluster: string, id: string) =>
  aksEvent(cluster, id, "NewKubernetesVersionAvailable", {
    latestSupportedKubernetesVersion: "1.34.1",
    latestStableKubernetesVersion: "1.34.1",
    lowestMinorKubernetesVersion: "1.32.6",
    latestPreviewKubernetesVersion: "1.35.0",
  });

/** Durable's instance semantics in memory: an id starts once; statuses (and custom statuses) as the test sets them. */
function client(
  statuses: Record<string, string> = {},
  custom: Record<string, unknown> = {},
): ReactionClient & { started: string[]; raised: [string, string, unknown][] } {
  const started: string[] = [];
  const raised: [string, string, unknown][] = [];
  return {
    started,
    raised,
    status: (id) =>
      Promise.resolve(
        statuses[id] !== undefined ? { runtimeStatus: statuses[id], customStatus: custom[id] } : undefined,
      ),
    start(_orchestration, id) {
      started.push(id);
      statuses[id] = "Running";
      return Promise.resolve();
    },
    raise(id, name, data) {
      raised.push([id, name, data]);
      return Promise.resolve();
    },
  };
}

/** A run's custom status with app1 in the given state. */
const runAt = (app1: string) => ({
  runId: "r1",
  stages: [
    { name: "mgmt", clusters: [{ cluster: "mgmt", state: "upgraded", instanceId: "upgrade:k8s-demo:mgmt:1" }] },
    {
      name: "app1",
      clusters: [
        { cluster: "app1", state: app1, ...(app1 === "pending" ? {} : { instanceId: "upgrade:k8s-demo:app1:1" }) },
      ],
    },
  ],
});

describe("upgrade proposals", () => {
  it("proposes the announced minor once, however often and for however many clusters it is announced", async () => {
    const first = reactionFor(newVersion("mgmt", "evt-1"), { spec });
    expect(first).toMatchObject({
      type: "start",
      orchestration: Orchestrations.upgradeProposal,
      instanceId: `upgrade-proposal:${spec.name}:1.34`,
      input: { target: { kubernetesVersion: "1.34" }, cluster: "mgmt" },
    });
    const c = client();
    const outcomes = [
      await react(newVersion("mgmt", "evt-1"), c, { spec }),
      await react(newVersion("mgmt", "evt-1"), c, { spec }),
      await react(newVersion("app1", "evt-2"), c, { spec }),
    ];
    expect(outcomes.map((o) => o.action)).toEqual(["started", "duplicate", "duplicate"]);
    expect(c.started).toEqual([`upgrade-proposal:${spec.name}:1.34`]);
  });

  it("keeps ClusterSupportEnded a critical notice", () => {
    const ended = aksEvent("app2", "evt-3", "ClusterSupportEnded", { kubernetesVersion: "1.31.9" });
    expect(ended.severity).toBe("critical");
    expect(reactionFor(ended, { spec })).toMatchObject({ orchestration: Orchestrations.lifecycleNotice });
  });

  it("feeds NodePoolRolling of a cluster the run works on into that cluster's upgrade, instead of a message", async () => {
    const rolling = classifier.classify({ schema: "EventGrid", ...lifecycleEventFields("app1", "evt-4") });
    const run = upgradeInstanceId(spec.name);
    // The run names app1's upgrade before Durable has created it: the trigger fails so that Event Grid redelivers.
    const early = client({ [run]: "Running" }, { [run]: runAt("running") });
    await expect(react(rolling, early, { spec })).rejects.toThrow(/does not exist yet; redeliver/);
    expect([early.raised, early.started]).toEqual([[], []]);

    const during = client({ [run]: "Running", "upgrade:k8s-demo:app1:1": "Running" }, { [run]: runAt("running") });
    const outcome = await react(rolling, during, { spec });
    expect(outcome).toMatchObject({ action: "joined", instanceId: "upgrade:k8s-demo:app1:1" });
    expect(outcome.reason).toContain("progress of upgrade run r1");
    expect(during.raised).toEqual([
      [
        "upgrade:k8s-demo:app1:1",
        NODE_POOL_ROLLING_EVENT,
        { eventId: "evt-4", pool: "system", phase: "started", at: "2026-11-24T05:00:00Z" },
      ],
    ]);
    expect(during.started).toEqual([]);

    // The run has been at the cluster: its status tells how the pool ended, no second word.
    const after = client({ [run]: "Running" }, { [run]: runAt("blocked") });
    expect(await react(rolling, after, { spec })).toMatchObject({ action: "none" });
    expect(after.raised).toEqual([]);
    // A cluster the run has not reached, or no run at all: someone else's rolling stays an informational message.
    for (const c of [client({ [run]: "Running" }, { [run]: runAt("pending") }), client({ [run]: "Completed" })]) {
      expect((await react(rolling, c, { spec })).action).toBe("started");
      expect(c.raised).toEqual([]);
    }
  });
});

function lifecycleEventFields(cluster: string, id: string) {
  const e = lifecycleEvent(cluster, id);
  return { id: e.id, type: e.eventType, subject: e.subject, source: e.topic, time: e.eventTime, data: e.data };
}
