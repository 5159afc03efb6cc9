import type { NotificationsSpec, PlatformSpec } from "../../lib/spec";
import type { DeploymentUnit } from "../../lib/plan/types";
import type {
  ArmErrorInfo,
  BuildCancellation,
  BuildMode,
  DeploymentProgress,
  WhatIfSummary,
} from "../../lib/plan/progress";

/**
 * Inputs and results of the provisioning activities: the one place both the orchestrators and the activity
 * implementations take their shapes from. Expected failures are values; only transient ones throw (so
 * `callActivityWithRetry` retries exactly those).
 */

export interface ComputePlanInput {
  spec: PlatformSpec;
}
export interface ComputePlanResult {
  environment: string;
  units: DeploymentUnit[];
}

export interface LookupIstioRevisionInput {
  subscriptionId: string;
  location: string;
}

/** Where the build's deployments go. */
export interface DeploymentTarget {
  subscriptionId: string;
  /** Location of subscription-scope deployments (ARM stores their record there). */
  location: string;
}

export interface DeploymentRequest extends DeploymentTarget {
  environment: string;
  unit: DeploymentUnit;
  /** The unit's parameters with output references already filled in. */
  parameters: Record<string, unknown>;
  /** Deploy even if a succeeded deployment of the same inputs exists (drift remediation: Azure changed since). */
  redeploy?: boolean;
}

export type StartDeploymentResult =
  | { kind: "accepted"; correlationId?: string; retryAfterSeconds: number }
  /** A succeeded deployment of this name with the same template and parameters exists: nothing to redo. */
  | { kind: "reused"; correlationId?: string; outputs: Record<string, unknown> }
  | { kind: "failed"; correlationId?: string; error: ArmErrorInfo };

export interface DeploymentRef extends DeploymentTarget {
  name: string;
  scope: DeploymentUnit["scope"];
  resourceGroup?: string;
}

export type DeploymentStatusResult =
  | { state: "running"; correlationId?: string; retryAfterSeconds: number }
  | { state: "succeeded"; correlationId?: string; outputs: Record<string, unknown> }
  | { state: "failed"; correlationId?: string; error: ArmErrorInfo };

export type WhatIfResult =
  /** `outputs`: those of the deployment already in ARM under this name, so later what-ifs can use them. */
  | { kind: "whatif"; summary: WhatIfSummary; outputs?: Record<string, unknown> }
  | { kind: "failed"; error: ArmErrorInfo };

export interface NotifyBuildInput {
  environment: string;
  notifications: NotificationsSpec;
  mode: BuildMode;
  instanceId: string;
  succeeded: boolean;
  startedAt: string;
  endedAt: string;
  deployments: DeploymentProgress[];
  /** Why the build failed before any deployment (the Istio look-up or the plan threw). */
  planningFailure?: string;
  /** The build was cancelled: what the cancel did (the message says so instead of success or failure). */
  canceled?: BuildCancellation;
}
