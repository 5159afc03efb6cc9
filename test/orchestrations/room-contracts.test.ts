import type { OrchestrationContext } from "durable-functions";
import { beforeAll, describe, expect, it } from "vitest";
import { Activities } from "../../lib/function-names";
import { defaultSpec } from "../../lib/spec";
import { createInvocationContext, getRegistry, loadApp } from "../../local/registry";
import { backupVerificationOrchestrator } from "../../orchestrations/backup/backupVerification";
import { restoreClusterOrchestrator } from "../../orchestrations/restore/restoreCluster";
import { ContractViolation } from "../../orchestrations/shared/boundary";
import { teardownClusterOrchestrator } from "../../orchestrations/teardown/teardownCluster";

/**
 * Issue 17 for the teardown, restore and backup rooms: every activity and orchestration input is parsed against the
 * room's zod contract before the code touches it. A malformed input (an older version's, a hand-written one) fails
 * at once naming the function and the paths that do not fit, never reaching Azure, and never echoing values.
 */

// The rooms' activities, registered as the host registers them.
beforeAll(async () => {
  await loadApp();
}, 60_000);

const vault = { subscriptionId: defaultSpec.subscriptionId, resourceGroup: "rg-common", vault: "bvault" };
const SECRET = "https://hooks.slack.example/services/T0/B0/SECRET";

/** [activity, malformed input, the paths the violation must name] */
const malformed: Array<[string, unknown, string[]]> = [
  [Activities.planClusterTeardown, { spec: { ...defaultSpec, name: "Not A Name" }, cluster: "app2" }, ["spec.name"]],
  [
    Activities.deleteResource,
    { id: "", apiVersion: "2024-03-01", poll: { url: SECRET, kind: "x" } },
    ["id", "poll.kind"],
  ],
  [
    Activities.forgetClusterDeployments,
    { subscriptionId: "s", deployments: [{ name: "d" }] },
    ["deployments.0.subscriptionId", "deployments.0.location", "deployments.0.scope"],
  ],
  [
    Activities.stopBackupProtection,
    { subscriptionId: "s", vault: { vault: "v" }, backupInstance: "bi" },
    ["vault.resourceGroup"],
  ],
  [
    Activities.notifyTeardownResult,
    { result: { environment: "e" }, notifications: defaultSpec.notifications, correlationId: "c" },
    ["result.cluster", "result.succeeded"],
  ],
  [
    Activities.validateRestoreTarget,
    { vault, backupInstance: "bi", cluster: { name: "app2" }, prerequisites: [] },
    ["cluster.resourceGroup", "cluster.aksName"],
  ],
  [
    Activities.triggerRestore,
    { vault, backupInstance: "bi", recoveryPoint: 7, location: "koreacentral" },
    ["recoveryPoint"],
  ],
  [Activities.getRestoreJob, { vault: { ...vault, vault: undefined }, statusUrl: SECRET }, ["vault.vault"]],
  [Activities.checkWorkloads, { subscriptionId: "s", resourceGroup: "rg" }, ["aksName"]],
  [Activities.stopRestoreRebuild, { rebuildInstanceId: "", request: {} }, ["rebuildInstanceId", "request.request"]],
  [
    Activities.notifyRestoreResult,
    { result: { outcome: "maybe" }, notifications: defaultSpec.notifications, correlationId: "c" },
    ["result.outcome"],
  ],
  [Activities.listBackupInstances, {}, ["vault"]],
  [
    Activities.verifyBackupInstance,
    {
      vault,
      instance: { id: "i", name: "n", errors: [] },
      jobs: [],
      policy: { maxAgeHours: 26, retentionDays: 7 },
      now: "yesterday",
    },
    ["now"],
  ],
  [Activities.validateRestore, { vault, instance: "", location: "koreacentral" }, ["instance"]],
  [Activities.writeBackupReport, { report: { generatedAt: "t" } }, ["report.environment", "report.vault"]],
  [
    Activities.notifyBackupSummary,
    { report: null, notifications: defaultSpec.notifications, correlationId: "c" },
    ["report"],
  ],
];

async function violationOf(run: () => unknown): Promise<ContractViolation> {
  try {
    await run();
  } catch (err) {
    if (err instanceof ContractViolation) return err;
    throw err;
  }
  throw new Error("no contract violation");
}

describe("the teardown, restore and backup rooms at the Durable boundary", () => {
  it.each(malformed)("activity %s refuses a malformed input, naming the paths", async (name, input, paths) => {
    const fn = getRegistry().get(name, "activityTrigger");
    const violation = await violationOf(() => fn.handler(input, createInvocationContext(fn)));
    expect(violation.where).toBe(`activity ${name}`);
    const named = violation.issues.map((i) => i.split(":")[0]);
    for (const path of paths) expect(named).toContain(path);
    expect(violation.message).not.toContain("SECRET");
  });

  it("each orchestration reads its input through its contract", async () => {
    const contextWith = (instanceId: string, input: unknown) =>
      ({ df: { instanceId, getInput: () => input } }) as unknown as OrchestrationContext;
    const cases = [
      [teardownClusterOrchestrator, "teardown:k8s-demo:app2", { spec: defaultSpec, cluster: 2 }, "cluster"],
      [restoreClusterOrchestrator, "restore:k8s-demo:app2", { spec: defaultSpec }, "cluster"],
      [backupVerificationOrchestrator, "backup-verify", { spec: defaultSpec, maxConcurrency: 0 }, "maxConcurrency"],
    ] as const;
    for (const [orchestrator, instanceId, input, path] of cases) {
      const violation = await violationOf(() => orchestrator(contextWith(instanceId, input)).next());
      expect(violation.where).toBe(`orchestration ${instanceId}`);
      expect(violation.issues.map((i) => i.split(":")[0])).toEqual([path]);
    }
  });
});
