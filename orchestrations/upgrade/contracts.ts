import { z } from "zod";
import type { UpgradeProposalInput } from "../../lib/ops/reactions";
import { maintenanceWindowSchema, notificationsSchema, platformSpecSchema } from "../../lib/spec";
import {
  upgradeTargetSchema,
  type ClusterUpgradePlan,
  type GateExpectations,
  type GateName,
  type GateResult,
  type NodePoolRolling,
  type UpgradeStep,
} from "../../lib/upgrade";
import type { UpgradeMessageInput } from "../../lib/upgrade/messages";

/**
 * Shapes that cross the Durable boundary in the upgrade room: every orchestration's and activity's input as a zod
 * schema (parsed by orchestrations/shared/boundary), results as types.
 */

export {
  upgradeRunInputSchema,
  type ClusterOutcome,
  type StepProgress,
  type StepState,
  type UpgradeRunInput,
  type UpgradeRunStatus,
} from "../../lib/upgrade";
import type { ClusterOutcome, StepProgress } from "../../lib/upgrade";

const name = z.string().min(1);
const gateNames = [
  "nodes-ready",
  "nodes-on-version",
  "pending-pods",
  "pdb-not-blocking",
  "flux-ready",
  "istio-control-plane",
  "istio-gateways",
] as const satisfies readonly GateName[];

export const gateResultSchema = z.object({
  gate: z.enum(gateNames),
  ok: z.boolean(),
  summary: z.string(),
  evidence: z.array(z.string()),
}) satisfies z.ZodType<GateResult>;

/** One cluster as the upgrade activities address it. */
export const upgradeClusterRefSchema = z.object({
  subscriptionId: name,
  name,
  aksName: name,
  resourceGroup: name,
  istioGateway: z.boolean(),
});
export type UpgradeClusterRef = z.infer<typeof upgradeClusterRefSchema>;

/** One AKS operation; an Istio canary is several of them (add the revision, then keep one). */
export const upgradeOperationSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("control-plane"), to: name }),
  z.object({ kind: z.literal("pool"), pool: name, to: name, maxSurge: name }),
  z.object({ kind: z.literal("node-image"), pool: name, to: name }),
  z.object({ kind: z.literal("istio-revisions"), revisions: z.array(name).min(1) }),
]);
export type UpgradeOperation = z.infer<typeof upgradeOperationSchema>;

const upgradeStepSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("istio-canary"), from: name, to: name }),
  z.object({ kind: z.literal("control-plane"), from: name, to: name }),
  z.object({ kind: z.literal("pool"), pool: name, from: name, to: name, maxSurge: name }),
  z.object({ kind: z.literal("node-image"), pool: name, from: name, to: name, maxSurge: name }),
]) satisfies z.ZodType<UpgradeStep>;

const clusterUpgradePlanSchema = z.object({
  cluster: name,
  stage: name,
  changes: z.array(z.string()),
  steps: z.array(upgradeStepSchema),
  approvalReasons: z.array(z.string()),
  window: z.object({ spec: maintenanceWindowSchema, description: z.string() }).optional(),
  refused: z.array(z.string()),
  finalKubernetesVersion: name,
  finalIstioRevision: name.optional(),
}) satisfies z.ZodType<ClusterUpgradePlan>;

/** Input of the `upgradeCluster` sub-orchestration. */
export const upgradeClusterInputSchema = z.object({
  runId: name,
  cluster: upgradeClusterRefSchema,
  plan: clusterUpgradePlanSchema,
  window: maintenanceWindowSchema.optional(),
  maxPendingPods: z.int().nonnegative(),
});
export type UpgradeClusterInput = z.infer<typeof upgradeClusterInputSchema>;

export interface UpgradeClusterResult {
  cluster: string;
  outcome: ClusterOutcome;
  steps: StepProgress[];
  gates: GateResult[];
  /** AKS's NodePoolRolling events received while the cluster was being upgraded. */
  poolEvents: NodePoolRolling[];
  /** Why the cluster stopped, with AKS's error when there is one. */
  reason?: string;
  startedAt: string;
  endedAt: string;
}

