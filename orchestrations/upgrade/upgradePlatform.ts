import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import { Activities, Orchestrations } from "../../lib/function-names";
import { upgradeSettings, type ClusterUpgradePlan, type UpgradePlan } from "../../lib/upgrade";
import type { UpgradeMessageBody } from "../../lib/upgrade/messages";
import { orchestrationInput } from "../shared/boundary";
import { settleAll, transientRetry } from "../shared/longRunning";
import {
  UpgradeEvents,
  upgradeRunInputSchema,
  type NotifyUpgradeInput,
  type PlanUpgradeRunInput,
  type ResumeDecision,
  type UpgradeClusterInput,
  type UpgradeClusterRef,
  type UpgradeClusterResult,
  type UpgradeDecision,
  type UpgradeRunStatus,
  type WriteMaintenanceWindowsInput,
} from "./contracts";

/**
 * An upgrade run (issue 20): plan from what AKS reports, refuse what cannot work, write the maintenance windows
 * to AKS, wait for approval when the spec asks for it, then stage by stage: the stage's clusters in parallel
 * (each an `upgradeCluster` sub-orchestration: window, pre-checks, operations, gates), a soak time, the next
 * stage. A blocked cluster stops the run before the next stage, reports the evidence and waits for a person:
 * `resume` (after a fix) re-runs the blocked clusters, which skip what is done; `stop` ends the run. One run per
 * environment at a time (the instance id is the environment's).
 */

