import { Functions } from "../../lib/function-names";
import { beforeAll, describe, expect, it } from "vitest";
import { classifyDelivery, CUSTOM_EVENT_TYPES, EventClassifier, SPOT_EVICTION_ANNOTATION } from "../../lib/events";
import type { PlanResource } from "../../lib/plan";
import { RESOURCE_EVENT_TYPES } from "../../lib/drift";
import { defaultSpec } from "../../lib/spec";
import { loadApp, type FunctionRegistry } from "../../local/registry";
import { expandPlatformAccess, expandSubscriptions, readInfraTemplate, single } from "./infra";

/**
 * The functions registered in code and the Event Grid subscriptions / alert webhook in infra/ must name each other:
 * renaming a function, dropping one, or changing the event types the code reacts to fails here.
 */

interface Subscription {
  id: string;
  /** The topic's type: the custom topic, or a system topic's `topicType`. */
  topicType: string;
  functionName: string;
  eventTypes: string[];
  advancedFilters: { operatorType: string; key: string; values: string[] }[];
}

function subscriptions(): Subscription[] {
  const resources: PlanResource[] = [...expandSubscriptions().resources, ...expandPlatformAccess().resources];
  const systemTopicTypes = new Map(
    resources
      .filter((r) => r.type === "Microsoft.EventGrid/systemTopics")
      .map((r) => [r.name, (r.properties as { topicType: string }).topicType]),
  );
  return resources
    .filter((r) => /^Microsoft\.EventGrid\/(systemTopics|topics)\/eventSubscriptions$/.test(r.type))
    .map((r) => {
      const p = r.properties as {
        destination: { properties: { resourceId: string } };
        filter: { includedEventTypes: string[]; advancedFilters?: Subscription["advancedFilters"] };
      };
      const topic = r.name.split("/")[0]!;
      return {
        id: r.id,
        // The Health Resources topic is deployed by main.json, not expanded here: recognise it by name.
        topicType: r.type.includes("/topics/")
          ? "custom"
          : (systemTopicTypes.get(topic) ??
            (topic.startsWith("evgst-health-")
              ? "Microsoft.ResourceNotifications.HealthResources"
              : topic.startsWith("evgst-resources-")
                ? "Microsoft.Resources.Subscriptions"
                : "unknown")),
        functionName: p.destination.properties.resourceId.split("/functions/")[1]!,
        eventTypes: p.filter.includedEventTypes,
        advancedFilters: p.filter.advancedFilters ?? [],
      };
    });
}

/** An Event Grid delivery of one event of `eventType` with empty data: enough to see how the classifier routes it. */
const probe = (eventType: string): string =>
  JSON.stringify([
    {
      id: `probe-${eventType}`,
      eventType,
      subject: "probe",
      eventTime: "2026-11-24T00:00:00Z",
      data: {},
      dataVersion: "1",
      metadataVersion: "1",
      topic: "/subscriptions/00000000-0000-0000-0000-000000000000",
    },
  ]);

let registry: FunctionRegistry;
beforeAll(async () => {
  registry = await loadApp();
});

