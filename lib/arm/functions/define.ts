import type { CallContext, FunctionDef } from "../evaluator";

/** Declares a built-in function; `max` defaults to `min`. */
export function fn(
  name: string,
  min: number,
  max: number,
  call: (args: unknown[], ctx: CallContext) => unknown,
): FunctionDef {
  return { name, min, max, call };
}
