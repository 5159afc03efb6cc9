import { z } from "zod";
import { notificationsSchema, platformSpecSchema } from "../../lib/spec";
import { PHASES, type DeploymentUnit } from "../../lib/plan/types";
import type {
  ArmErrorInfo,
  BuildCancellation,
  BuildInput,
  DeploymentProgress,
  OutputsByDeployment,
  WhatIfSummary,
} from "../../lib/plan/progress";

/**
 * Inputs and results of the provisioning activities and orchestrations: the one place both the orchestrators and
 * the activity implementations take their shapes from. Inputs are zod schemas, parsed at the Durable boundary
 * (orchestrations/shared/boundary); results stay types. Expected failures are values; only transient ones throw
 * (so `callActivityWithRetry` retries exactly those).
 */

const name = z.string().min(1);
const buildModeSchema = z.enum(["deploy", "whatif", "redeploy"]);

export const deploymentUnitSchema = z.object({
  name,
  phase: z.enum(PHASES),
  scope: z.enum(["subscription", "resourceGroup"]),
  resourceGroup: name.optional(),
  cluster: name.optional(),
  template: name,
  parameters: z.record(z.string(), z.unknown()),
  outputParameters: z.record(z.string(), z.object({ deployment: name, output: name })),
  dependsOn: z.array(name),
  expectedSeconds: z.number().nonnegative().optional(),
  commit: z
    .object({
      networkManager: name,
      commitType: z.literal("Connectivity"),
      configurationOutput: name,
      targetLocations: z.array(name).min(1),
    })
    .optional(),
}) satisfies z.ZodType<DeploymentUnit>;

const armErrorSchema: z.ZodType<ArmErrorInfo> = z.object({
  code: z.string(),
  message: z.string(),
  target: z.string().optional(),
  get details() {
    return z.array(armErrorSchema).optional();
  },
});

const deploymentProgressSchema = z.object({
  name,
  phase: z.enum(PHASES),
  cluster: name.optional(),
  state: z.enum(["pending", "running", "succeeded", "failed", "skipped"]),
  startedAt: z.iso.datetime().optional(),
  endedAt: z.iso.datetime().optional(),
  correlationId: z.string().optional(),
  reused: z.boolean().optional(),
  error: armErrorSchema.optional(),
  whatIf: z
    .object({
      create: z.number(),
      modify: z.number(),
      delete: z.number(),
      noChange: z.number(),
      ignore: z.number(),
      changes: z.array(z.string()),
    })
    .optional() satisfies z.ZodType<WhatIfSummary | undefined>,
}) satisfies z.ZodType<DeploymentProgress>;

const outputsSchema = z.record(z.string(), z.record(z.string(), z.unknown())) satisfies z.ZodType<OutputsByDeployment>;

/** Input of the `provisionPlatform` orchestration (written by the provision API, the CLI and drift remediation). */
export const buildInputSchema = z.object({
  spec: platformSpecSchema,
  mode: buildModeSchema,
  maxDeploymentSeconds: z.number().positive().optional(),
}) satisfies z.ZodType<BuildInput>;

export const computePlanInputSchema = z.object({ spec: platformSpecSchema });
export type ComputePlanInput = z.infer<typeof computePlanInputSchema>;
export interface ComputePlanResult {
  environment: string;
  units: DeploymentUnit[];
}

/** Where the build's deployments go. */
export const deploymentTargetSchema = z.object({
  subscriptionId: name,
  /** Location of subscription-scope deployments (ARM stores their record there). */
  location: name,
});
export type DeploymentTarget = z.infer<typeof deploymentTargetSchema>;

export const lookupIstioRevisionInputSchema = deploymentTargetSchema;
export type LookupIstioRevisionInput = z.infer<typeof lookupIstioRevisionInputSchema>;