export const upgradePlatformOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = orchestrationInput(context, upgradeRunInputSchema);
  const { spec, target, runId } = input;
  const settings = upgradeSettings(spec);
  const iso = () => context.df.currentUtcDateTime.toISOString();
  const status: UpgradeRunStatus = {
    runId,
    environment: spec.name,
    target,
    state: "planning",
    startedAt: iso(),
    approvalReasons: [],
    problems: [],
    stages: settings.stages.map((s) => ({
      name: s.name,
      state: "pending",
      soakMinutes: s.soakMinutes,
      clusters: s.clusters.map((cluster) => ({ cluster, state: "pending", changes: [], steps: [], gates: [] })),
    })),
  };
  const publish = () => context.df.setCustomStatus(status);
  publish();
  const notify = function* (message: UpgradeMessageBody) {
    yield* settleAll(context, [
      context.df.callActivity(Activities.notifyUpgrade, {
        message: {
          ...message,
          environment: spec.name,
          runId,
          target,
          correlationId: context.df.instanceId,
          occurredAt: iso(),
        },
        notifications: spec.notifications,
      } satisfies NotifyUpgradeInput),
    ]);
  };
  const end = function* (state: UpgradeRunStatus["state"], lines: string[]) {
    status.state = state;
    status.endedAt = iso();
    delete status.waitingFor;
    publish();
    yield* notify({ kind: "finished", outcome: state, lines, severity: state === "succeeded" ? "info" : "warning" });
    return { ...status, ...(planned ? { plan: planned } : {}) } satisfies UpgradeRunStatus;
  };
  // The plan's clusters repeat what each stage's cluster shows (changes, window, steps): the run's output carries
  // them, not its custom status, which Durable caps at 16 KB (a 3-stage run was 13 KB with them).
  let planned: UpgradeRunStatus["plan"] = undefined;

  const plan = (yield context.df.callActivityWithRetry(Activities.planUpgradeRun, transientRetry, {
    spec,
    target,
  } satisfies PlanUpgradeRunInput)) as UpgradePlan;
  planned = { clusters: plan.clusters };
  status.approvalReasons = plan.approvalReasons;
  status.problems = plan.problems;
  const planOf = new Map(plan.clusters.map((c) => [c.cluster, c]));
  for (const stage of status.stages)
    for (const c of stage.clusters) {
      const p = planOf.get(c.cluster);
      c.changes = p?.changes ?? [];
      if (p?.window) c.window = p.window.description;
    }
  if (plan.problems.length > 0) return yield* end("refused", plan.problems);

  const refOf = (name: string): UpgradeClusterRef => {
    const c = spec.clusters.find((x) => x.name === name)!;
    return {
      subscriptionId: spec.subscriptionId,
      name: c.name,
      aksName: c.aksName,
      resourceGroup: c.resourceGroup,
      istioGateway: c.addons.istioIngressGateway,
    };
  };

  // AKS's own auto-upgrades keep to the same windows.
  const windows = Object.entries(settings.maintenanceWindows);
  if (windows.length > 0)
    yield context.df.callActivityWithRetry(Activities.writeMaintenanceWindows, transientRetry, {
      clusters: windows.map(([name, window]) => ({ cluster: refOf(name), window })),
    } satisfies WriteMaintenanceWindowsInput);

  if (plan.approvalReasons.length > 0 && !input.approved) {
    status.state = "waiting-approval";
    status.waitingFor = "approval";
    publish();
    yield* notify({
      kind: "approval",
      reasons: plan.approvalReasons,
      changes: plan.clusters.flatMap((c) => c.changes.map((ch) => `${c.cluster}: ${ch}`)),
    });
    const decision = (yield context.df.waitForExternalEvent(UpgradeEvents.approval)) as UpgradeDecision;
    delete status.waitingFor;
    if (!decision.approved) return yield* end("rejected", [`rejected${decision.by ? ` by ${decision.by}` : ""}`]);
  }

  status.state = "running";
  publish();
  for (const [s, stage] of settings.stages.entries()) {
    const stageStatus = status.stages[s]!;
    stageStatus.state = "running";
    let pending: ClusterUpgradePlan[] = stage.clusters.map((name) => planOf.get(name)!);
    for (let attempt = 1; ; attempt++) {
      for (const p of pending) {
        const c = stageStatus.clusters.find((x) => x.cluster === p.cluster)!;
        c.state = "running";
        c.instanceId = `${context.df.instanceId}:${p.cluster}:${attempt}`;
      }
      publish();
      const results = (yield context.df.Task.all(
        pending.map((p) =>
          context.df.callSubOrchestrator(
            Orchestrations.upgradeCluster,
            {
              runId,
              cluster: refOf(p.cluster),
              plan: p,
              ...(settings.maintenanceWindows[p.cluster] ? { window: settings.maintenanceWindows[p.cluster] } : {}),
              maxPendingPods: settings.maxPendingPods,
            } satisfies UpgradeClusterInput,
            `${context.df.instanceId}:${p.cluster}:${attempt}`,
          ),
        ),
      )) as UpgradeClusterResult[];
      for (const r of results) {
        const c = stageStatus.clusters.find((x) => x.cluster === r.cluster)!;
        c.state = r.outcome;
        c.steps = r.steps;
        c.gates = r.gates;
        c.poolEvents = r.poolEvents;
        if (r.reason !== undefined) c.reason = r.reason;
        else delete c.reason;
      }
      const stopped = results.filter((r) => r.outcome !== "upgraded");
      if (stopped.length === 0) break;
      // Stop before the next stage, with the evidence; a person fixes the cause and resumes, or stops the run.
      stageStatus.state = "blocked";
      status.state = "blocked";
      status.waitingFor = "resume";
      publish();
      for (const r of stopped)
        yield* notify({ kind: "blocked", cluster: r.cluster, reason: r.reason ?? r.outcome, gates: r.gates });
      const decision = (yield context.df.waitForExternalEvent(UpgradeEvents.resume)) as ResumeDecision;
      delete status.waitingFor;
      if (decision.action === "stop")
        return yield* end(
          "stopped",
          stopped.map((r) => `${r.cluster}: ${r.reason ?? r.outcome}`),
        );
      status.state = "running";
      stageStatus.state = "running";
      pending = stopped.map((r) => planOf.get(r.cluster)!);
    }
    if (s < settings.stages.length - 1 && stage.soakMinutes > 0) {
      stageStatus.state = "soaking";
      status.state = "soaking";
      publish();
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + stage.soakMinutes * 60_000));
      status.state = "running";
    }
    stageStatus.state = "succeeded";
    publish();
  }
  return yield* end(
    "succeeded",
    plan.clusters.map((c) => `${c.cluster}: ${c.changes.join("; ") || "already on target, gates passed"}`),
  );
};

df.app.orchestration(Orchestrations.upgradePlatform, upgradePlatformOrchestrator);
