import { z } from "zod";
import { platformSpecSchema } from "../spec";
import type { GateResult } from "./gates";
import type { UpgradePlan, UpgradeTarget } from "./plan";
import type { WindowState } from "./windows";

/** What starts an upgrade run (from the HTTP API, the CLI or a proposal): validated where it enters and again in the run. */

/** One upgrade run per environment at a time: its Durable instance id. */
export function upgradeInstanceId(environment: string): string {
  return `upgrade:${environment}`;
}

export const upgradeTargetSchema = z
  .strictObject({
    kubernetesVersion: z
      .string()
      .regex(/^\d+\.\d+(\.\d+)?$/, "a version such as 1.34 or 1.34.1")
      .optional(),
    nodeImage: z.boolean().optional(),
    istioRevision: z
      .string()
      .regex(/^asm-\d+-\d+$/, "an Istio add-on revision such as asm-1-27")
      .optional(),
  })
  .refine((t) => t.kubernetesVersion !== undefined || t.nodeImage === true || t.istioRevision !== undefined, {
    message: "give a target: kubernetesVersion, istioRevision and/or nodeImage: true",
  });

export const upgradeRunInputSchema = z.strictObject({
  /** Shown to people and used in approval links; unique per run. */
  runId: z.string().regex(/^[A-Za-z0-9._:-]{1,80}$/),
  spec: platformSpecSchema,
  target: upgradeTargetSchema,
  /** Approved up front (CLI `--yes`, or the API body's `approved: true`). */
  approved: z.boolean().default(false),
  requestedBy: z.string().max(200).optional(),
});

export type UpgradeRunInput = z.input<typeof upgradeRunInputSchema>;

/**
 * AKS's `NodePoolRollingStarted` / `Succeeded` / `Failed` events (data: `nodePoolName`; learn.microsoft.com
 * azure/event-grid/event-schema-aks, ContainerServiceNodePoolRollingEventData) for a cluster an upgrade run is
 * working on are that run's progress: raised into the cluster's `upgradeCluster` instance under this name.
 */
export const NODE_POOL_ROLLING_EVENT = "nodePoolRolling";

export const nodePoolRollingSchema = z.strictObject({
  eventId: z.string().min(1),
  pool: z.string().min(1).optional(),
  phase: z.enum(["started", "succeeded", "failed"]),
  at: z.string().optional(),
});
export type NodePoolRolling = z.infer<typeof nodePoolRollingSchema>;

/**
 * Where a NodePoolRolling event of `cluster` belongs, given the custom status of the environment's running upgrade
 * run: `raise` into the cluster's instance while the run works on it; `reported` once the run has been at the
 * cluster (its status already tells how the pool ended); undefined when the run has not reached it (the rolling is
 * someone else's: an informational message, as without a run).
 */
export function rollingEventRoute(
  runStatus: unknown,
  cluster: string,
):
  | { kind: "raise"; instanceId: string; runId: string }
  | { kind: "reported"; runId: string; state: string }
  | undefined {
  const status = runStatus as Partial<UpgradeRunStatus> | null | undefined;
  const entry = status?.stages?.flatMap((s) => s.clusters).find((c) => c.cluster === cluster);
  if (!entry || status?.runId === undefined) return undefined;
  if (entry.state === "running" && entry.instanceId !== undefined)
    return { kind: "raise", instanceId: entry.instanceId, runId: status.runId };
  if (entry.state === "pending" || entry.state === "waiting-window") return undefined;
  return { kind: "reported", runId: status.runId, state: entry.state };
}

export type StepState = "pending" | "running" | "succeeded" | "failed" | "skipped" | "rolled-back";

export interface StepProgress {
  label: string;
  state: StepState;
  startedAt?: string;
  endedAt?: string;
  detail?: string;
}

export type ClusterOutcome = "upgraded" | "blocked" | "rolled-back";

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
      /** AKS's NodePoolRolling events received while the run worked on the cluster. */
      poolEvents?: NodePoolRolling[];
      reason?: string;
    }[];
  }[];
  /** What the run waits for from a person, if anything. */
  waitingFor?: "approval" | "resume";
  plan?: Pick<UpgradePlan, "clusters">;
}
