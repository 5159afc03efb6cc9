import { describe, expect, it } from "vitest";
import { classifyDelivery, EventClassifier } from "../../lib/events";
import type { DomainEvent, SpotEvictionEvent } from "../../lib/events";
import { defaultSpec } from "../../lib/spec";

const SUB = "3f2e8c1a-5b7d-4e9f-a1c2-9d8e7f6a5b4c";
const classifier = new EventClassifier({ spec: defaultSpec });

/** A Health Resources preemption in the Event Grid schema for a NAP VM of `cluster`. */
function eviction(
  cluster: string,
  vm: string,
  occurredTime: string,
  id = `${cluster}-${vm}-${occurredTime}`,
): Record<string, unknown> {
  const target = `/subscriptions/${SUB}/resourceGroups/rg-k8s-demo-${cluster}-nodes/providers/Microsoft.Compute/virtualMachines/${vm}`;
  return {
    id,
    topic: `/subscriptions/${SUB}`,
    subject: target,
    eventType: "Microsoft.ResourceNotifications.HealthResources.ResourceAnnotated",
    dataVersion: "1",
    metadataVersion: "1",
    eventTime: occurredTime,
    data: {
      resourceInfo: {
        id: `${target}/providers/Microsoft.ResourceHealth/resourceAnnotations/${id}`,
        name: id,
        type: "Microsoft.ResourceHealth/resourceAnnotations",
        properties: {
          targetResourceId: target,
          targetResourceType: "Microsoft.Compute/virtualMachines",
          occurredTime,
          annotationName: "VirtualMachinePreempted",
          reason: "Preempted by Azure",
          context: "Platform Initiated",
          category: "Unplanned",
        },
      },
      operationalInfo: { resourceEventTime: occurredTime },
      apiVersion: "2022-08-01",
    },
  };
}

async function classifyAll(body: unknown): Promise<DomainEvent[]> {
  const result = await classifyDelivery(JSON.stringify(body), classifier);
  if (!result.ok) throw new Error(result.problem.message);
  return result.items.map((i) => {
    if (!i.ok) throw new Error(i.error);
    return i.event;
  });
}

describe("dedupe keys", () => {
  it("the same event delivered 5 times has one key", async () => {
    const one = eviction("app1", "aks-spot-d-aaaaa", "2026-11-20T03:14:07Z");
    const events = await classifyAll([one, one, one, one, one]);
    expect(new Set(events.map((e) => e.dedupeKey)).size).toBe(1);
  });

  it("the same happening delivered in both schemas and with other ids has one key", async () => {
    const eg = eviction("app1", "aks-spot-d-aaaaa", "2026-11-20T03:14:07Z", "id-1");
    const ce = {
      id: "id-2",
      type: eg.eventType,
      source: eg.topic,
      subject: eg.subject,
      specversion: "1.0",
      time: eg.eventTime,
      data: eg.data,
    };
    const [a, b] = await classifyAll([eg, ce]);
    expect(a?.schema).toBe("EventGrid");
    expect(b?.schema).toBe("CloudEvents");
    expect(a?.dedupeKey).toBe(b?.dedupeKey);
  });

  it("keys differ for different VMs, times and kinds, and are stable across classifier instances", async () => {
    const events = await classifyAll([
      eviction("app1", "aks-spot-d-aaaaa", "2026-11-20T03:14:07Z"),
      eviction("app1", "aks-spot-d-bbbbb", "2026-11-20T03:14:07Z"),
      eviction("app1", "aks-spot-d-aaaaa", "2026-11-20T03:20:00Z"),
    ]);
    expect(new Set(events.map((e) => e.dedupeKey)).size).toBe(3);
    const fresh = await classifyDelivery(
      JSON.stringify(eviction("app1", "aks-spot-d-aaaaa", "2026-11-20T03:14:07Z")),
      new EventClassifier({ spec: defaultSpec }),
    );
    expect(fresh.ok && fresh.items[0]?.ok && fresh.items[0].event.dedupeKey).toBe(events[0]?.dedupeKey);
  });
});

describe("an eviction storm", () => {
  // 500 evictions within 2 minutes (03:16:00–03:17:59), 300 on app1 and 200 on app2, delivered shuffled in batches.
  const storm = Array.from({ length: 500 }, (_, i) => {
    const cluster = i % 5 < 3 ? "app1" : "app2";
    const second = Math.floor((i * 120) / 500);
    const time = new Date(Date.UTC(2026, 10, 20, 3, 16, 0) + second * 1000 + (i % 1000)).toISOString();
    return eviction(cluster, `aks-spot-d-${i.toString(36).padStart(5, "0")}`, time);
  });
  // A deterministic shuffle (out-of-order delivery) plus redeliveries of the first 50.
  const delivered = [
    ...storm
      .map((e, i) => ({ e, k: (i * 7919) % 500 }))
      .sort((a, b) => a.k - b.k)
      .map((x) => x.e),
    ...storm.slice(0, 50),
  ];

  it("opens one watch per cluster", async () => {
    const events: DomainEvent[] = [];
    for (let i = 0; i < delivered.length; i += 100) events.push(...(await classifyAll(delivered.slice(i, i + 100))));
    const evictions = events.filter((e): e is SpotEvictionEvent => e.kind === "spot-eviction");
    expect(evictions).toHaveLength(550);
    expect(new Set(evictions.map((e) => e.watchKey))).toEqual(
      new Set(["eviction-k8s-demo-app1-20261120T0315Z", "eviction-k8s-demo-app2-20261120T0315Z"]),
    );
  });

  it("classifies the same whatever the order of arrival", async () => {
    const keys = (events: DomainEvent[]) =>
      events.map((e) => `${e.dedupeKey} ${e.kind === "spot-eviction" ? e.watchKey : ""}`).sort();
    const inOrder = await classifyAll(storm);
    const reversed = await classifyAll([...storm].reverse());
    expect(keys(reversed)).toEqual(keys(inOrder));
  });
});
