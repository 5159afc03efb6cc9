import type { GateExpectations, GateResult, UpgradePlan, UpgradeTarget, WindowState } from "../../lib/upgrade";
import type { ClusterUpgradePlan } from "../../lib/upgrade";
import type { MaintenanceWindowSpec, PlatformSpec } from "../../lib/spec";

/**
 * Shapes that cross the Durable boundary in the upgrade room: the run's input (zod, it comes from HTTP and the
 * CLI), the cluster sub-orchestration's input and result, and each activity's input and result.
 */

export { upgradeRunInputSchema, upgradeTargetSchema, type UpgradeRunInput } from "../../lib/upgrade";

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

export type StepState = "pending" | "running" | "succeeded" | "failed" | "skipped" | "rolled-back";

export interface StepProgress {
  label: string;
  state: StepState;
  startedAt?: string;
  endedAt?: string;
  detail?: string;
}

export type ClusterOutcome = "upgraded" | "blocked" | "rolled-back";

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
  /** Already where the operation would take it. */
  | { kind: "done" }
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

/** The run as its custom status shows it (API, CLI, ops panel). */
export interface UpgradeRunStatus {
  runId: string;
  environment: string;
  target: UpgradeTarget;
  state:
    | "planning"
    | "waiting-approval"
    | "running"
    | "soaking"
    | "blocked"
    | "succeeded"
    | "refused"
    | "rejected"
    | "stopped";
  startedAt: string;
  endedAt?: string;
  approvalReasons: string[];
  problems: string[];
  stages: {
    name: string;
    state: "pending" | "running" | "soaking" | "succeeded" | "blocked";
    soakMinutes: number;
    clusters: {
      cluster: string;
      state: "pending" | "waiting-window" | "running" | ClusterOutcome;
      instanceId?: string;
      changes: string[];
      window?: string;
      windowState?: WindowState;
      steps: StepProgress[];
      gates: GateResult[];
      reason?: string;
    }[];
  }[];
  /** What the run waits for from a person, if anything. */
  waitingFor?: "approval" | "resume";
  plan?: Pick<UpgradePlan, "clusters">;
}

export type UpgradeDecision = { approved: boolean; by?: string };
export type ResumeDecision = { action: "resume" | "stop"; by?: string };

/** External event names of a run. */
export const UpgradeEvents = {
  approval: "approval",
  resume: "resume",
} as const;
