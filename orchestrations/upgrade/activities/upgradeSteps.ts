import type { AksUpgradeState } from "../../../lib/azure";
import { Activities } from "../../../lib/function-names";
import { versionMatches } from "../../../lib/upgrade";
import { aksFor, retryable } from "./aks";
import { registerActivity } from "../../shared/boundary";
import {
  upgradeStepInputSchema,
  type StartUpgradeStepResult,
  type UpgradeOperation,
  type UpgradeStepInput,
  type UpgradeStepState,
} from "../contracts";

/**
 * Starting and following one AKS upgrade operation. Both read the cluster first, so a step is idempotent: one
 * already done is `done`, one already running (a replayed start after a crash) is followed, not started twice.
 * AKS's 409 `OperationNotAllowed` (another operation on the cluster) is `busy`: the workflow waits it out.
 */

async function readState(input: UpgradeStepInput, signal: AbortSignal): Promise<AksUpgradeState> {
  const state = await aksFor(input.cluster).upgradeState(input.cluster.resourceGroup, input.cluster.aksName, {
    abortSignal: signal,
  });
  if (!state.ok) throw retryable(state.error);
  return state.value;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** Where the operation stands on the cluster as read. */
function progress(op: UpgradeOperation, s: AksUpgradeState): UpgradeStepState & { reached: boolean } {
  const pool = "pool" in op ? s.pools.find((p) => p.name === op.pool) : undefined;
  if ("pool" in op && !pool)
    return { state: "failed", reached: false, error: `the cluster has no agent pool ${op.pool}` };
  const busy = (state: string) => /ing$/i.test(state) && state !== "Succeeded";
  switch (op.kind) {
    case "control-plane":
      return {
        reached: versionMatches(s.kubernetesVersion, op.to),
        state: busy(s.provisioningState) ? "running" : s.provisioningState === "Failed" ? "failed" : "succeeded",
        ...(s.error ? { error: s.error } : {}),
      };
    case "istio-revisions":
      return {
        reached: sameSet(s.istioRevisions, op.revisions) || canaryCompleted(op, s),
        state: busy(s.provisioningState) ? "running" : s.provisioningState === "Failed" ? "failed" : "succeeded",
        ...(s.error ? { error: s.error } : {}),
      };
    case "pool":
    case "node-image":
      return {
        reached: op.kind === "pool" ? versionMatches(pool!.kubernetesVersion, op.to) : pool!.nodeImageVersion === op.to,
        state: busy(pool!.provisioningState)
          ? "running"
          : pool!.provisioningState === "Failed"
            ? "failed"
            : "succeeded",
        ...(pool!.error ? { error: pool!.error } : {}),
      };
  }
}

/** Adding a canary is behind us once the canary alone remains (a re-run after the canary completed). */
function canaryCompleted(op: UpgradeOperation, s: AksUpgradeState): boolean {
  return op.kind === "istio-revisions" && op.revisions.length === 2 && sameSet(s.istioRevisions, [op.revisions[1]!]);
}

export async function startUpgradeStep(input: UpgradeStepInput, signal: AbortSignal): Promise<StartUpgradeStepResult> {
  const state = await readState(input, signal);
  const before = progress(input.operation, state);
  if (before.state === "running") return { kind: "started" };
  if (before.reached && before.state === "succeeded")
    return { kind: "done", ...(canaryCompleted(input.operation, state) ? { beyond: true } : {}) };
  const { resourceGroup, aksName } = input.cluster;
  const op = input.operation;
  const o = { abortSignal: signal };
  const a = aksFor(input.cluster);
  const result =
    op.kind === "control-plane"
      ? await a.startControlPlaneUpgrade(resourceGroup, aksName, op.to, o)
      : op.kind === "pool"
        ? await a.startPoolUpgrade(resourceGroup, aksName, op.pool, op.to, op.maxSurge, o)
        : op.kind === "node-image"
          ? await a.startNodeImageUpgrade(resourceGroup, aksName, op.pool, o)
          : await a.setIstioRevisions(resourceGroup, aksName, op.revisions, o);
  if (result.ok) return { kind: "started" };
  if (result.error.code === "OperationNotAllowed") return { kind: "busy", message: result.error.message };
  return { kind: "failed", error: `${result.error.code}: ${result.error.message}` };
}

export async function getUpgradeStepState(input: UpgradeStepInput, signal: AbortSignal): Promise<UpgradeStepState> {
  const p = progress(input.operation, await readState(input, signal));
  if (p.state === "succeeded" && !p.reached)
    return { state: "failed", error: p.error ?? "the operation ended without reaching its target" };
  return { state: p.state, ...(p.state === "failed" && p.error ? { error: p.error } : {}) };
}

registerActivity(Activities.startUpgradeStep, upgradeStepInputSchema, startUpgradeStep);
registerActivity(Activities.getUpgradeStepState, upgradeStepInputSchema, getUpgradeStepState);
