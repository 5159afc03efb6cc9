import { z } from "zod";

/**
 * App settings of drift detection. `AKS_PLATFORM_APP_OBJECT_ID`: the object (principal) id(s) of the app's own
 * identity, comma-separated (the Function App's managed identity; infra sets it): writes carrying it are the
 * app's (builds, remediations) and never drift.
 */

const guid = /^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i;

const settingsSchema = z.object({
  AKS_PLATFORM_APP_OBJECT_ID: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine((ids) => ids.every((id) => guid.test(id)), "each entry must be an object id (GUID)"),
});

export interface DriftSettings {
  appObjectIds: string[];
}

export function driftSettings(env: NodeJS.ProcessEnv = process.env): DriftSettings {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`app setting ${String(issue?.path[0] ?? "")}: ${issue?.message ?? "invalid"}`);
  }
  return { appObjectIds: parsed.data.AKS_PLATFORM_APP_OBJECT_ID };
}
