import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backupVerifyInstanceId } from "../../functions/backupVerifyTimer";
import {
  buildChildInstanceId,
  buildInstanceId,
  restoreInstanceId,
  teardownInstanceId,
  whatIfInstanceId,
} from "../../lib/api/instance-ids";
import { driftWatchInstanceId } from "../../lib/drift";
import { upgradeInstanceId } from "../../lib/upgrade/run";
import { handleEnvironments, workOf, type InstanceStatuses } from "../../lib/api/environments";
import { storageFromConnectionString } from "../../lib/azure";
import { EnvironmentRegistry } from "../../lib/environments";
import { NotifyStore, urlFingerprint } from "../../lib/notify";
import { startAzurite, type AzuriteHandle } from "../../local/azurite";
import { specNamed } from "../helpers/specs";
import { samples } from "../notify/fixtures";

/**
 * `DELETE /api/environments/{env}` over the real registry and outboxes on Azurite: the route name is checked, an
 * unknown environment is a 404 naming the known ones, any running work of the environment (whatever its kind)
 * blocks it, and removing it discards the messages its outbox still kept.
 */

let azurite: AzuriteHandle;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

const request = (env: string, method = "DELETE") => ({
  method,
  url: `http://127.0.0.1/api/environments/${env}`,
  params: { env },
  query: new URLSearchParams(),
  headers: { get: () => null },
  text: () => Promise.resolve(""),
});

/** The Durable instances running now; `listed` is what the task hub's list says (it may lag behind). */
function running(ids: string[], listed: string[] = ids): InstanceStatuses {
  return {
    get: (instanceId) => Promise.resolve(ids.includes(instanceId) ? { runtimeStatus: "Running" } : undefined),
    active: () => Promise.resolve(listed),
  };
}

describe("removing an environment", () => {
  it("names what each running instance of an environment is, and nothing of another environment", () => {
    // The ids each kind of work really gets (the drift sweep's is built in functions/driftSweep).
    expect(workOf(buildInstanceId("lab"), "lab")).toBe("build");
    expect(workOf(buildChildInstanceId(buildInstanceId("lab"), "1a2b3c4d", "cluster app1"), "lab")).toBe("build");
    expect(workOf(whatIfInstanceId("lab"), "lab")).toBe("what-if");
    expect(workOf(restoreInstanceId("lab", "app1"), "lab")).toBe("restore of app1");
    expect(workOf(teardownInstanceId("lab", "app1"), "lab")).toBe("teardown of app1");
    expect(workOf(upgradeInstanceId("lab"), "lab")).toBe("upgrade");
    expect(workOf(driftWatchInstanceId("lab"), "lab")).toBe("drift check");
    expect(workOf("drift-sweep:lab:2026-12-07T09:10:00.000Z", "lab")).toBe("drift check");
    expect(workOf(backupVerifyInstanceId("lab", "2026-12-07"), "lab")).toBe("nightly backup verification");
    expect(workOf("build:lab2", "lab")).toBeUndefined();
    expect(workOf("restore:k8s-demo:lab", "lab")).toBeUndefined();
    expect(workOf("eviction-lab-mgmt-abc", "lab")).toBeUndefined();
  });

  it("checks the name, 404s naming the known ones, 409s while any work runs, then forgets it and its kept messages", async () => {
    const storage = storageFromConnectionString(azurite.connectionString);
    const registry = await EnvironmentRegistry.open({ storage, tableName: "removeenvs" });
    const lab = specNamed("lab");
    const other = specNamed("lab2");
    await registry.recordBuildAccepted(lab, new Date());
    await registry.recordBuildAccepted(other, new Date());
    const outbox = (name: string) => NotifyStore.open({ storage, tableName: "removeoutbox" }, name);
    const keep = async (name: string) =>
      (await outbox(name)).addPending(
        {
          channel: "teams",
          target: urlFingerprint("https://example.invalid/hook"),
          reason: "retry",
          attempts: 1,
          rounds: 1,
          dueAt: new Date(Date.now() + 60_000),
          message: { ...samples["backup-failed"]!, environment: name },
        },
        new Date(),
      );
    await keep("lab");
    await keep("lab");
    await keep("lab2");
    const discard = async (name: string) => (await outbox(name)).discardAll();

    const bad = await handleEnvironments(request("Lab_1"), registry, running([]), discard);
    expect(bad).toMatchObject({ status: 400, jsonBody: { parameter: "env" } });
    expect((bad.jsonBody as { error: string }).error).toContain("'Lab_1'");

    const unknown = await handleEnvironments(request("nowhere"), registry, running([]), discard);
    expect(unknown).toMatchObject({
      status: 404,
      jsonBody: { error: "unknown environment nowhere (known: k8s-demo, lab, lab2)" },
    });

    for (const [id, what] of [
      ["build:lab:1a2b3c4d:cluster-app1", "build"],
      ["upgrade:lab", "upgrade"],
      ["drift-sweep:lab:2026-12-07T09:10:00.000Z", "drift check"],
      ["drift-watch:lab", "drift check"],
      ["teardown:lab:app2", "teardown of app2"],
      ["restore:lab:app1", "restore of app1"],
    ] as const) {
      const busy = await handleEnvironments(request("lab"), registry, running([id, "build:lab2"]), discard);
      expect([busy.status, (busy.jsonBody as { error: string }).error]).toEqual([
        409,
        `environment lab cannot be removed while its ${what} runs`,
      ]);
    }
    expect(await registry.find("lab")).toBeDefined();

    // The task hub's list lags both ways: a build it does not list yet blocks; one it still lists but that ended does not.
    const unlisted = await handleEnvironments(request("lab"), registry, running(["build:lab"], []), discard);
    expect(unlisted.status).toBe(409);
    const ended = await handleEnvironments(request("lab"), registry, running([], ["upgrade:lab"]), discard);
    expect(ended.status).toBe(200);
    await registry.recordBuildAccepted(lab, new Date());
    await keep("lab");
    await keep("lab");
    // Work of another environment (even one whose name starts alike) does not block it.
    const removed = await handleEnvironments(request("lab"), registry, running(["build:lab2"]), discard);
    expect(removed).toMatchObject({ status: 200, jsonBody: { removed: "lab", discardedMessages: 2 } });
    expect(await registry.find("lab")).toBeUndefined();
    expect(await (await outbox("lab")).listPending()).toEqual([]);
    expect(await (await outbox("lab2")).listPending()).toHaveLength(1);
  });
});
