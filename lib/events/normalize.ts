import { createHash } from "node:crypto";
import type { z } from "zod";

/**
 * Helpers that make incoming JSON comparable: publishers and doc revisions differ in stray whitespace
 * (`"time "` in the Health Resources CloudEvents sample, `" EXP"` seen in Key Vault payloads) and in letter case.
 */

/** JSON nested deeper than this is not an event; the limit keeps recursion far from the stack's end. */
export const MAX_JSON_DEPTH = 64;

export class JsonTooDeepError extends Error {
  override readonly name = "JsonTooDeepError";
  constructor() {
    super(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
}

/** A copy of `value` with every object key and every string value trimmed (arrays and nesting kept). */
export function trimJson(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return value.trim();
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_JSON_DEPTH) throw new JsonTooDeepError();
  if (Array.isArray(value)) return value.map((v) => trimJson(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    // A trimmed key can collide with an untrimmed twin; keep the first value seen so the result is deterministic.
    define(out, key.trim(), () => trimJson(inner, depth + 1));
  }
  return out;
}

/** The object's own properties re-keyed in lower case (for payloads whose key casing varies). */
export function lowerKeys(value: unknown): Record<string, unknown> | undefined {
  if (!isRecord(value)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) define(out, key.toLowerCase(), () => inner);
  return out;
}

/** Sets an own property unless present; `defineProperty` so a `__proto__` key stays data, never a prototype. */
function define(target: Record<string, unknown>, key: string, value: () => unknown): void {
  if (Object.hasOwn(target, key)) return;
  Object.defineProperty(target, key, { value: value(), enumerable: true, writable: true, configurable: true });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Short stable hash for keys that end up in Durable instance ids and table keys (no `/`, `#`, `?`, `\`). */
export function stableHash(parts: readonly (string | undefined)[]): string {
  return createHash("sha256")
    .update(parts.map((p) => p ?? "").join("\u0000"))
    .digest("hex")
    .slice(0, 24);
}

/** ISO-8601 text of a parseable date string or Date, else undefined. */
export function isoOrUndefined(value: string | Date | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** `YYYYMMDDTHHmmZ` of a UTC instant: compact, sortable, and legal inside instance ids. */
export function compactUtc(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\d\d\.\d{3}Z$/, "Z");
}

/** `path: message` for each zod issue, joined; paths are JSON paths into the payload. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.map(String).join(".") : "(root)"}: ${i.message}`)
    .join("; ");
}
