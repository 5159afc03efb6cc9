import type { FunctionInput, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import type { z } from "zod";
import { activitySignal } from "../../lib/activity-signal";

/**
 * The Durable boundary, checked: an activity's input and an orchestration's input arrive as JSON from the task hub
 * (written by another version of the app, by a person through the HTTP API, or by an older replay), so each is
 * parsed against its room's zod contract before code relies on its shape. A mismatch names the function and the
 * paths that do not fit, and never echoes the values (they may hold a spec's webhook settings).
 */

export class ContractViolation extends Error {
  constructor(
    readonly where: string,
    readonly issues: string[],
  ) {
    super(`${where}: input does not match its contract: ${issues.join("; ")}`);
    this.name = "ContractViolation";
  }
}

function describe(issue: z.core.$ZodIssue): string {
  const path = issue.path.length ? issue.path.map(String).join(".") : "(input)";
  return `${path}: ${issue.message}`;
}

/** Parses `value` against `schema`; throws a ContractViolation naming `where` and every path that does not fit. */
export function parseAt<S extends z.ZodType>(where: string, schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ContractViolation(where, parsed.error.issues.map(describe));
  return parsed.data;
}

/**
 * Registers an activity whose input is parsed against its contract before the handler sees it; `extraInputs` are its
 * input bindings (e.g. `df.input.durableClient()`, read with `df.getClient(context)`).
 */
export function registerActivity<S extends z.ZodType, R>(
  name: string,
  input: S,
  handler: (input: z.output<S>, signal: AbortSignal, context: InvocationContext) => Promise<R> | R,
  options: { extraInputs?: FunctionInput[] } = {},
): void {
  df.app.activity(name, {
    ...options,
    handler: (raw: unknown, context: InvocationContext) =>
      handler(parseAt(`activity ${name}`, input, raw), activitySignal(context), context),
  });
}

/** An orchestration's input, parsed against its contract (pure: safe in an orchestrator's replay). */
export function orchestrationInput<S extends z.ZodType>(
  context: { df: { getInput(): unknown; instanceId: string } },
  schema: S,
): z.output<S> {
  return parseAt(`orchestration ${context.df.instanceId}`, schema, context.df.getInput());
}
