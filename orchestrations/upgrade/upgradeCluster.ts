import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler, Task } from "durable-functions";
import { Activities, Orchestrations } from "../../lib/function-names";
import {
  NODE_POOL_ROLLING_EVENT,
  nodePoolRollingSchema,
  windowAt,
  type GateExpectations,
  type GateName,
  type GateResult,
  type NodePoolRolling,
  type UpgradeStep,
} from "../../lib/upgrade";
import { orchestrationInput } from "../shared/boundary";
import { transientRetry } from "../shared/longRunning";
import {
  type MoveIstioWorkloadsInput,
  type RunHealthGatesInput,
  type RunHealthGatesResult,
  type StartUpgradeStepResult,
  type StepProgress,
  upgradeClusterInputSchema,
  type UpgradeClusterResult,
  type UpgradeOperation,
  type UpgradeStepInput,
  type UpgradeStepState,
} from "./contracts";

/**
 * One cluster of an upgrade run: wait for its maintenance window, pre-check, then each planned step in order
 * (the Istio canary, the control plane, each pool with the system pool first), one AKS operation at a time and
 * each followed to its end, then the health gates. AKS's `OperationNotAllowed` (something else runs on the
 * cluster) is waited out. A failed operation or gate ends the cluster `blocked` with the evidence; a failed Istio
 * canary gate rolls the revision back first. Re-running it after a fix skips what is already done.
 */

const POLL_SECONDS = 60;
const BUSY_WAIT_SECONDS = 120;
const MAX_BUSY_MINUTES = 180;
const MAX_OPERATION_MINUTES = 240;
/** Gates may need a little time after an operation (pods rescheduling): checked this often before failing. */
const GATE_ATTEMPTS = 3;
const GATE_RECHECK_SECONDS = 60;
const CANARY_GATES: readonly GateName[] = ["istio-control-plane", "istio-gateways", "pending-pods", "nodes-ready"];

