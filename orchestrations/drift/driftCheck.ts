import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import {
  buildDriftReport,
  driftDetectedMessage,
  driftedUnits,
  driftRemediatedMessage,
  type DriftReport,
  type UnitCheck,
  unitsSkippedForTeardowns,
} from "../../lib/drift";
import { Activities, Orchestrations } from "../../lib/function-names";
import type { OutputsByDeployment } from "../../lib/plan/progress";
import type { DeploymentUnit } from "../../lib/plan/types";
import type { PlatformSpec } from "../../lib/spec";
import { pinnedPlan } from "../build/deploymentLoop";
import { settleAll, transientRetry } from "../shared/longRunning";
import type { DeployUnitsInput, DeployUnitsResult } from "../build/deployUnits";
import { orchestrationInput } from "../shared/boundary";
import {
  driftCheckInputSchema,
  type CheckUnitDriftInput,
  type CheckUnitDriftResult,
  type CleanDeploymentHistoryInput,
  type CleanDeploymentHistoryResult,
  type DriftCheckResult,
  type NotifyDriftInput,
  type RemediationGateInput,
  type RemediationGateResult,
  type RemediationOutcome,
} from "./contracts";

/**
 * One drift check of an environment: a what-if per unit (in parallel), a report (noise removed, severity), kept
 * in storage, one message when something drifted; with `drift.mode: remediate`, the drifted units of the
 * allow-list are re-deployed through the build's own `deployUnits` path (mode `redeploy`: incremental, so nothing
 * the template does not hold is deleted), then checked again. A remediation is a build and is reported like one.
 */
export const driftCheckOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = orchestrationInput(context, driftCheckInputSchema);
  const { spec, plan } = yield* pinnedPlan(context, input.spec);
  const byName = new Map(plan.units.map((u) => [u.name, u]));
  const checkable = plan.units.filter((u) => u.scope === "resourceGroup");
  const asked = input.units ? checkable.filter((u) => input.units!.includes(u.name)) : checkable;
  const skippedByName = unitsSkippedForTeardowns(spec, plan.units, input.removedClusters ?? []);
  const units = asked.filter((u) => !skippedByName.has(u.name));
  const skipped = asked
    .filter((u) => skippedByName.has(u.name))
    .map((u) => ({ unit: u.name, reason: skippedByName.get(u.name)! }));

  context.df.setCustomStatus({ stage: "checking", units: units.map((u) => u.name) });
  const first = yield* checkUnits(context, spec, units, byName);
  const report = buildDriftReport({
    environment: spec.name,
    checkedAt: context.df.currentUtcDateTime.toISOString(),
    trigger: input.trigger,
    checks: first.checks,
    skipped,
  });
  yield context.df.callActivityWithRetry(Activities.storeDriftReport, transientRetry, report);
  const result: DriftCheckResult = { report };
  if (input.cleanHistory) {
    // Drift checks and re-deploys add to each group's history; the app's superseded records go (never others').
    const cleaned = yield* settleAll(context, [
      context.df.callActivityWithRetry(Activities.cleanDeploymentHistory, transientRetry, {
        subscriptionId: spec.subscriptionId,
        resourceGroups: [spec.commonResourceGroup, ...spec.clusters.map((c) => c.resourceGroup)],
        currentUnits: plan.units.map((u) => u.name),
      } satisfies CleanDeploymentHistoryInput),
    ]);
    if (cleaned[0]?.ok) result.history = cleaned[0].value as CleanDeploymentHistoryResult;
  }
  if (input.act === false || report.findings.length === 0) return result;

  const drifted = driftedUnits(report);
  const allowList = new Set(spec.drift.autoRemediate);
  const candidates = drifted.filter((u) => allowList.has(u));
  // Asked before the message, so a detection no unit may be re-deployed for (an upgrade run is active) says so.
  const gate =
    spec.drift.mode === "remediate" && candidates.length > 0
      ? yield* remediationGate(
          context,
          spec,
          candidates.map((n) => byName.get(n)!),
        )
      : undefined;
  const willRemediate = gate !== undefined && gate.allowed.length > 0;
  const notRemediated =
    spec.drift.mode === "report"
      ? "report-only"
      : candidates.length === 0
        ? `no drifted unit is in drift.autoRemediate (${drifted.join(", ")})`
        : `report-only: ${[...new Set(gate!.refused.map((r) => r.reason))].join("; ")}`;
  yield* notify(
    context,
    spec,
    driftDetectedMessage(report, {
      correlationId: context.df.instanceId,
      remediation: willRemediate ? "will-remediate" : notRemediated,
    }),
  );
  if (gate && !willRemediate) result.remediation = { units: [], refused: gate.refused, failures: [] };
  if (!willRemediate) return result;

  context.df.setCustomStatus({ stage: "remediating", units: candidates });
  const remediation = yield* remediate(
    context,
    spec,
    candidates.filter((n) => gate.allowed.includes(n)).map((n) => byName.get(n)!),
    gate.refused,
    first.outputs,
  );
  result.remediation = remediation;
  if (remediation.units.length > 0) {
    const again = yield* checkUnits(
      context,
      spec,
      remediation.units.map((n) => byName.get(n)!),
      byName,
    );
    const after: DriftReport = buildDriftReport({
      environment: spec.name,
      checkedAt: context.df.currentUtcDateTime.toISOString(),
      trigger: "after-remediation",
      checks: again.checks,
    });
    yield context.df.callActivityWithRetry(Activities.storeDriftReport, transientRetry, after);
    remediation.after = after;
    yield* notify(
      context,
      spec,
      driftRemediatedMessage(after, {
        correlationId: context.df.instanceId,
        units: remediation.units,
        failures: [
          ...remediation.failures,
          ...remediation.refused.map((r) => `${r.unit} not re-deployed: ${r.reason}`),
        ],
      }),
    );
  }
  return result;
};

