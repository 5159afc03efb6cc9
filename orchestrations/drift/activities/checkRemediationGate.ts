import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { upgradeRunBlocker } from "../../../lib/api/upgrade-runs";
import { ResourcesAdapter } from "../../../lib/azure";
import { Activities } from "../../../lib/function-names";
import { adapterRef, armConnection, deploymentsFor } from "../../shared/arm";
import { durableBuildInstances } from "../../shared/durableBuilds";
import { registerActivity } from "../../shared/boundary";
import { remediationGateInputSchema, type RemediationGateInput, type RemediationGateResult } from "../contracts";

const AKS_API_VERSION = "2026-05-01";

/**
 * Whether each drifted unit may be re-deployed now: not while a deployment of it runs (a build), and never while
 * its cluster is in the middle of an operation (AKS allows one at a time; azure-notes.md, AKS operations), and none
 * while an upgrade run of the environment is active (between operations, soaking, blocked: the run owns the clusters,
 * the same rule as for a build, lib/api upgradeRunBlocker). The durable client reads the run (`extraInputs`).
 */
export async function checkRemediationGate(
  input: RemediationGateInput,
  signal: AbortSignal,
  context: InvocationContext,
): Promise<RemediationGateResult> {
  const instances = durableBuildInstances(df.getClient(context));
  const upgrading = await upgradeRunBlocker(input.environment, "drift remediation", (id) => instances.get(id));
  if (upgrading)
    return {
      allowed: [],
      refused: input.units.map((u) => ({ unit: u.name, reason: `upgrade run ${upgrading.runId ?? "?"} active` })),
    };
  const deployments = deploymentsFor(input.subscriptionId);
  const resources = new ResourcesAdapter(armConnection());
  const allowed: string[] = [];
  const refused: RemediationGateResult["refused"] = [];
  for (const unit of input.units) {
    const status = await deployments.status(adapterRef(unit), { abortSignal: signal });
    if (status.ok && status.value.state === "running") {
      refused.push({ unit: unit.name, reason: "a deployment of it is running (a build)" });
      continue;
    }
    const clusterId = input.clusterIds[unit.name];
    if (clusterId !== undefined) {
      const cluster = await resources.get(clusterId, AKS_API_VERSION, { abortSignal: signal });
      const reported = cluster.ok
        ? (cluster.value as { properties?: { provisioningState?: unknown } }).properties?.provisioningState
        : undefined;
      const state = typeof reported === "string" ? reported : undefined;
      if (state !== undefined && state.toLowerCase() !== "succeeded") {
        refused.push({ unit: unit.name, reason: `its cluster is in the middle of an operation (${state})` });
        continue;
      }
    }
    allowed.push(unit.name);
  }
  return { allowed, refused };
}

registerActivity(Activities.checkRemediationGate, remediationGateInputSchema, checkRemediationGate, {
  extraInputs: [df.input.durableClient()],
});
