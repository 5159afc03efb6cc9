import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { appConfig } from "../../lib/config";

const cache = new Map<string, unknown>();

/** A deployment unit's ARM template, read once per process from the templates folder. */
export async function readTemplate(template: string): Promise<unknown> {
  const file = path.join(appConfig().templatesDir, "arm", template);
  if (!cache.has(file)) cache.set(file, JSON.parse(await readFile(file, "utf8")) as unknown);
  return cache.get(file);
}

/** Deployment tag holding a digest of what was deployed: a re-run with the same digest has nothing to redo. */
export const INPUT_DIGEST_TAG = "aks-platform-input-digest";

export function inputDigest(template: unknown, parameters: Record<string, unknown>): string {
  return createHash("sha256").update(JSON.stringify({ template, parameters })).digest("hex").slice(0, 32);
}
