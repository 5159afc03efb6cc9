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
      reason?: string;
    }[];
  }[];
  /** What the run waits for from a person, if anything. */
  waitingFor?: "approval" | "resume";
  plan?: Pick<UpgradePlan, "clusters">;
}
