import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleProvision } from "../../lib/api/builds";
import { teardownBlocker } from "../../lib/api/clusters";
import type { ApiRequest } from "../../lib/api/http";
import { restoreBlocker } from "../../lib/api/restore";
import { handleUpgradeAction, handleUpgrades, upgradeInstanceId, type UpgradeInstances } from "../../lib/api/upgrades";
import { Orchestrations } from "../../lib/function-names";
import type { PlatformSpec } from "../../lib/spec";
import { asEnvironments } from "../../local/cli/target-environments";
import { driverUpgradeInstances } from "../../local/upgrade/instances";
import type { UpgradeRunStatus } from "../../orchestrations/upgrade/contracts";
import { buildPlatform, type Platform } from "../helpers/platform";
import { environmentRequest, upgradablePlatform } from "../helpers/upgrade-run";

// The paths beside an upgrade run's happy path (issue 20), through the real orchestrations on the sandbox: other
// work posted while a run is active, and a run cancelled in the middle of a cluster, then started again.

const TIME_SCALE = 1200;
let platform: Platform;
let spec: PlatformSpec;
let upgrades: UpgradeInstances;
let runs = 0;

beforeAll(async () => {
  platform = await buildPlatform(upgradablePlatform("upgrade-beside", TIME_SCALE));
  spec = platform.spec;
  upgrades = driverUpgradeInstances(platform.driver);
}, 300_000);

afterAll(async () => {
  await platform?.stop();
});

const environments = () => asEnvironments(new Map([[spec.name, spec]]));

function request(method: string, path: string, params: Record<string, string>, body?: unknown): ApiRequest {
  return environmentRequest(spec, method, path, params, body);
}

async function start(target: Record<string, unknown>, approved: boolean): Promise<string> {
  runs += 1;
  const res = await handleUpgrades(
    request("POST", "upgrades", { env: spec.name }, { target, approved }),
    upgrades,
    environments(),
    () => new Date(Date.UTC(2026, 10, 20, 4, runs)),
  );
  expect(res.status, JSON.stringify(res.jsonBody)).toBe(202);
  return (res.jsonBody as { runId: string }).runId;
}

async function act(runId: string, action: string) {
  return handleUpgradeAction(
    request("POST", `upgrades/${runId}/${action}`, { env: spec.name, id: runId, action }),
    upgrades,
    environments(),
  );
}

async function until(
  what: string,
  done: (s: UpgradeRunStatus | undefined, runtimeStatus: string) => boolean,
  timeoutMs = 240_000,
): Promise<UpgradeRunStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await upgrades.get(upgradeInstanceId(spec.name));
    const s = view?.customStatus as UpgradeRunStatus | undefined;
    if (done(s, view?.runtimeStatus ?? "")) return s!;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; ${view?.runtimeStatus} ${JSON.stringify(s)?.slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const clusterOf = (name: string) => platform.sandbox.state.cluster(spec.clusters.find((c) => c.name === name)!.aksName);

describe("work beside an upgrade run", () => {
  it("refuses a build, a teardown and a restore while a run is active (409 naming the run), not once it ended", async () => {
    const runId = await start({ kubernetesVersion: "1.33.5" }, false);
    await until("approval", (s) => s?.waitingFor === "approval");

    const build = await handleProvision(request("POST", "provision", { env: spec.name }, spec), platform.instances);
    expect(build.status, JSON.stringify(build.jsonBody)).toBe(409);
    expect((build.jsonBody as { error: string }).error).toContain(
      `upgrade run ${runId} of environment ${spec.name} is waiting-approval`,
    );
    const teardown = await teardownBlocker(spec.name, "app2", platform.instances);
    expect(teardown?.status).toBe(409);
    expect((teardown?.jsonBody as { error: string }).error).toContain(`upgrade run ${runId}`);
    expect((await restoreBlocker(spec.name, "app2", platform.instances))?.reason).toContain(`upgrade run ${runId}`);

    expect((await act(runId, "reject")).status).toBe(202);
    await until("the rejection", (_s, rs) => rs === "Completed");
    expect(await teardownBlocker(spec.name, "app2", platform.instances)).toBeUndefined();
    expect(await restoreBlocker(spec.name, "app2", platform.instances)).toBeUndefined();
  }, 300_000);

  it("a run cancelled while it upgrades a cluster stops that cluster's upgrade too; started again, it finishes", async () => {
    const first = await start({ kubernetesVersion: "1.33.5" }, true);
    const running = await until(
      "mgmt's first operation",
      (s) =>
        (s?.stages[0]?.clusters[0]?.state === "running" && s.stages[0].clusters[0].instanceId) !== undefined &&
        (clusterOf("mgmt").upgrade?.history.length ?? 0) > 0,
    );
    const child = running.stages[0]!.clusters[0]!.instanceId!;
    expect((await act(first, "cancel")).status).toBe(202);
    expect((await upgrades.get(upgradeInstanceId(spec.name)))?.runtimeStatus).toBe("Terminated");
    // The cluster's upgrade (a sub-orchestration) stops with the run: it starts no further AKS operation.
    const childView = await platform.driver.getStatus(child);
    expect(childView?.name).toBe(Orchestrations.upgradeCluster);
    expect(childView?.runtimeStatus).toBe("Terminated");
    const operations = clusterOf("mgmt").upgrade!.history.length;
    await new Promise((r) => setTimeout(r, 3000));
    expect(clusterOf("mgmt").upgrade!.history.length).toBe(operations);

    // Started again: the new run waits out what AKS still runs and finishes every stage, never two runs at once.
    const second = await start({ kubernetesVersion: "1.33.5" }, true);
    expect(second).not.toBe(first);
    const done = await until("the second run's end", (_s, rs) => rs !== "Running" && rs !== "Pending", 600_000);
    expect((await upgrades.get(upgradeInstanceId(spec.name)))?.runtimeStatus, JSON.stringify(done).slice(0, 2000)).toBe(
      "Completed",
    );
    expect(done.state).toBe("succeeded");
    for (const name of ["mgmt", "app1", "app2"]) expect(clusterOf(name).upgrade!.controlPlane).toBe("1.33.5");
  }, 900_000);
});