export const planUpgradeRunInputSchema = z.object({ spec: platformSpecSchema, target: upgradeTargetSchema });
export type PlanUpgradeRunInput = z.infer<typeof planUpgradeRunInputSchema>;

/** Input of the `upgradeProposal` orchestration (started by the AKS event reaction, lib/ops/reactions). */
export const upgradeProposalInputSchema = z.object({
  spec: platformSpecSchema,
  cluster: name,
  reason: z.string(),
  target: z.object({ kubernetesVersion: name }),
}) satisfies z.ZodType<UpgradeProposalInput>;

export type StartUpgradeStepResult =
  | { kind: "started" }
  /** Already where the operation would take it; `beyond`: an Istio canary already completed (only the new revision left). */
  | { kind: "done"; beyond?: boolean }
  /** AKS answered 409 OperationNotAllowed: another operation runs on the cluster; wait it out. */
  | { kind: "busy"; message: string }
  | { kind: "failed"; error: string };

export const upgradeStepInputSchema = z.object({ cluster: upgradeClusterRefSchema, operation: upgradeOperationSchema });
export type UpgradeStepInput = z.infer<typeof upgradeStepInputSchema>;

export interface UpgradeStepState {
  state: "running" | "succeeded" | "failed";
  error?: string;
}

export const runHealthGatesInputSchema = z.object({
  cluster: upgradeClusterRefSchema,
  expect: z.object({
    kubernetesVersion: name.optional(),
    maxPendingPods: z.int().nonnegative(),
    istioGateway: z.boolean(),
    istioRevisions: z.array(name),
  }) satisfies z.ZodType<GateExpectations>,
});
export type RunHealthGatesInput = z.infer<typeof runHealthGatesInputSchema>;

export interface RunHealthGatesResult {
  ok: boolean;
  results: GateResult[];
}

export const moveIstioWorkloadsInputSchema = z.object({ cluster: upgradeClusterRefSchema, from: name, to: name });
export type MoveIstioWorkloadsInput = z.infer<typeof moveIstioWorkloadsInputSchema>;

export const writeMaintenanceWindowsInputSchema = z.object({
  clusters: z.array(z.object({ cluster: upgradeClusterRefSchema, window: maintenanceWindowSchema })),
});
export type WriteMaintenanceWindowsInput = z.infer<typeof writeMaintenanceWindowsInputSchema>;

const messageHeader = {
  environment: name,
  runId: name,
  target: upgradeTargetSchema,
  correlationId: name,
  occurredAt: z.string(),
};

/** Input of `notifyUpgrade`: one of the run's messages (lib/upgrade/messages) and the environment's channels. */
export const notifyUpgradeInputSchema = z.object({
  message: z.discriminatedUnion("kind", [
    z.object({
      ...messageHeader,
      kind: z.literal("approval"),
      reasons: z.array(z.string()),
      changes: z.array(z.string()),
    }),
    z.object({
      ...messageHeader,
      kind: z.literal("proposed"),
      cluster: name,
      reason: z.string(),
      changes: z.array(z.string()),
    }),
    z.object({
      ...messageHeader,
      kind: z.literal("blocked"),
      cluster: name,
      reason: z.string(),
      gates: z.array(gateResultSchema),
    }),
    z.object({
      ...messageHeader,
      kind: z.literal("finished"),
      outcome: z.string(),
      lines: z.array(z.string()),
      severity: z.enum(["info", "warning"]),
    }),
  ]) satisfies z.ZodType<UpgradeMessageInput>,
  notifications: notificationsSchema,
});
export type NotifyUpgradeInput = z.infer<typeof notifyUpgradeInputSchema>;

export type UpgradeDecision = { approved: boolean; by?: string };
export type ResumeDecision = { action: "resume" | "stop"; by?: string };

/** External event names of a run. */
export const UpgradeEvents = {
  approval: "approval",
  resume: "resume",
} as const;
