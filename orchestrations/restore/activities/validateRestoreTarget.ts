import { DataProtectionClient, DeploymentsAdapter } from "../../../lib/azure";
import { chooseRecoveryPoint, clusterExists } from "../../../lib/backup";
import { Activities } from "../../../lib/function-names";
import type { OutputsByDeployment } from "../../../lib/plan/progress";
import { adapterRef, armConnection } from "../../shared/arm";
import { registerActivity } from "../../shared/boundary";
import { validateRestoreTargetInputSchema, type ValidateRestoreTargetInput } from "../contracts";

export type ValidateRestoreTargetResult =
  | { ok: false; reason: string }
  | {
      ok: true;
      clusterExists: boolean;
      recoveryPoint: { name: string; time: string };
      outputs: OutputsByDeployment;
      /** Redeployable prerequisites whose record is gone: the rebuild deploys them too. */
      redeploy?: string[];
      /**
       * The cluster exists but these of its deployments did not succeed (gone, failed or cancelled, as a cancelled
       * restore's rebuild leaves them): the restore deploys the cluster's units again before restoring.
       */
      unfinished?: string[];
    };

/**
 * OPS-7 pre-flight: is there something to restore from, is the cluster there (and all of it: a cancelled restore can
 * leave the cluster without its add-ons, backup extension and trusted access), and can it be rebuilt if not?
 */
export async function validateRestoreTarget(
  input: ValidateRestoreTargetInput,
  signal: AbortSignal,
): Promise<ValidateRestoreTargetResult> {
  const connection = armConnection();
  const subscriptionId = input.vault.subscriptionId;
  const points = await new DataProtectionClient(connection, subscriptionId).listRecoveryPoints(
    input.vault,
    input.backupInstance,
    { abortSignal: signal },
  );
  if (!points.ok) {
    return {
      ok: false,
      reason: `cannot read the recovery points of backup instance ${input.backupInstance} in vault ${input.vault.vault}: ${points.error.code}: ${points.error.message}`,
    };
  }
  const choice = chooseRecoveryPoint(points.value, input.backupInstance, input.recoveryPointId);
  if (!choice.ok) return { ok: false, reason: choice.reason };
  const exists = await clusterExists(connection, subscriptionId, input.cluster.resourceGroup, input.cluster.aksName, {
    abortSignal: signal,
  });
  if (!exists.ok)
    return {
      ok: false,
      reason: `cannot tell whether cluster ${input.cluster.aksName} exists: ${exists.error.code}: ${exists.error.message}`,
    };
  const deployments = new DeploymentsAdapter(connection, subscriptionId);
  const unfinished: string[] = [];
  if (exists.value) {
    for (const ref of input.clusterDeployments) {
      const status = await deployments.status(adapterRef(ref), { abortSignal: signal });
      if (!status.ok && status.error.kind !== "notFound")
        return {
          ok: false,
          reason: `cannot tell whether cluster ${input.cluster.name} is fully deployed: deployment ${ref.name}: ${status.error.code}: ${status.error.message}`,
        };
      if (!status.ok || status.value.state !== "succeeded") unfinished.push(ref.name);
    }
  }
  const outputs: OutputsByDeployment = {};
  const redeploy: string[] = [];
  if (!exists.value || unfinished.length > 0) {
    for (const ref of input.prerequisites) {
      const status = await deployments.status(adapterRef(ref), { abortSignal: signal });
      if (!status.ok && status.error.kind === "notFound" && (input.redeployable ?? []).includes(ref.name)) {
        redeploy.push(ref.name);
        continue;
      }
      if (!status.ok || status.value.state !== "succeeded") {
        const why = status.ok ? status.value.state : `${status.error.code}: ${status.error.message}`;
        return {
          ok: false,
          reason: `cluster ${input.cluster.name} is ${exists.value ? "not fully deployed" : "gone"} and cannot be rebuilt: shared deployment ${ref.name} is ${why}; run the provisioning (OPS-1) first`,
        };
      }
      outputs[ref.name] = status.value.outputs;
    }
  }
  return {
    ok: true,
    clusterExists: exists.value,
    recoveryPoint: { name: choice.point.name, time: choice.point.time },
    outputs,
    ...(redeploy.length > 0 ? { redeploy } : {}),
    ...(unfinished.length > 0 ? { unfinished } : {}),
  };
}

registerActivity(Activities.validateRestoreTarget, validateRestoreTargetInputSchema, validateRestoreTarget);