function* checkUnits(
  context: OrchestrationContext,
  spec: PlatformSpec,
  units: readonly DeploymentUnit[],
  byName: ReadonlyMap<string, DeploymentUnit>,
): Generator<df.Task, { checks: UnitCheck[]; outputs: OutputsByDeployment }, unknown> {
  const settled = yield* settleAll(
    context,
    units.map((unit) =>
      context.df.callActivityWithRetry(Activities.checkUnitDrift, transientRetry, {
        subscriptionId: spec.subscriptionId,
        location: spec.location,
        environment: spec.name,
        unit,
        sources: Object.fromEntries(
          Object.values(unit.outputParameters).map((r) => {
            const source = byName.get(r.deployment);
            return [
              r.deployment,
              {
                name: r.deployment,
                scope: source?.scope ?? "resourceGroup",
                ...(source?.resourceGroup !== undefined ? { resourceGroup: source.resourceGroup } : {}),
              },
            ];
          }),
        ),
      } satisfies CheckUnitDriftInput),
    ),
  );
  const outputs: OutputsByDeployment = {};
  const checks = settled.map((outcome, i): UnitCheck => {
    if (!outcome.ok)
      return {
        unit: units[i]!.name,
        result: { ok: false, message: outcome.error instanceof Error ? outcome.error.message : String(outcome.error) },
      };
    const value = outcome.value as CheckUnitDriftResult;
    Object.assign(outputs, value.outputs);
    return { unit: value.unit, result: value.result };
  });
  return { checks, outputs };
}

function* remediationGate(
  context: OrchestrationContext,
  spec: PlatformSpec,
  units: DeploymentUnit[],
): Generator<df.Task, RemediationGateResult, unknown> {
  const clusterIds: Record<string, string> = {};
  for (const unit of units) {
    const cluster = spec.clusters.find((c) => c.name === unit.cluster);
    if (cluster)
      clusterIds[unit.name] =
        `/subscriptions/${spec.subscriptionId}/resourceGroups/${cluster.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${cluster.aksName}`;
  }
  return (yield context.df.callActivityWithRetry(Activities.checkRemediationGate, transientRetry, {
    subscriptionId: spec.subscriptionId,
    location: spec.location,
    environment: spec.name,
    units,
    clusterIds,
  } satisfies RemediationGateInput)) as RemediationGateResult;
}

function* remediate(
  context: OrchestrationContext,
  spec: PlatformSpec,
  allowed: DeploymentUnit[],
  refused: RemediationGateResult["refused"],
  outputs: OutputsByDeployment,
): Generator<df.Task, RemediationOutcome, unknown> {
  const target = { subscriptionId: spec.subscriptionId, location: spec.location };
  const deployed = (yield context.df.callSubOrchestrator(
    Orchestrations.deployUnits,
    {
      environment: spec.name,
      target,
      label: "drift remediation",
      mode: "redeploy",
      maxDeploymentSeconds: 90 * 60,
      units: allowed,
      // Units this one depends on are done already: only their outputs are needed.
      deployments: [...new Set(allowed.flatMap((u) => u.dependsOn))]
        .filter((name) => !allowed.some((u) => u.name === name))
        .map((name) => ({
          name,
          phase: "resourceGroups",
          state: "succeeded",
        })),
      outputs,
    } satisfies DeployUnitsInput,
    `${context.df.instanceId}:remediation`,
  )) as DeployUnitsResult;
  const mine = new Set(allowed.map((u) => u.name));
  const failures = deployed.deployments
    .filter((d) => mine.has(d.name) && d.state !== "succeeded")
    .map((d) => `${d.name} ${d.state}${d.error ? `: ${d.error.code}: ${d.error.message}` : ""}`);
  return { units: allowed.map((u) => u.name), refused, failures };
}

function* notify(
  context: OrchestrationContext,
  spec: PlatformSpec,
  message: NotifyDriftInput["message"],
): Generator<df.Task, void, unknown> {
  yield* settleAll(context, [
    context.df.callActivity(Activities.notifyDrift, {
      message,
      notifications: spec.notifications,
    } satisfies NotifyDriftInput),
  ]);
}

df.app.orchestration(Orchestrations.driftCheck, driftCheckOrchestrator);
