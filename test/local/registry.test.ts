import path from "node:path";
import { app } from "@azure/functions";
import * as df from "durable-functions";
import { describe, expect, it } from "vitest";
import { FunctionRegistryError, getRegistry, loadApp } from "../../local/registry";

describe("function registry", () => {
  it("captures registrations with their bindings and handler, by name and trigger type", () => {
    df.app.activity("regActivity", { handler: (n: number) => n + 1 });
    df.app.client.http("regClient", { route: "reg/{id}", handler: () => ({ status: 204 }) });
    const activity = getRegistry().get("regActivity", "activityTrigger");
    expect(activity.triggerType).toBe("activityTrigger");
    expect(activity.handler(1, undefined)).toBeInstanceOf(Promise);
    const client = getRegistry().get("regClient");
    expect(client.trigger).toMatchObject({ type: "httpTrigger", route: "reg/{id}", direction: "in" });
    expect(client.extraInputs.map((b) => b.type)).toEqual(["durableClient"]);
    expect(client.returnBinding?.type).toBe("http");
    expect(
      getRegistry()
        .byTrigger("activityTrigger")
        .map((f) => f.name),
    ).toContain("regActivity");
    expect(() => getRegistry().get("regActivity", "orchestrationTrigger")).toThrow(/expected orchestrationTrigger/);
    expect(() => getRegistry().get("nope")).toThrow(FunctionRegistryError);
  });

  it("rejects a second registration of the same name", () => {
    app.http("regTwice", { handler: () => ({}) });
    expect(() => app.http("regTwice", { handler: () => ({}) })).toThrow(/registered twice/);
  });

  it("loads every file of an app root exactly once", async () => {
    const root = path.join(__dirname, "fixtures/app");
    await loadApp({ root });
    await loadApp({ root });
    expect(
      getRegistry()
        .all()
        .filter((f) => f.name === "fixturePing"),
    ).toHaveLength(1);
    expect(getRegistry().get("fixturePing").trigger.methods).toEqual(["GET"]);
  });
});
