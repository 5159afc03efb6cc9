import { describe, expect, it } from "vitest";
import { classifyDelivery, EventClassifier } from "../../lib/events";
import type { DomainEvent } from "../../lib/events";
import { answerWebhookHandshake, chooseDeliveryResponse, dedupeEvents, groupIntoDigests } from "../../lib/ops";
import type { DigestableEvent } from "../../lib/ops";
import { defaultSpec } from "../../lib/spec";

const ev = (
  kind: DomainEvent["kind"],
  key: string,
  occurredAt: string | undefined,
  cluster?: string,
  severity: DomainEvent["severity"] = "info",
): DigestableEvent => ({
  kind,
  dedupeKey: key,
  severity,
  ...(occurredAt !== undefined ? { occurredAt } : {}),
  ...(cluster !== undefined ? { cluster } : {}),
});

describe("groupIntoDigests", () => {
  const events = [
    ev("spot-eviction", "a", "2026-11-20T03:16:10.000Z", "app1", "warning"),
    ev("certificate", "c", "2026-11-20T03:17:00.000Z", undefined, "critical"),
    ev("spot-eviction", "b", "2026-11-20T03:14:59.999Z", "app2", "warning"),
    ev("spot-eviction", "a", "2026-11-20T03:16:10.000Z", "app1", "warning"),
    ev("spot-eviction", "d", "2026-11-20T03:19:59.000Z", undefined, "warning"),
    ev("backup-failure", "x", undefined, "app1", "warning"),
  ];

  it("groups by kind and fixed window, counting duplicates once", () => {
    const digests = groupIntoDigests(events, 5);
    expect(digests.map((d) => [d.key, d.count])).toEqual([
      ["backup-failure-undated", 1],
      ["spot-eviction-20261120T0310Z", 1],
      ["certificate-20261120T0315Z", 1],
      ["spot-eviction-20261120T0315Z", 2],
    ]);
    expect(digests[3]).toMatchObject({
      clusters: { app1: 1, unknown: 1 },
      severity: "warning",
      windowEnd: "2026-11-20T03:20:00.000Z",
    });
    expect(digests[2]?.severity).toBe("critical");
  });

  it("does not digest with a window of 0", () => {
    expect(groupIntoDigests(events, 0).map((d) => d.count)).toEqual([1, 1, 1, 1, 1]);
  });

  it("is independent of arrival order", () => {
    expect(groupIntoDigests([...events].reverse(), 5)).toEqual(groupIntoDigests(events, 5));
  });

  it("refuses a negative window", () => {
    expect(() => groupIntoDigests(events, -1)).toThrow(RangeError);
  });

  it("dedupeEvents keeps the first of each key", () => {
    expect(dedupeEvents(events).map((e) => e.dedupeKey)).toEqual(["a", "c", "b", "d", "x"]);
  });
});

describe("chooseDeliveryResponse", () => {
  const classifier = new EventClassifier({ spec: defaultSpec });
  const respond = async (body: string) => chooseDeliveryResponse(await classifyDelivery(body, classifier));
  const unknown = {
    id: "1",
    topic: "t",
    subject: "s",
    eventType: "Foo.Bar",
    data: {},
    dataVersion: "1",
    metadataVersion: "1",
    eventTime: "2026-11-20T00:00:00Z",
  };

  it.each([
    ["not JSON", "{oops", 400],
    ["an empty batch", "[]", 400],
    ["a scalar", "12", 400],
    ["a batch of garbage only", JSON.stringify([{ a: 1 }, { eventType: 3 }]), 400],
    ["an ignored event", JSON.stringify(unknown), 200],
    ["a batch with one good event among garbage", JSON.stringify([{ a: 1 }, unknown]), 200],
    ["an oversized body", JSON.stringify({ ...unknown, data: "x".repeat(1024 * 1024) }), 413],
  ])("%s → %i", async (_name, body, status) => {
    expect((await respond(body)).status).toBe(status);
  });

  it("answers the validation handshake with its code", async () => {
    const body = JSON.stringify([
      { ...unknown, eventType: "Microsoft.EventGrid.SubscriptionValidationEvent", data: { validationCode: "code-1" } },
    ]);
    expect(await respond(body)).toEqual({ status: 200, body: { validationResponse: "code-1" } });
  });

  it("reports counts and the rejected elements", async () => {
    expect((await respond(JSON.stringify([{ a: 1 }, unknown]))).body).toMatchObject({
      accepted: 0,
      ignored: 1,
      rejected: [{ index: 0, error: expect.stringContaining("not an event") }],
    });
  });
});

describe("answerWebhookHandshake", () => {
  it("allows the requesting origin", () => {
    expect(answerWebhookHandshake(" eventgrid.azure.net ")).toEqual({
      status: 200,
      headers: { "WebHook-Allowed-Origin": "eventgrid.azure.net", "WebHook-Allowed-Rate": "*" },
    });
  });

  it.each([[undefined], [""], ["  "]])("refuses a request without an origin (%j)", (origin) => {
    expect(answerWebhookHandshake(origin).status).toBe(400);
  });
});