export const upgradeClusterOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = orchestrationInput(context, upgradeClusterInputSchema);
  const { cluster, plan } = input;
  const iso = () => context.df.currentUtcDateTime.toISOString();
  const startedAt = iso();
  const steps: StepProgress[] = plan.steps.flatMap(stepLabels).map((label) => ({ label, state: "pending" }));
  let gates: GateResult[] = [];
  const poolEvents: NodePoolRolling[] = [];
  const status = { cluster: cluster.name, state: "pending" as string, steps, gates, poolEvents };
  const publish = (state?: string) => {
    if (state) status.state = state;
    status.gates = gates;
    context.df.setCustomStatus(status);
  };
  const at = (seconds: number) => new Date(context.df.currentUtcDateTime.getTime() + seconds * 1000);
  const finish = (outcome: UpgradeClusterResult["outcome"], reason?: string): UpgradeClusterResult => {
    publish(outcome);
    return {
      cluster: cluster.name,
      outcome,
      steps,
      gates,
      poolEvents,
      ...(reason ? { reason } : {}),
      startedAt,
      endedAt: iso(),
    };
  };
  const sleep = function* (seconds: number) {
    yield context.df.createTimer(at(seconds));
  };

  // The maintenance window: outside it, wait for the next one (never forced).
  if (input.window) {
    const w = windowAt(input.window, context.df.currentUtcDateTime);
    if (!w.open) {
      publish("waiting-window");
      yield* sleep((w.start.getTime() - context.df.currentUtcDateTime.getTime()) / 1000);
    }
  }
  publish("running");

  const gatesFor = (expect: Partial<GateExpectations>): RunHealthGatesInput => ({
    cluster,
    expect: {
      maxPendingPods: input.maxPendingPods,
      istioGateway: cluster.istioGateway,
      istioRevisions: plan.finalIstioRevision !== undefined ? [plan.finalIstioRevision] : [],
      ...expect,
    },
  });
  /** Runs the gates until they pass (or `attempts` run out); `only` narrows which gates count. */
  const checkGates = function* (expect: Partial<GateExpectations>, attempts: number, only?: readonly GateName[]) {
    for (let attempt = 1; ; attempt++) {
      const r = (yield context.df.callActivityWithRetry(
        Activities.runHealthGates,
        transientRetry,
        gatesFor(expect),
      )) as RunHealthGatesResult;
      gates = r.results;
      publish();
      const ok = only ? r.results.every((g) => g.ok || !only.includes(g.gate)) : r.ok;
      if (ok || attempt >= attempts) return ok;
      yield* sleep(GATE_RECHECK_SECONDS);
    }
  };

  // Pre-checks: the nodes are Ready and Flux is healthy before anything changes (PDBs are judged after a drain).
  const pre = (yield context.df.callActivityWithRetry(
    Activities.runHealthGates,
    transientRetry,
    gatesFor({ istioRevisions: [], istioGateway: false }),
  )) as RunHealthGatesResult;
  const preFailures = pre.results.filter((g) => !g.ok && (g.gate === "nodes-ready" || g.gate === "flux-ready"));
  if (preFailures.length > 0) {
    gates = pre.results;
    return finish("blocked", `pre-check failed: ${preFailures.map((g) => g.summary).join("; ")}`);
  }

  let index = 0;
  let beyond = false;
  /** Starts one AKS operation and follows it to its end; returns the AKS error when it failed. */
  const operate = function* (operation: UpgradeOperation) {
    const step = steps[index++]!;
    step.state = "running";
    step.startedAt = iso();
    publish();
    const stepInput: UpgradeStepInput = { cluster, operation };
    const busySince = context.df.currentUtcDateTime.getTime();
    for (;;) {
      const started = (yield context.df.callActivityWithRetry(
        Activities.startUpgradeStep,
        transientRetry,
        stepInput,
      )) as StartUpgradeStepResult;
      if (started.kind === "done") {
        beyond = started.beyond === true;
        step.state = "skipped";
        step.detail = "already done";
        step.endedAt = iso();
        publish();
        return undefined;
      }
      if (started.kind === "failed") return fail(step, started.error);
      if (started.kind === "started") break;
      // OperationNotAllowed: another operation runs on the cluster. Wait for it rather than retry blindly.
      step.detail = `waiting: ${started.message}`;
      publish();
      if (context.df.currentUtcDateTime.getTime() - busySince > MAX_BUSY_MINUTES * 60_000)
        return fail(step, `the cluster stayed busy for ${MAX_BUSY_MINUTES} minutes: ${started.message}`);
      yield* sleep(BUSY_WAIT_SECONDS);
    }
    delete step.detail;
    const deadline = context.df.currentUtcDateTime.getTime() + MAX_OPERATION_MINUTES * 60_000;
    for (;;) {
      // AKS's NodePoolRolling events (raised in by the event function) are recorded and end the wait: AKS's own
      // word that a pool finished is checked at once rather than at the next poll. Fresh tasks every round.
      const timer = context.df.createTimer(at(POLL_SECONDS));
      const rolling: Task = context.df.waitForExternalEvent(NODE_POOL_ROLLING_EVENT);
      const winner = (yield context.df.Task.any([timer, rolling])) as Task;
      if (winner === rolling) {
        timer.cancel();
        const event = nodePoolRollingSchema.safeParse(rolling.result);
        if (event.success && !poolEvents.some((e) => e.eventId === event.data.eventId)) {
          poolEvents.push(event.data);
          if (event.data.pool !== undefined && "pool" in operation && operation.pool === event.data.pool)
            step.detail = `AKS: node pool ${event.data.pool} rolling ${event.data.phase}`;
          publish();
        }
      }
      const s = (yield context.df.callActivityWithRetry(
        Activities.getUpgradeStepState,
        transientRetry,
        stepInput,
      )) as UpgradeStepState;
      if (s.state === "succeeded") break;
      if (s.state === "failed") return fail(step, s.error ?? "the operation failed");
      if (context.df.currentUtcDateTime.getTime() > deadline)
        return fail(step, `the operation did not finish within ${MAX_OPERATION_MINUTES} minutes`);
    }
    step.state = "succeeded";
    step.endedAt = iso();
    publish();
    return undefined;
  };
  const fail = (step: StepProgress, error: string) => {
    step.state = "failed";
    step.detail = error;
    step.endedAt = iso();
    publish();
    return `${step.label}: ${error}`;
  };

  for (const planned of plan.steps) {
    if (planned.kind !== "istio-canary") {
      const error = yield* operate(operationOf(planned));
      if (error !== undefined) {
        // The evidence of what stopped it (a PDB blocking the drain, a node not Ready, …).
        yield* checkGates({}, 1);
        return finish("blocked", error);
      }
      continue;
    }
    // Istio canary: both revisions side by side, workloads moved, checked, then the old one removed.
    const { from, to } = planned;
    const added = yield* operate({ kind: "istio-revisions", revisions: [from, to] });
    if (added !== undefined) return finish("blocked", added);
    if (beyond) {
      // A re-run after this canary completed: nothing left of it to do.
      for (const rest of steps.slice(index, index + 2)) {
        rest.state = "skipped";
        rest.detail = "already done";
      }
      index += 2;
      publish();
      continue;
    }
    const moveStep = steps[index++]!;
    moveStep.state = "running";
    moveStep.startedAt = iso();
    publish();
    const moved = (yield context.df.callActivityWithRetry(Activities.moveIstioWorkloads, transientRetry, {
      cluster,
      from,
      to,
    } satisfies MoveIstioWorkloadsInput)) as string[];
    moveStep.detail = moved.length > 0 ? `namespaces ${moved.join(", ")}` : "no namespace on the old revision";
    // The canary is judged on what it changes: both control planes, the gateways, the restarted workloads.
    const canaryOk = yield* checkGates({ istioRevisions: [from, to] }, GATE_ATTEMPTS, CANARY_GATES);
    if (!canaryOk) {
      // Rollback: workloads back to the old revision, then remove the canary.
      moveStep.state = "rolled-back";
      moveStep.endedAt = iso();
      const canaryGates = gates;
      yield context.df.callActivityWithRetry(Activities.moveIstioWorkloads, transientRetry, {
        cluster,
        from: to,
        to: from,
      } satisfies MoveIstioWorkloadsInput);
      const rollback = steps[index]!;
      rollback.label = `Istio: roll back to ${from}`;
      const rolledBack = yield* operate({ kind: "istio-revisions", revisions: [from] });
      gates = canaryGates;
      publish();
      return finish(
        "rolled-back",
        `the Istio ${to} canary failed its gates and was rolled back to ${from}` +
          (rolledBack ? `; the rollback failed: ${rolledBack}` : ""),
      );
    }
    moveStep.state = "succeeded";
    moveStep.endedAt = iso();
    const completed = yield* operate({ kind: "istio-revisions", revisions: [to] });
    if (completed !== undefined) return finish("blocked", completed);
  }

  const ok = yield* checkGates({ kubernetesVersion: plan.finalKubernetesVersion }, GATE_ATTEMPTS);
  if (!ok) {
    const failed = gates.filter((g) => !g.ok).map((g) => `${g.gate}: ${g.summary}`);
    return finish("blocked", `health gates failed: ${failed.join("; ")}`);
  }
  return finish("upgraded");
};

function operationOf(step: Exclude<UpgradeStep, { kind: "istio-canary" }>): UpgradeOperation {
  switch (step.kind) {
    case "control-plane":
      return { kind: "control-plane", to: step.to };
    case "pool":
      return { kind: "pool", pool: step.pool, to: step.to, maxSurge: step.maxSurge };
    case "node-image":
      return { kind: "node-image", pool: step.pool, to: step.to };
  }
}

/** The progress lines a planned step shows (an Istio canary is three). */
export function stepLabels(step: UpgradeStep): string[] {
  switch (step.kind) {
    case "istio-canary":
      return [
        `Istio: add canary ${step.to} beside ${step.from}`,
        `Istio: move workloads to ${step.to}`,
        `Istio: remove ${step.from}`,
      ];
    case "control-plane":
      return [`control plane ${step.from} → ${step.to}`];
    case "pool":
      return [`pool ${step.pool} ${step.from} → ${step.to} (surge ${step.maxSurge})`];
    case "node-image":
      return [`pool ${step.pool} node image → ${step.to}`];
  }
}

df.app.orchestration(Orchestrations.upgradeCluster, upgradeClusterOrchestrator);
