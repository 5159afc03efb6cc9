import { beforeAll, describe, expect, it } from "vitest";
import { Activities } from "../../lib/function-names";
import { defaultSpec } from "../../lib/spec";
import { createInvocationContext, getRegistry, loadApp } from "../../local/registry";

// Issue 17's Durable boundary in the upgrade and drift rooms: every activity parses its input against its room's
// zod contract before touching Azure, naming the paths that do not fit (never the values).

beforeAll(async () => {
  await loadApp();
}, 60_000);

function invoke(activity: string, input: unknown): Promise<unknown> {
  const fn = getRegistry().get(activity, "activityTrigger");
  // A contract violation throws synchronously inside the handler: as a rejection, as the host reports it.
  return Promise.resolve().then(() =>
    fn.handler(
      input,
      createInvocationContext(fn, () => {}),
    ),
  );
}

const cluster = {
  subscriptionId: defaultSpec.subscriptionId,
  name: "app1",
  aksName: "aks-k8s-demo-app1",
  resourceGroup: "rg-k8s-demo-app1",
  istioGateway: true,
};

describe("the upgrade and drift rooms at the Durable boundary", () => {
  it.each([
    [
      Activities.startUpgradeStep,
      { cluster, operation: { kind: "pool", pool: "system", to: "1.34.1" } },
      "operation.maxSurge",
    ],
    [
      Activities.getUpgradeStepState,
      { cluster: { ...cluster, aksName: "" }, operation: { kind: "control-plane", to: "1.34" } },
      "cluster.aksName",
    ],
    [
      Activities.runHealthGates,
      { cluster, expect: { maxPendingPods: -1, istioGateway: true, istioRevisions: [] } },
      "expect.maxPendingPods",
    ],
    [Activities.moveIstioWorkloads, { cluster, from: "asm-1-26" }, "to"],
    [
      Activities.writeMaintenanceWindows,
      { clusters: [{ cluster, window: { dayOfWeek: "Someday" } }] },
      "clusters.0.window.dayOfWeek",
    ],
    [
      Activities.planUpgradeRun,
      { spec: defaultSpec, target: { kubernetesVersion: "latest" } },
      "target.kubernetesVersion",
    ],
    [
      Activities.notifyUpgrade,
      { message: { kind: "blocked" }, notifications: defaultSpec.notifications },
      "message.environment",
    ],
    [Activities.cleanDeploymentHistory, { subscriptionId: "s", resourceGroups: "rg" }, "resourceGroups"],
    [Activities.storeDriftReport, { environment: "k8s-demo" }, "checkedAt"],
    [
      Activities.checkUnitDrift,
      { subscriptionId: "s", location: "koreacentral", environment: "k8s-demo", unit: { name: "u" }, sources: {} },
      "unit.template",
    ],
    [
      Activities.checkRemediationGate,
      { subscriptionId: "s", location: "koreacentral", units: [], clusterIds: { u: 1 } },
      "clusterIds.u",
    ],
    [Activities.notifyDrift, { message: { title: "x" }, notifications: defaultSpec.notifications }, "message"],
  ])("%s refuses an input that does not fit, naming %s", async (activity, input, path) => {
    await expect(invoke(activity, input)).rejects.toThrow(
      new RegExp(`activity ${activity}: input does not match its contract: .*${path.replace(/\./g, "\\.")}`),
    );
  });
});
