import { z } from "zod";
import { platformSpecSchema } from "../spec";

/** What starts an upgrade run (from the HTTP API, the CLI or a proposal): validated where it enters and again in the run. */

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
