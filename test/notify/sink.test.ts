import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSink, type Sink } from "../helpers/sink";

/** The webhook sink other areas reuse: scripted answers per path, then the default; waiting for requests. */

let sink: Sink;
beforeAll(async () => {
  sink = await startSink({ defaultResponse: { status: 202 } });
});
afterAll(async () => {
  await sink.close();
});

const post = async (path: string) => {
  const res = await request(`${sink.url}${path}`, { method: "POST", body: '{"a":1}' });
  return { status: res.statusCode, body: await res.body.text(), retryAfter: res.headers["retry-after"] };
};

describe("test sink", () => {
  it("answers per-path scripts first, then any-path scripts, then the default", async () => {
    sink.script([{ status: 429, headers: { "Retry-After": "3" }, body: "rate_limited" }], { path: "/a" });
    sink.script([{ status: 500, body: "boom" }]);
    expect(await post("/a?x=1")).toEqual({ status: 429, body: "rate_limited", retryAfter: "3" });
    expect(await post("/b")).toMatchObject({ status: 500, body: "boom" });
    expect(await post("/a")).toMatchObject({ status: 202, body: "" });
    expect(sink.requestsTo("/a").map((r) => r.path)).toEqual(["/a?x=1", "/a"]);
    expect(sink.requests[0]!.json()).toEqual({ a: 1 });
  });

  it("waits for requests and delays answers", async () => {
    sink.reset();
    sink.script([{ status: 200, body: "late", delayMs: 50 }]);
    const pending = post("/slow");
    await sink.waitForRequests(1, 2_000);
    expect(await pending).toMatchObject({ status: 200, body: "late" });
    await expect(sink.waitForRequests(2, 50)).rejects.toThrow("expected 2 requests, got 1");
  });
});
