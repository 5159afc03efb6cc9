import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler, Task } from "durable-functions";
import {
  buildReport,
  clusterOfInstance,
  rotationPick,
  vaultOf,
  verifyPolicyFor,
  type BackupReport,
  type InstanceReport,
  type RestoreValidation,
  type StoredReport,
} from "../../lib/backup";
import { Activities, Orchestrations } from "../../lib/function-names";
import type { ListBackupInstancesResult } from "./activities/listBackupInstances";
import { orchestrationInput } from "../shared/boundary";
import { settleAll, transientRetry } from "../shared/longRunning";
import {
  backupVerificationInputSchema,
  type ListBackupInstancesInput,
  type NotifyBackupSummaryInput,
  type ValidateRestoreInput,
  type VerifyBackupInstanceInput,
  type WriteBackupReportInput,
} from "./contracts";

/**
 * OPS-5 nightly verification: read the vault once, verify the instances in waves of at most `maxConcurrency`
 * activities, validate one rotating restore, store the report, send one summary. Each wave schedules fresh tasks
 * (azure-functions-durable-js#574: a Task.all/any over tasks already yielded before can hang the replay).
 */

export interface BackupVerificationResult {
  summary: BackupReport["summary"];
  reportLocation?: string;
  problems: number;
}

export const backupVerificationOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = orchestrationInput(context, backupVerificationInputSchema);
  const spec = input.spec;
  const now = context.df.currentUtcDateTime;
  const vault = vaultOf(spec);
  const policy = verifyPolicyFor(spec);
  const limit = input.maxConcurrency ?? 8;

  const index = (yield context.df.callActivityWithRetry(Activities.listBackupInstances, transientRetry, {
    vault,
  } satisfies ListBackupInstancesInput)) as ListBackupInstancesResult;
  if (!index.ok) {
    const empty = buildReport({ ...spec, clusters: [] }, vault, [], { policy, now });
    yield* settleAll(context, [
      context.df.callActivity(Activities.notifyBackupSummary, {
        report: empty,
        notifications: spec.notifications,
        correlationId: context.df.instanceId,
        vaultError: index.error,
      } satisfies NotifyBackupSummaryInput),
    ]);
    throw new Error(`backup verification of ${spec.name}: ${index.error}`);
  }

  const reports: InstanceReport[] = [];
  for (let start = 0; start < index.instances.length; start += limit) {
    const wave = index.instances.slice(start, start + limit);
    const tasks: Task[] = wave.map((instance) => {
      const cluster = clusterOfInstance(spec, instance)?.name;
      return context.df.callActivityWithRetry(Activities.verifyBackupInstance, transientRetry, {
        vault,
        instance,
        jobs: index.jobs[instance.id.toLowerCase()] ?? [],
        policy,
        now: now.toISOString(),
        ...(cluster !== undefined ? { cluster } : {}),
      } satisfies VerifyBackupInstanceInput);
    });
    const settled = yield* settleAll(context, tasks);
    settled.forEach((outcome, i) => {
      const instance = wave[i]!;
      if (outcome.ok) reports.push(outcome.value as InstanceReport);
      else
        reports.push({
          name: instance.name,
          datasource: instance.dataSourceId ?? null,
          protectionStatus: instance.protectionStatus ?? null,
          protectionState: instance.currentProtectionState ?? null,
          latestRecoveryPoint: null,
          ageHours: null,
          recoveryPoints: 0,
          lastJob: null,
          verdict: "failed",
          problems: [
            `could not verify: ${outcome.error instanceof Error ? outcome.error.message : String(outcome.error)}`,
          ],
        });
    });
    context.df.setCustomStatus({ verified: reports.length, of: index.instances.length });
  }

  let validation: RestoreValidation | undefined;
  const pick =
    input.validateRestore === false
      ? undefined
      : rotationPick(
          index.instances.map((i) => i.name),
          now,
        );
  if (pick !== undefined) {
    const [outcome] = yield* settleAll(context, [
      context.df.callActivityWithRetry(Activities.validateRestore, transientRetry, {
        vault,
        instance: pick,
        location: spec.location,
      } satisfies ValidateRestoreInput),
    ]);
    validation = outcome?.ok
      ? (outcome.value as RestoreValidation)
      : {
          instance: pick,
          ok: false,
          error: outcome?.error instanceof Error ? outcome.error.message : "validation did not run",
        };
  }

  const report = buildReport(spec, vault, reports, { policy, now, ...(validation ? { validation } : {}) });
  // A report that cannot be stored must not stop the summary: the message says so by having no link.
  const [stored] = yield* settleAll(context, [
    context.df.callActivityWithRetry(Activities.writeBackupReport, transientRetry, {
      report,
    } satisfies WriteBackupReportInput),
  ]);
  const reportLocation = stored?.ok ? (stored.value as StoredReport).htmlUrl : undefined;
  yield* settleAll(context, [
    context.df.callActivity(Activities.notifyBackupSummary, {
      report,
      notifications: spec.notifications,
      correlationId: context.df.instanceId,
      ...(reportLocation !== undefined ? { reportLocation } : {}),
    } satisfies NotifyBackupSummaryInput),
  ]);
  return {
    summary: report.summary,
    problems: report.instances.reduce((n, r) => n + r.problems.length, 0),
    ...(reportLocation !== undefined ? { reportLocation } : {}),
  } satisfies BackupVerificationResult;
};

df.app.orchestration(Orchestrations.backupVerification, backupVerificationOrchestrator);
