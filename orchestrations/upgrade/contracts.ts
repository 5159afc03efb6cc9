import type {
  ClusterUpgradePlan,
  GateExpectations,
  GateResult,
  NodePoolRolling,
  UpgradeTarget,
} from "../../lib/upgrade";
import type { MaintenanceWindowSpec, PlatformSpec } from "../../lib/spec";

/**
 * Shapes that cross the Durable boundary in the upgrade room: the run's input (zod, it comes from HTTP and the
 * CLI), the cluster sub-orchestration's input and result, and each activity's input and result.
 */

export {
  upgradeRunInputSchema,
  upgradeTargetSchema,
  type ClusterOutcome,
  type StepProgress,
  type StepState,
  type UpgradeRunInput,
  type UpgradeRunStatus,
} from "../../lib/upgrade";
import type { ClusterOutcome, StepProgress } from "../../lib/upgrade";

/** One cluster as the upgrade activities address it. */
export interface UpgradeClusterRef {
  subscriptionId: string;
  name: string;
  aksName: string;
  resourceGroup: string;
  istioGateway: boolean;
}

/** One AKS operation; an Istio canary is several of them (add the revision, then keep one). */
export type UpgradeOperation =
  | { kind: "control-plane"; to: string }
  | { kind: "pool"; pool: string; to: string; maxSurge: string }
  | { kind: "node-image"; pool: string; to: string }
  | { kind: "istio-revisions"; revisions: string[] };

export interface UpgradeClusterInput {
  runId: string;
  cluster: UpgradeClusterRef;
  plan: ClusterUpgradePlan;
  window?: MaintenanceWindowSpec;
  maxPendingPods: number;
}

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

export interface PlanUpgradeRunInput {
  spec: PlatformSpec;
  target: UpgradeTarget;
}

export type StartUpgradeStepResult =
  | { kind: "started" }
  /** Already where the operation would take it; `beyond`: an Istio canary already completed (only the new revision left). */
  | { kind: "done"; beyond?: boolean }
  /** AKS answered 409 OperationNotAllowed: another operation runs on the cluster; wait it out. */
  | { kind: "busy"; message: string }
  | { kind: "failed"; error: string };

export interface UpgradeStepInput {
  cluster: UpgradeClusterRef;
  operation: UpgradeOperation;
}

export interface UpgradeStepState {
  state: "running" | "succeeded" | "failed";
  error?: string;
}

export interface RunHealthGatesInput {
  cluster: UpgradeClusterRef;
  expect: GateExpectations;
}

export interface RunHealthGatesResult {
  ok: boolean;
  results: GateResult[];
}

export interface MoveIstioWorkloadsInput {
  cluster: UpgradeClusterRef;
  from: string;
  to: string;
}

export interface WriteMaintenanceWindowsInput {
  clusters: { cluster: UpgradeClusterRef; window: MaintenanceWindowSpec }[];
}

export type UpgradeDecision = { approved: boolean; by?: string };
export type ResumeDecision = { action: "resume" | "stop"; by?: string };

/** External event names of a run. */
export const UpgradeEvents = {
  approval: "approval",
  resume: "resume",
} as const;