describe("infra ↔ registered functions", () => {
  it("every Event Grid function has a subscription and every subscription targets an Event Grid function", () => {
    const registered = registry.byTrigger("eventGridTrigger").map((f) => f.name);
    expect(registered.length).toBeGreaterThan(0);
    const subscribed = new Set(subscriptions().map((s) => s.functionName));
    expect([...subscribed].sort()).toEqual([...new Set(registered)].sort());
    for (const s of subscriptions()) expect(registry.get(s.functionName, "eventGridTrigger").name).toBe(s.functionName);
  });

  it("each topic feeds the function named for it", () => {
    const byTopic = new Map<string, Set<string>>();
    for (const s of subscriptions())
      byTopic.set(s.topicType, (byTopic.get(s.topicType) ?? new Set()).add(s.functionName));
    expect(Object.fromEntries([...byTopic].map(([topic, fns]) => [topic, [...fns]]))).toEqual({
      "Microsoft.ResourceNotifications.HealthResources": ["eventgridHealth"],
      "Microsoft.ContainerService.ManagedClusters": ["eventgridHealth"],
      custom: ["eventgridCustom"],
      "Microsoft.KeyVault.vaults": ["eventgridKeyVault"],
      "Microsoft.Resources.Subscriptions": ["eventgridResources"],
    });
  });

  it("the Resources subscription carries the write/delete/action events drift reacts to, only for the platform's groups", () => {
    const resources = subscriptions().filter((s) => s.functionName === "eventgridResources");
    expect(resources).toHaveLength(1);
    expect([...resources[0]!.eventTypes].sort()).toEqual([...RESOURCE_EVENT_TYPES].sort());
    const groups = [defaultSpec.commonResourceGroup, ...defaultSpec.clusters.map((c) => c.resourceGroup)];
    expect(resources[0]!.advancedFilters).toEqual([
      {
        operatorType: "StringBeginsWith",
        key: "subject",
        values: groups.map((g): unknown => expect.stringMatching(new RegExp(`/resourceGroups/${g}/$`))),
      },
    ]);
  });

  it("the custom topic subscription carries exactly the event types the app publishes", () => {
    const custom = subscriptions().filter((s) => s.topicType === "custom");
    expect(custom.flatMap((s) => s.eventTypes).sort()).toEqual(Object.values(CUSTOM_EVENT_TYPES).sort());
  });

  it("Spot evictions are filtered on the annotation the classifier looks for", () => {
    const spot = subscriptions().find((s) =>
      s.eventTypes.includes("Microsoft.ResourceNotifications.HealthResources.ResourceAnnotated"),
    );
    expect(spot?.advancedFilters).toContainEqual({
      operatorType: "StringIn",
      key: "data.resourceInfo.properties.annotationName",
      values: [SPOT_EVICTION_ANNOTATION],
    });
  });

  it("every subscribed event type is one the classifier routes (none would be dropped as unknown)", async () => {
    const classifier = new EventClassifier({ spec: defaultSpec });
    // Resources events go to drift (lib/drift), not to the reaction classifier: checked above.
    for (const s of subscriptions().filter((x) => x.functionName !== "eventgridResources")) {
      for (const eventType of s.eventTypes) {
        const delivery = await classifyDelivery(probe(eventType), classifier);
        expect(delivery.ok, eventType).toBe(true);
        if (!delivery.ok) continue;
        const item = delivery.items[0]!;
        expect(item.ok, eventType).toBe(true);
        if (item.ok && item.event.kind === "ignored")
          expect(item.event.reason, `${eventType} via ${s.id}`).not.toMatch(/is not one this app reacts to/);
      }
    }
    // The probe itself distinguishes: an unrelated type is reported as unknown.
    const unknown = await classifyDelivery(probe("Contoso.Unrelated"), classifier);
    expect(JSON.stringify(unknown)).toMatch(/is not one this app reacts to/);
  });

  it("every HTTP function requires a function key (the Function App is reachable from the internet)", () => {
    const http = registry.byTrigger("httpTrigger");
    expect(http.length).toBeGreaterThan(3);
    // The exceptions: the ops page's script and style, static files named by their content hash, and the README's
    // runbooks, holding no data (a browser loads them from the page or from an alert's link without the key).
    const anonymous = http.filter((fn) => fn.trigger.authLevel !== "function").map((fn) => fn.name);
    expect(anonymous.sort()).toEqual([Functions.opsAsset, Functions.runbooks].sort());
  });

  it("the action group webhook calls the registered monitorAlert HTTP function on its route, with a function key", () => {
    const template = readInfraTemplate("eventgrid-subscriptions.json") as {
      variables: { functions: { alert: string }; alertRoute: string };
    };
    const fn = registry.get(template.variables.functions.alert, "httpTrigger");
    expect(fn.trigger.route).toBe(template.variables.alertRoute);
    expect(fn.trigger.authLevel).toBe("function");
    expect(fn.trigger.methods).toContain("POST");
    const group = single(expandSubscriptions().resources, "Microsoft.Insights/actionGroups");
    const receiver = (group.properties as { webhookReceivers: { name: string; serviceUri: unknown }[] })
      .webhookReceivers[0]!;
    expect(receiver.name).toBe(fn.name);
    expect(JSON.stringify(receiver.serviceUri)).toMatch(/listKeys\(format\('\{0\}\/functions\/\{1\}'/);
  });
});
