import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler, Task } from "durable-functions";
import { Activities, Orchestrations } from "../../lib/function-names";
import { CANCEL_EVENT, buildChildInstanceId } from "../../lib/api/instance-ids";
import { parseCancelRequest } from "../../lib/api/cancel-request";
import {
  describeFailures,
  phaseProgress,
  buildStatusDeployments,
  type BuildCancellation,
  type BuildResult,
  type BuildStatus,
  type DeploymentProgress,
  type OutputsByDeployment,
} from "../../lib/plan/progress";
import type { DeploymentUnit } from "../../lib/plan/types";
import type { PlatformSpec } from "../../lib/spec";
import { buildInputSchema, type ComputePlanResult, type NotifyBuildInput } from "./contracts";
import { orchestrationInput } from "../shared/boundary";
import type { RecordEnvironmentStateInput } from "../shared/contracts";
import { errorMessage, EventListener, settleAll, settleEach } from "../shared/longRunning";
import { pinnedPlan, runDeploymentLoop, type DeploymentLoopResult } from "./deploymentLoop";
import type { DeployUnitsInput, DeployUnitsResult } from "./deployUnits";

/**
 * OPS-1: builds (or what-ifs) the whole platform of a spec. Instance id `build:<environment>` (a what-if
 * `whatif:<environment>`), so one build per environment runs at a time. Every deployment starts as soon as its dependencies have succeeded: stage 1 runs
 * them here until everything the clusters need from the shared deployments is done; stage 2 runs the rest of each
 * cluster (cluster, then its add-ons) and of the shared work as sub-orchestrations in parallel; stage 3 picks up
 * anything that waited on a cluster. A failed cluster does not stop the others. The cancel event (raised on this
 * instance and its sub-orchestrations by the cancel API) ends every stage early: nothing new starts, running
 * deployments are cancelled in ARM and awaited, and the build completes with `canceled`.
 */

