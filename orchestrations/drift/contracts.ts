import { z } from "zod";
import type { OutputsByDeployment } from "../../lib/plan/progress";
import { driftReportSchema, type DriftReport, type UnitCheck } from "../../lib/drift";
import { notifyMessageSchema } from "../../lib/notify";
import { notificationsSchema, platformSpecSchema } from "../../lib/spec";
import { deploymentTargetSchema, deploymentUnitSchema } from "../build/contracts";

/**
 * Data crossing the Durable boundary of the drift room: orchestration and activity inputs as zod schemas (parsed by
 * orchestrations/shared/boundary), results as types.
 */

/** A write by someone else to a resource of a unit (from a Resources event). */
export const suspectSchema = z.object({
  unit: z.string().min(1),
  resourceId: z.string().min(1),
  eventId: z.string().min(1),
  eventType: z.string().min(1),
  callerObjectId: z.string().optional(),
});
export type Suspect = z.infer<typeof suspectSchema>;

/** Input of the `driftWatch` orchestration (started by the Resources event function, lib/drift dispatch). */
export const driftWatchInputSchema = z.object({ spec: platformSpecSchema, first: suspectSchema });
export type DriftWatchInput = z.infer<typeof driftWatchInputSchema>;

export interface DriftWatchResult {
  units: string[];
  eventIds: string[];
  check: DriftCheckResult;
}

export const driftTriggerSchema = driftReportSchema.shape.trigger;

/** Input of the `driftCheck` orchestration (the watch, the sweep, the CLI). */
export const driftCheckInputSchema = z.object({
  spec: platformSpecSchema,
  trigger: driftTriggerSchema,
  /** Units to check (full deployment names); all resource-group units of the spec when absent. */
  units: z.array(z.string().min(1)).optional(),
  /** false: only the report (the CLI prints it); no message, no remediation. */
  act: z.boolean().optional(),
  /**
   * Clusters a teardown took away (lib/api clusterRemoval, as the caller read it): their units, and the peering
   * units the teardown forgot, are skipped with the reason instead of reported as "not deployed yet".
   */
  removedClusters: z
    .array(
      z.object({
        cluster: z.string().min(1),
        state: z.enum(["removed", "tearing down", "teardown failed"]),
        at: z.string(),
      }),
    )
    .optional(),
  /** Also remove the app's superseded deployment records from the platform's groups (the sweep, once per interval). */
  cleanHistory: z.boolean().optional(),
});
export type DriftCheckInput = z.infer<typeof driftCheckInputSchema>;

export const cleanDeploymentHistoryInputSchema = z.object({
  subscriptionId: z.string().min(1),
  resourceGroups: z.array(z.string().min(1)),
  /** Deployment names of the current plan: their records are kept (the build's memory). */
  currentUnits: z.array(z.string().min(1)),
});
export type CleanDeploymentHistoryInput = z.infer<typeof cleanDeploymentHistoryInputSchema>;

export interface CleanDeploymentHistoryResult {
  removed: { resourceGroup: string; name: string }[];
  kept: { resourceGroup: string; own: number; others: number }[];
  problems: string[];
}

/** Input of `notifyDrift`: one message per detection or remediation, and the environment's channels. */
export const notifyDriftInputSchema = z.object({ message: notifyMessageSchema, notifications: notificationsSchema });
export type NotifyDriftInput = z.infer<typeof notifyDriftInputSchema>;

export interface RemediationOutcome {
  units: string[];
  refused: { unit: string; reason: string }[];
  failures: string[];
  after?: DriftReport;
}

export interface DriftCheckResult {
  report: DriftReport;
  history?: CleanDeploymentHistoryResult;
  remediation?: RemediationOutcome;
}

export const checkUnitDriftInputSchema = deploymentTargetSchema.extend({
  environment: z.string().min(1),
  unit: deploymentUnitSchema,
  /** Where the deployments the unit reads outputs from live. */
  sources: z.record(z.string(), deploymentUnitSchema.pick({ name: true, scope: true, resourceGroup: true })),
});
export type CheckUnitDriftInput = z.infer<typeof checkUnitDriftInputSchema>;

export interface CheckUnitDriftResult extends UnitCheck {
  /** Outputs of the deployments the unit reads (a remediation re-deploys it with them). */
  outputs: OutputsByDeployment;
}

export const remediationGateInputSchema = deploymentTargetSchema.extend({
  /** Its active upgrade run refuses every remediation. */
  environment: z.string().min(1),
  units: z.array(deploymentUnitSchema),
  /** Managed cluster id per unit that writes to a cluster. */
  clusterIds: z.record(z.string(), z.string().min(1)),
});
export type RemediationGateInput = z.infer<typeof remediationGateInputSchema>;

export interface RemediationGateResult {
  allowed: string[];
  refused: { unit: string; reason: string }[];
}