export const deploymentRequestSchema = deploymentTargetSchema.extend({
  environment: name,
  unit: deploymentUnitSchema,
  /** The unit's parameters with output references already filled in. */
  parameters: z.record(z.string(), z.unknown()),
  /** Deploy even if a succeeded deployment of the same inputs exists (drift remediation: Azure changed since). */
  redeploy: z.boolean().optional(),
});
export type DeploymentRequest = z.infer<typeof deploymentRequestSchema>;

export type StartDeploymentResult =
  | { kind: "accepted"; correlationId?: string; retryAfterSeconds: number }
  /** A succeeded deployment of this name with the same template and parameters exists: nothing to redo. */
  | { kind: "reused"; correlationId?: string; outputs: Record<string, unknown> }
  | { kind: "failed"; correlationId?: string; error: ArmErrorInfo };

export const deploymentRefSchema = deploymentTargetSchema.extend({
  name,
  scope: deploymentUnitSchema.shape.scope,
  resourceGroup: name.optional(),
});
export type DeploymentRef = z.infer<typeof deploymentRefSchema>;

export type DeploymentStatusResult =
  | { state: "running"; correlationId?: string; retryAfterSeconds: number }
  | { state: "succeeded"; correlationId?: string; outputs: Record<string, unknown> }
  | { state: "failed"; correlationId?: string; error: ArmErrorInfo }
  /** ARM has no such deployment (its record was deleted, e.g. by ARM's history limit): start it again. */
  | { state: "vanished"; correlationId?: string; error: ArmErrorInfo };

/** The commit of a Virtual Network Manager configuration a unit deployed (posted once that deployment succeeded). */
export const networkManagerCommitRequestSchema = deploymentTargetSchema.extend({
  /** The unit that deployed the manager: names the commit in progress and errors. */
  unit: name,
  resourceGroup: name,
  networkManager: name,
  commitType: z.literal("Connectivity"),
  configurationIds: z.array(name).min(1),
  targetLocations: z.array(name).min(1),
});
export type NetworkManagerCommitRequest = z.infer<typeof networkManagerCommitRequestSchema>;

export type WhatIfResult =
  /** `outputs`: those of the deployment already in ARM under this name, so later what-ifs can use them. */
  | { kind: "whatif"; summary: WhatIfSummary; outputs?: Record<string, unknown> }
  | { kind: "failed"; error: ArmErrorInfo };

export const notifyBuildInputSchema = z.object({
  environment: name,
  notifications: notificationsSchema,
  mode: buildModeSchema,
  instanceId: name,
  succeeded: z.boolean(),
  startedAt: z.iso.datetime(),
  endedAt: z.iso.datetime(),
  deployments: z.array(deploymentProgressSchema),
  /** Why the build failed before any deployment (the Istio look-up or the plan threw). */
  planningFailure: z.string().optional(),
  /** The build was cancelled: what the cancel did (the message says so instead of success or failure). */
  canceled: z
    .object({
      requestedAt: z.iso.datetime(),
      request: z.string().optional(),
      requestedBy: z.string().optional(),
      cancelledInArm: z.array(name),
      awaited: z.array(name),
      notStarted: z.array(name),
    })
    .optional() satisfies z.ZodType<BuildCancellation | undefined>,
});
export type NotifyBuildInput = z.infer<typeof notifyBuildInputSchema>;

/** One group of deployments run to the end: a cluster (its AKS deployment, then its add-ons) or the rest of the platform. */
export const deployUnitsInputSchema = z.object({
  environment: name,
  target: deploymentTargetSchema,
  /** `cluster <name>` or `platform`: shown in status and errors. */
  label: name,
  mode: buildModeSchema,
  /** Explicit cap on one deployment's running time; absent, each deployment's own scaled limit. */
  maxDeploymentSeconds: z.number().positive().optional(),
  units: z.array(deploymentUnitSchema),
  /** Progress already known for these units (a deployment handed over while running is polled, not restarted). */
  deployments: z.array(deploymentProgressSchema),
  /** Outputs of the deployments these units depend on. */
  outputs: outputsSchema,
});
export type DeployUnitsInput = z.infer<typeof deployUnitsInputSchema>;
