import { PlanError } from "../../lib/plan";
import {
  defaultSpec,
  loadSpecFile,
  SpecParseError,
  SpecValidationError,
  validateSpec,
  type PlatformSpec,
} from "../../lib/spec";

/** The spec a command works on: the file given, or the seed default (checked by the same rules). */
export async function readSpec(file: string | undefined): Promise<PlatformSpec> {
  if (file !== undefined) return loadSpecFile(file);
  const result = validateSpec(defaultSpec);
  if (!result.ok) throw new SpecValidationError(result.problems, "the default spec");
  return result.spec;
}

/** Expected failures of reading a spec or planning it, as lines a person can act on: every problem, no stack trace. */
export function describeSpecFailure(err: unknown): string | undefined {
  if (err instanceof SpecValidationError) {
    const n = err.problems.length;
    return [
      `error: ${err.source ?? "the spec"} has ${n} problem${n === 1 ? "" : "s"}:`,
      ...err.problems.map((p) => `${p.path}: ${p.message}`),
    ].join("\n");
  }
  if (err instanceof SpecParseError) return `error: ${err.message}`;
  if (err instanceof PlanError) return [`error: the deployment plan is invalid:`, ...err.problems].join("\n");
  return undefined;
}