export const provisionPlatformOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = orchestrationInput(context, buildInputSchema);
  // An explicit cap on every deployment; absent, each deployment's limit is scaled from its expected duration.
  const cap = input.maxDeploymentSeconds !== undefined ? { maxDeploymentSeconds: input.maxDeploymentSeconds } : {};
  const status: BuildStatus = {
    environment: input.spec.name,
    mode: input.mode,
    // Sub-orchestration ids must differ between runs of the same environment.
    runId: context.df.newGuid(`${context.df.instanceId}:run`).slice(0, 8),
    stage: "planning",
    startedAt: context.df.currentUtcDateTime.toISOString(),
    phases: [],
    deployments: [],
    children: [],
  };
  // Every deployment with all it learned goes to the build's output (no size cap); the status lists the shared
  // ones and what the build ran of a cluster that its child does not list, each cluster's sub-orchestration its own.
  let latest: DeploymentProgress[] = [];
  let listedByChildren: ReadonlySet<string> = new Set();
  const publish = (deployments: DeploymentProgress[]) => {
    latest = deployments;
    status.phases = phaseProgress(deployments);
    const listed = buildStatusDeployments(status, deployments, listedByChildren);
    status.deployments = listed.deployments;
    if (listed.unlisted > 0) status.unlistedDeployments = listed.unlisted;
    else delete status.unlistedDeployments;
    context.df.setCustomStatus(status);
  };
  context.df.setCustomStatus(status);

  // A what-if is read-only everywhere: it tells no channel and no registry anything (its answer is the API's and
  // the CLI's). A build's end goes to its channels and to the registry of environments.
  function* notify(result: BuildResult, planningFailure?: string): Generator<Task, void, unknown> {
    if (input.mode === "whatif") return;
    const failures = result.deployments.filter((d) => d.state === "failed" || d.state === "skipped");
    const error =
      result.succeeded || result.canceled
        ? undefined
        : (planningFailure ?? describeFailures(result.environment, failures));
    yield* settleAll(context, [
      context.df.callActivity(Activities.recordEnvironmentState, {
        spec: input.spec,
        work: {
          kind: "build",
          outcome: result.canceled ? "canceled" : result.succeeded ? "succeeded" : "failed",
          ...(error !== undefined ? { error } : {}),
          startedAt: result.startedAt,
          endedAt: result.endedAt,
        },
      } satisfies RecordEnvironmentStateInput),
      context.df.callActivity(Activities.notifyBuildResult, {
        environment: result.environment,
        notifications: input.spec.notifications,
        mode: result.mode,
        instanceId: context.df.instanceId,
        succeeded: result.succeeded,
        startedAt: result.startedAt,
        endedAt: result.endedAt,
        deployments: result.deployments,
        ...(planningFailure !== undefined ? { planningFailure } : {}),
        ...(result.canceled ? { canceled: result.canceled } : {}),
      } satisfies NotifyBuildInput),
    ]);
  }

  let planned: { spec: PlatformSpec; plan: ComputePlanResult };
  try {
    planned = yield* pinnedPlan(context, input.spec);
  } catch (err) {
    // The Istio look-up or the plan threw before any deployment: the channels hear it like any other failure.
    const reason = errorMessage(err);
    yield* notify(
      {
        environment: input.spec.name,
        mode: input.mode,
        succeeded: false,
        startedAt: status.startedAt,
        endedAt: context.df.currentUtcDateTime.toISOString(),
        deployments: [],
      },
      reason,
    );
    throw new Error(`build of ${input.spec.name} failed while planning: ${reason}`);
  }
  const { spec, plan } = planned;
  status.istioRevision = spec.istio.revision;

  const order = new Map(plan.units.map((u, i) => [u.name, i]));
  const merged = new Map<string, DeploymentProgress>();
  const outputs: OutputsByDeployment = {};
  const record = (
    deployments: readonly DeploymentProgress[],
    mine: ReadonlySet<string>,
    newOutputs: OutputsByDeployment,
  ) => {
    for (const d of deployments) if (mine.has(d.name)) merged.set(d.name, d);
    Object.assign(outputs, newOutputs);
    publish([...merged.values()].sort((a, b) => order.get(a.name)! - order.get(b.name)!));
  };
  const target = { subscriptionId: spec.subscriptionId, location: spec.location };
  let canceled: BuildCancellation | undefined;
  const onCancel = (requestedAt: string) => {
    status.stage = "cancelling";
    status.cancelRequestedAt = requestedAt;
  };
  const noteCancel = (loop: Pick<DeploymentLoopResult, "canceled">) => {
    if (!loop.canceled) return;
    canceled = canceled
      ? {
          requestedAt: canceled.requestedAt,
          cancelledInArm: [...canceled.cancelledInArm, ...loop.canceled.cancelledInArm],
          awaited: [...canceled.awaited, ...loop.canceled.awaited],
          notStarted: [...canceled.notStarted, ...loop.canceled.notStarted],
        }
      : loop.canceled;
  };
  const cancel = new EventListener(context, CANCEL_EVENT);
  const loopOptions = { environment: spec.name, target, mode: input.mode, ...cap, cancel, onCancel };

  // Stage 1: every deployment whose dependencies are met (shared ones, and early per-cluster ones such as the
  // cluster's resource group and identities) until every shared deployment a cluster needs has finished.
  const all = new Set(plan.units.map((u) => u.name));
  const shared = plan.units.filter((u) => u.cluster === undefined);
  const sharedNames = new Set(shared.map((u) => u.name));
  const prerequisites = [
    ...new Set(plan.units.filter((u) => u.cluster !== undefined).flatMap((u) => u.dependsOn)),
  ].filter((d) => sharedNames.has(d));
  status.stage = "shared";
  const stage1 = yield* runDeploymentLoop(
    context,
    plan.units,
    { deployments: [], outputs: {} },
    { ...loopOptions, stopWhenFinished: prerequisites, onProgress: (d) => record(d, all, {}) },
  );
  record(stage1.deployments, all, stage1.outputs);
  noteCancel(stage1);
  // A cancel that arrived after the loop's last wait (or while planning, when the first stage had nothing to wait
  // for) still stops the build before any child starts: `check` also sees an event no wait has caught yet.
  if (!canceled && (yield* cancel.check())) {
    onCancel(context.df.currentUtcDateTime.toISOString());
    canceled = { requestedAt: status.cancelRequestedAt!, cancelledInArm: [], awaited: [], notStarted: [] };
  }

  // Stage 2: the rest of each cluster (cluster, then its add-ons) and of the shared work, in parallel; deployments
  // still running are handed over and polled, not restarted.
  status.stage = "clusters";
  const unfinished = (u: DeploymentUnit) => ["pending", "running"].includes(merged.get(u.name)?.state ?? "pending");
  const groups: { label: string; units: DeploymentUnit[] }[] = [
    ...[...groupByCluster(plan.units)].map(([name, units]) => ({
      label: `cluster ${name}`,
      units: units.filter(unfinished),
    })),
    { label: "platform", units: shared.filter(unfinished) },
  ].filter((g) => g.units.length > 0 && !canceled);
  // The children's ids are in the status before they start, so the cancel API finds the whole tree.
  status.children = groups.map((g) => ({
    label: g.label,
    instanceId: buildChildInstanceId(context.df.instanceId, status.runId, g.label),
  }));
  const handed = groups.map((group) => handedOver(group.units, merged, outputs));
  // What each cluster's child lists from its start (its units and what it was handed of its cluster): the build's
  // own status stops listing those, and keeps what it ran of the cluster that the child does not list.
  listedByChildren = new Set(
    groups.flatMap((group, i) => {
      const cluster = group.units[0]?.cluster;
      if (cluster === undefined) return [];
      return [...group.units, ...handed[i]!.deployments.filter((d) => d.cluster === cluster)].map((d) => d.name);
    }),
  );
  const tasks: Task[] = groups.map((group, i) =>
    context.df.callSubOrchestrator(
      Orchestrations.deployUnits,
      {
        environment: spec.name,
        target,
        label: group.label,
        mode: input.mode,
        ...cap,
        units: group.units,
        ...handed[i]!,
      } satisfies DeployUnitsInput,
      status.children[i]!.instanceId,
    ),
  );
  // Published as it was: a child lists nothing until it starts, so the build keeps what it listed of the cluster
  // until its next publish (once the children are done; the merge prefers the child's newer record meanwhile).
  context.df.setCustomStatus(status);
  if (tasks.length > 0) {
    // The children hear the cancel themselves (the API raises it on each); here it only marks the build.
    if (yield* cancel.race(context.df.Task.all(tasks))) {
      onCancel(context.df.currentUtcDateTime.toISOString());
      canceled ??= { requestedAt: status.cancelRequestedAt!, cancelledInArm: [], awaited: [], notStarted: [] };
      context.df.setCustomStatus(status);
    }
  }
  const settled = yield* settleEach(tasks);
  settled.forEach((outcome, i) => {
    const group = groups[i]!;
    const mine = new Set(group.units.map((u) => u.name));
    if (outcome.ok) {
      const result = outcome.value as DeployUnitsResult;
      record(result.deployments, mine, result.outputs);
      noteCancel(result);
    } else {
      // The sub-orchestration itself crashed (a bug, not an ARM failure): say so on each of its deployments.
      const message = errorMessage(outcome.error);
      record(
        group.units
          .filter((u) => merged.get(u.name)?.state !== "succeeded")
          .map((u) => ({
            name: u.name,
            phase: u.phase,
            state: "failed" as const,
            error: { code: "OrchestrationFailed", message },
          })),
        mine,
        {},
      );
    }
  });

  status.stage = "finishing";
  // Stage 3: shared deployments that waited on a cluster deployment still running at the hand-over.
  const leftover = shared.filter((u) => (merged.get(u.name)?.state ?? "pending") === "pending");
  if (canceled) {
    const notStarted = plan.units.filter((u) => (merged.get(u.name)?.state ?? "pending") === "pending");
    canceled.notStarted.push(...notStarted.map((u) => u.name));
    record(
      notStarted.map((u) => ({
        name: u.name,
        phase: u.phase,
        ...(u.cluster !== undefined ? { cluster: u.cluster } : {}),
        state: "skipped" as const,
        error: { code: "BuildCanceled", message: "not started: the build was cancelled" },
      })),
      all,
      {},
    );
  } else if (leftover.length > 0) {
    const stage3 = yield* runDeploymentLoop(
      context,
      leftover,
      { deployments: [...merged.values()], outputs },
      { ...loopOptions, onProgress: (d) => record(d, sharedNames, {}) },
    );
    record(stage3.deployments, sharedNames, stage3.outputs);
    noteCancel(stage3);
  }

  status.stage = "done";
  if (canceled) Object.assign(canceled, parseCancelRequest(cancel.payload));
  const deployments = latest;
  const failures = deployments.filter((d) => d.state === "failed" || d.state === "skipped");
  const result: BuildResult = {
    environment: spec.name,
    mode: input.mode,
    succeeded: !canceled && failures.length === 0,
    startedAt: status.startedAt,
    endedAt: context.df.currentUtcDateTime.toISOString(),
    deployments,
    ...(canceled ? { canceled } : {}),
  };
  context.df.setCustomStatus(status);
  // A notification that cannot be delivered now is kept and retried by lib/notify; it never fails the build.
  // A cancelled build says so once (not failed, not done) and completes with `canceled`: it ended on purpose.
  yield* notify(result);
  if (canceled) return result;
  // A what-if is a report: a unit ARM could not evaluate is in it (failed, with ARM's error) beside the units it
  // did evaluate, whose per-resource changes only the output carries (the status keeps the polled form, 16 KB).
  if (!result.succeeded && input.mode !== "whatif") throw new Error(describeFailures(spec.name, failures));
  return result;
};

