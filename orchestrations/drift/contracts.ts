import { z } from "zod";
import type { OutputsByDeployment } from "../../lib/plan/progress";
import type { DeploymentUnit } from "../../lib/plan/types";
import { driftReportSchema, type DriftReport, type UnitCheck } from "../../lib/drift";
import type { PlatformSpec } from "../../lib/spec";
import type { DeploymentTarget } from "../build/contracts";
import type { CleanDeploymentHistoryResult } from "./activities/cleanDeploymentHistory";

/** Data crossing the Durable boundary of the drift room (zod where it comes from outside an orchestration). */

/** A write by someone else to a resource of a unit (from a Resources event). */
export const suspectSchema = z.object({
  unit: z.string().min(1),
  resourceId: z.string().min(1),
  eventId: z.string().min(1),
  eventType: z.string().min(1),
  callerObjectId: z.string().optional(),
});
export type Suspect = z.infer<typeof suspectSchema>;

export interface DriftWatchInput {
  spec: PlatformSpec;
  first: Suspect;
}

export interface DriftWatchResult {
  units: string[];
  eventIds: string[];
  check: DriftCheckResult;
}

export const driftTriggerSchema = driftReportSchema.shape.trigger;

export interface DriftCheckInput {
  spec: PlatformSpec;
  trigger: DriftReport["trigger"];
  /** Units to check (full deployment names); all resource-group units of the spec when absent. */
  units?: string[];
  /** false: only the report (the CLI prints it); no message, no remediation. */
  act?: boolean;
  /** Also remove the app's superseded deployment records from the platform's groups (the sweep, once per interval). */
  cleanHistory?: boolean;
}

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

export interface CheckUnitDriftInput extends DeploymentTarget {
  environment: string;
  unit: DeploymentUnit;
  /** Where the deployments the unit reads outputs from live. */
  sources: Record<string, Pick<DeploymentUnit, "name" | "scope" | "resourceGroup">>;
}

export interface CheckUnitDriftResult extends UnitCheck {
  /** Outputs of the deployments the unit reads (a remediation re-deploys it with them). */
  outputs: OutputsByDeployment;
}

export interface RemediationGateInput extends DeploymentTarget {
  units: DeploymentUnit[];
  /** Managed cluster id per unit that writes to a cluster. */
  clusterIds: Record<string, string>;
}

export interface RemediationGateResult {
  allowed: string[];
  refused: { unit: string; reason: string }[];
}
