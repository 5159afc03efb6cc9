/** A mistake in how the command was called (exit code 2). */
export class CliUsageError extends Error {
  override readonly name = "CliUsageError";
}

/** One line (or a few) a person can act on; never a stack trace. */
export function formatCliError(err: unknown): string {
  if (err instanceof Error) return `error: ${err.message}`;
  return `error: ${String(err)}`;
}