/**
 * What a group's child is handed: the progress of its own units and of what they read (dependencies, output
 * references), and those outputs. Not the whole build's: a child's input is in its history and in every save of it,
 * and twelve clusters each carrying every deployment of the fleet made the children's saves grow with the fleet.
 */
function handedOver(
  units: readonly DeploymentUnit[],
  progress: ReadonlyMap<string, DeploymentProgress>,
  outputs: OutputsByDeployment,
): Pick<DeployUnitsInput, "deployments" | "outputs"> {
  const read = new Set(
    units.flatMap((u) => [...u.dependsOn, ...Object.values(u.outputParameters).map((r) => r.deployment)]),
  );
  const known = new Set([...units.map((u) => u.name), ...read]);
  return {
    deployments: [...progress.values()].filter((d) => known.has(d.name)),
    outputs: Object.fromEntries(Object.entries(outputs).filter(([name]) => read.has(name))),
  };
}

function groupByCluster(units: readonly DeploymentUnit[]): Map<string, DeploymentUnit[]> {
  const groups = new Map<string, DeploymentUnit[]>();
  for (const unit of units) {
    if (unit.cluster === undefined) continue;
    groups.set(unit.cluster, [...(groups.get(unit.cluster) ?? []), unit]);
  }
  return groups;
}

df.app.orchestration(Orchestrations.provisionPlatform, provisionPlatformOrchestrator);
