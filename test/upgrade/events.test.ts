import { describe, expect, it } from "vitest";
import { EventClassifier } from "../../lib/events";
import { Orchestrations } from "../../lib/function-names";
import { reactionFor } from "../../lib/ops/reactions";
import { react, type ReactionClient } from "../../lib/ops/reactions-dispatch";
import { upgradeInstanceId } from "../../lib/upgrade";
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

/** Durable's instance semantics in memory: an id starts once; statuses as the test sets them. */
function client(statuses: Record<string, string> = {}): ReactionClient & { started: string[] } {
  const started: string[] = [];
  return {
    started,
    status: (id) => Promise.resolve(statuses[id] !== undefined ? { runtimeStatus: statuses[id] } : undefined),
    start(_orchestration, id) {
      started.push(id);
      statuses[id] = "Running";
      return Promise.resolve();
    },
    raise: () => Promise.resolve(),
  };
}

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

  it("sends no separate message for NodePoolRolling while an upgrade run is in progress", async () => {
    const rolling = classifier.classify({ schema: "EventGrid", ...lifecycleEventFields("app1", "evt-4") });
    const during = client({ [upgradeInstanceId(spec.name)]: "Running" });
    const outcome = await react(rolling, during, { spec });
    expect(outcome.action).toBe("none");
    expect(outcome.reason).toContain(`part of upgrade run ${upgradeInstanceId(spec.name)}`);
    expect(during.started).toEqual([]);
    const after = client({ [upgradeInstanceId(spec.name)]: "Completed" });
    expect((await react(rolling, after, { spec })).action).toBe("started");
  });
});

function lifecycleEventFields(cluster: string, id: string) {
  const e = lifecycleEvent(cluster, id);
  return { id: e.id, type: e.eventType, subject: e.subject, source: e.topic, time: e.eventTime, data: e.data };
}
