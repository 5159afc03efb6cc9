// local.settings.json, read the way Core Tools reads it: Values become environment variables (without overriding
// variables already set), FunctionKeys are the keys function-level HTTP endpoints accept.
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";

const localSettingsSchema = z.object({
  IsEncrypted: z.boolean().optional(),
  Values: z.record(z.string(), z.string()).optional(),
  Host: z
    .object({ LocalHttpPort: z.number().int().min(0).max(65535).optional() })
    .loose()
    .optional(),
  FunctionKeys: z.record(z.string(), z.string().min(1)).optional(),
});

export type LocalSettings = z.infer<typeof localSettingsSchema>;

export function readLocalSettings(file: string): LocalSettings {
  if (!existsSync(file)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = localSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
  }
  if (parsed.data.IsEncrypted) throw new Error(`${file} is encrypted; the local host reads plain settings only`);
  return parsed.data;
}

/** Copies settings into process.env where unset; returns the names it set so they can be removed again. */
export function applySettings(values: Record<string, string> = {}): string[] {
  const applied: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (process.env[name] === undefined) {
      process.env[name] = value;
      applied.push(name);
    }
  }
  return applied;
}

/** Resolves `%NAME%` app-setting references in binding options (e.g. a timer schedule) from process.env. */
export function resolveSettingReferences(text: string, what: string): string {
  return text.replace(/%([^%]+)%/g, (_match, name: string) => {
    const value = process.env[name];
    if (value === undefined || value === "") throw new Error(`${what} refers to app setting ${name}, which is not set`);
    return value;
  });
}
