import { isDeferred } from "../deferred";
import type { CallContext } from "../evaluator";
import { ArmExpressionError } from "../errors";
import type { LambdaValue } from "../values";
import { expectArray, expectLambda, expectObject, expectString, typeName } from "../values";
import type { JsonObject } from "../values";
import { fn } from "./define";

/** Calls a lambda with the item and, when it declares a second parameter, the index. */
function apply(ctx: CallContext, lambda: LambdaValue, item: unknown, index: number): unknown {
  return ctx.evaluator.invokeLambda(lambda, lambda.params.length >= 2 ? [item, index] : [item]);
}

class DeferredResult extends Error {}

function predicate(ctx: CallContext, lambda: LambdaValue, item: unknown, index: number): boolean {
  const result = apply(ctx, lambda, item, index);
  if (isDeferred(result)) throw new DeferredResult(result.reason);
  if (typeof result !== "boolean") {
    throw new ArmExpressionError(`${ctx.name}() lambda must return a Boolean, got ${typeName(result)}`);
  }
  return result;
}

function key(ctx: CallContext, lambda: LambdaValue, item: unknown, index: number): string {
  const result = apply(ctx, lambda, item, index);
  if (isDeferred(result)) throw new DeferredResult(result.reason);
  return expectString(ctx.name, result, 2);
}

/** A lambda result known only at deployment time makes the whole call deferred. */
function deferOnRuntimeValue<T>(ctx: CallContext, run: () => T): T | ReturnType<CallContext["defer"]> {
  try {
    return run();
  } catch (err) {
    if (err instanceof DeferredResult) return ctx.defer(err.message);
    throw err;
  }
}

export const lambdaFunctions = [
  fn("lambdaVariables", 1, 1, ([name], ctx) => ctx.evaluator.lambdaVariable(expectString("lambdaVariables", name, 1))),
  fn("filter", 2, 2, ([arr, l], ctx) => {
    const lambda = expectLambda("filter", l, 2);
    const items = expectArray("filter", arr, 1);
    return deferOnRuntimeValue(ctx, () => items.filter((item, i) => predicate(ctx, lambda, item, i)));
  }),
  fn("map", 2, 2, ([arr, l], ctx) => {
    const lambda = expectLambda("map", l, 2);
    return expectArray("map", arr, 1).map((item, i) => apply(ctx, lambda, item, i));
  }),
  fn("mapValues", 2, 2, ([obj, l], ctx) => {
    const lambda = expectLambda("mapValues", l, 2);
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(expectObject("mapValues", obj, 1)))
      out[k] = ctx.evaluator.invokeLambda(lambda, [v]);
    return out;
  }),
  fn("reduce", 3, 3, ([arr, initial, l], ctx) => {
    const lambda = expectLambda("reduce", l, 3);
    return expectArray("reduce", arr, 1).reduce<unknown>(
      (acc, item, i) => ctx.evaluator.invokeLambda(lambda, lambda.params.length >= 3 ? [acc, item, i] : [acc, item]),
      initial,
    );
  }),
  fn("sort", 2, 2, ([arr, l], ctx) => {
    const lambda = expectLambda("sort", l, 2);
    const items = [...expectArray("sort", arr, 1)];
    return deferOnRuntimeValue(ctx, () =>
      items.sort((a, b) => {
        const before = ctx.evaluator.invokeLambda(lambda, [a, b]);
        if (isDeferred(before)) throw new DeferredResult(before.reason);
        if (typeof before !== "boolean")
          throw new ArmExpressionError(`sort() lambda must return a Boolean, got ${typeName(before)}`);
        return before ? -1 : 1;
      }),
    );
  }),
  fn("toObject", 2, 3, ([arr, kl, vl], ctx) => {
    const keyLambda = expectLambda("toObject", kl, 2);
    const valueLambda = vl === undefined ? undefined : expectLambda("toObject", vl, 3);
    const items = expectArray("toObject", arr, 1);
    return deferOnRuntimeValue(ctx, () => {
      const out: JsonObject = {};
      items.forEach((item, i) => {
        out[key(ctx, keyLambda, item, i)] = valueLambda ? ctx.evaluator.invokeLambda(valueLambda, [item]) : item;
      });
      return out;
    });
  }),
  fn("groupBy", 2, 2, ([arr, l], ctx) => {
    const lambda = expectLambda("groupBy", l, 2);
    const items = expectArray("groupBy", arr, 1);
    return deferOnRuntimeValue(ctx, () => {
      const out: Record<string, unknown[]> = {};
      items.forEach((item, i) => (out[key(ctx, lambda, item, i)] ??= []).push(item));
      return out;
    });
  }),
];
