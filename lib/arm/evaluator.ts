import { DeferredValue, findDeferred, isDeferred } from "./deferred";
import { ArmExpressionError, ArmTemplateError } from "./errors";
import type { Expr } from "./parser";
import { parseTemplateString } from "./parser";
import { lookupFunction } from "./functions/registry";
import type { ArmRuntime, DeploymentScope } from "./types";
import { LambdaValue, getProperty, isObject, typeName } from "./values";
import type { JsonObject } from "./values";

/** One active copy loop; `copyIndex()` reads these. */
export interface LoopFrame {
  name: string | undefined;
  index: number;
  kind: "resource" | "property" | "variable" | "output";
}

/** What a resource reference (id, name or `type/name`) points at. */
export interface ResolvedResource {
  id: string;
  /** Declared in this deployment (including nested inline deployments). */
  inTemplate: boolean;
  /** Declared but omitted because its condition is false. */
  omitted: boolean;
}

/** A template-defined function (`functions` section). */
export interface UserFunction {
  name: string;
  parameters: { name: string; type?: string }[];
  output: { type?: string; value: unknown };
}

/** Everything an expression can see besides its arguments: one per (nested) template. */
export interface Environment {
  templateName: string;
  scope: DeploymentScope;
  runtime: ArmRuntime;
  contentVersion: string;
  /** Location resourceGroup() reports: a DeferredValue for groups this expansion neither targets nor creates. */
  groupLocation: unknown;
  parameter(name: string): unknown;
  variable(name: string): unknown;
  userFunction(name: string): UserFunction | undefined;
  resolveResource(target: string): ResolvedResource;
  /** Called for reference() to a resource of this deployment: ARM adds an implicit dependency. */
  noteReference(id: string): void;
}

/** What a built-in function sees of the call being evaluated (a class: calls are hot, closures are not free). */
export class CallContext {
  constructor(
    /** Function name as written in the template. */
    readonly name: string,
    readonly env: Environment,
    readonly evaluator: Evaluator,
    /** The call's expression text, without the surrounding brackets. */
    private readonly text: string,
  ) {}

  /** A DeferredValue for the call being evaluated. */
  defer(reason: string): DeferredValue {
    return new DeferredValue(`[${this.text}]`, reason);
  }
}

export interface FunctionDef {
  name: string;
  min: number;
  max: number;
  call(args: unknown[], ctx: CallContext): unknown;
}

function checkArity(name: string, min: number, max: number, count: number): void {
  if (count >= min && count <= max) return;
  let expected: string;
  if (min === max) expected = `exactly ${min}`;
  else if (max === Infinity) expected = `at least ${min}`;
  else expected = `${min} to ${max}`;
  throw new ArmExpressionError(
    `function '${name}' expects ${expected} argument${max === 1 && min === 1 ? "" : "s"}, got ${count}`,
  );
}

const SAFE_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Appends a property name to a JSON path the way people write it: `a.b` or `a['odd key']`. */
export function pathKey(path: string, key: string): string {
  if (SAFE_KEY.test(key)) return path ? `${path}.${key}` : key;
  return `${path}['${key.replace(/'/g, "\\'")}']`;
}

interface CopySpec {
  name: string;
  count: unknown;
  input: unknown;
}

function isCopySpecArray(value: unknown): value is CopySpec[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((c) => isObject(c) && typeof c["name"] === "string" && "count" in c && "input" in c)
  );
}

/** Evaluates expressions and JSON values of one template under a set of active copy loops. */
export class Evaluator {
  constructor(
    readonly env: Environment,
    readonly loops: readonly LoopFrame[] = [],
    private readonly lambdaFrames: readonly ReadonlyMap<string, unknown>[] = [],
  ) {}

  withLoop(frame: LoopFrame): Evaluator {
    return new Evaluator(this.env, [...this.loops, frame], this.lambdaFrames);
  }

  lambdaVariable(name: string): unknown {
    for (let i = this.lambdaFrames.length - 1; i >= 0; i--) {
      const frame = this.lambdaFrames[i] as ReadonlyMap<string, unknown>;
      if (frame.has(name)) return frame.get(name);
    }
    throw new ArmExpressionError(`lambda variable '${name}' is not defined here`);
  }

  invokeLambda(lambda: LambdaValue, args: unknown[]): unknown {
    if (args.length !== lambda.params.length) {
      throw new ArmExpressionError(
        `lambda expects ${lambda.params.length} parameter(s) but is called with ${args.length}`,
      );
    }
    const frame = new Map<string, unknown>();
    lambda.params.forEach((p, i) => frame.set(p, args[i]));
    const inner = new Evaluator(this.env, this.loops, [...this.lambdaFrames, frame]);
    return inner.evaluate(lambda.body, lambda.source);
  }

  /**
   * Evaluates a JSON value from the template: strings are expressions or literals, objects and arrays are walked,
   * property copy loops (`copy: [{ name, count, input }]`) are expanded. Errors carry `path`.
   */
  evaluateValue(value: unknown, path: string): unknown {
    if (typeof value === "string") return this.evaluateString(value, path);
    if (Array.isArray(value)) return value.map((item, i) => this.evaluateValue(item, `${path}[${i}]`));
    if (isObject(value)) return this.evaluateObject(value, path);
    return value;
  }

  private evaluateObject(obj: JsonObject, path: string): JsonObject {
    const out: JsonObject = {};
    for (const [rawKey, raw] of Object.entries(obj)) {
      if (rawKey === "copy" && isCopySpecArray(raw)) {
        raw.forEach((spec, k) => {
          const copyPath = `${pathKey(path, "copy")}[${k}]`;
          const count = this.evaluateCount(spec.count, `${copyPath}.count`);
          const items: unknown[] = [];
          for (let i = 0; i < count; i++) {
            items.push(
              this.withLoop({ name: spec.name, index: i, kind: "property" }).evaluateValue(
                spec.input,
                `${copyPath}.input`,
              ),
            );
          }
          out[spec.name] = items;
        });
        continue;
      }
      const key = this.evaluateValue(rawKey, pathKey(path, rawKey));
      if (typeof key !== "string") {
        throw new ArmTemplateError(
          this.env.templateName,
          pathKey(path, rawKey),
          rawKey,
          `property name must evaluate to a String, got ${typeName(key)}`,
        );
      }
      out[key] = this.evaluateValue(raw, pathKey(path, rawKey));
    }
    return out;
  }

  /** Evaluates a copy `count`: a non-negative integer known offline. */
  evaluateCount(raw: unknown, path: string): number {
    const count = this.evaluateValue(raw, path);
    if (isDeferred(count)) {
      throw new ArmTemplateError(
        this.env.templateName,
        path,
        count.expression,
        `copy count depends on a value known only at deployment time (${count.reason})`,
      );
    }
    if (typeof count !== "number" || !Number.isInteger(count) || count < 0) {
      throw new ArmTemplateError(
        this.env.templateName,
        path,
        typeof raw === "string" ? raw : undefined,
        `copy count must be a non-negative Integer, got ${typeName(count)} ${JSON.stringify(count)}`,
      );
    }
    return count;
  }

  /** Evaluates one template string; deferred results carry the full string as their expression. */
  evaluateString(source: string, path: string): unknown {
    let parsed;
    try {
      parsed = parseTemplateString(source);
      if (parsed.kind === "literal") return parsed.value;
      const result = this.evaluate(parsed.expr, source);
      if (result instanceof LambdaValue) {
        throw new ArmExpressionError(
          "lambda() can only be passed to filter, map, reduce, sort, toObject, groupBy or mapValues",
        );
      }
      if (isDeferred(result) && result.expression !== source) return new DeferredValue(source, result.reason);
      return result;
    } catch (err) {
      if (err instanceof ArmExpressionError) {
        throw new ArmTemplateError(this.env.templateName, path, source, err.message);
      }
      throw err;
    }
  }

  /** Evaluates a parsed expression; `source` is the text the expression's positions refer to. */
  evaluate(expr: Expr, source: string): unknown {
    switch (expr.kind) {
      case "string":
      case "number":
        return expr.value;
      case "property": {
        const target = this.evaluate(expr.target, source);
        if (isDeferred(target)) return target;
        if (!isObject(target)) {
          throw new ArmExpressionError(
            `cannot read property '${expr.name}' of a ${typeName(target)} value (${text(source, expr.target)})`,
          );
        }
        const hit = getProperty(target, expr.name);
        if (!hit.found) {
          const keys = Object.keys(target);
          throw new ArmExpressionError(
            `property '${expr.name}' does not exist on ${text(source, expr.target)}` +
              (keys.length ? `; available: ${keys.join(", ")}` : ""),
          );
        }
        return hit.value;
      }
      case "index": {
        const target = this.evaluate(expr.target, source);
        const index = this.evaluate(expr.index, source);
        if (isDeferred(target)) return target;
        if (isDeferred(index)) return index;
        if (Array.isArray(target)) {
          if (typeof index !== "number" || !Number.isInteger(index)) {
            throw new ArmExpressionError(`array index must be an Integer, got ${typeName(index)}`);
          }
          if (index < 0 || index >= target.length) {
            throw new ArmExpressionError(
              `index ${index} is out of range for an array of length ${target.length} (${text(source, expr.target)})`,
            );
          }
          return target[index];
        }
        if (isObject(target)) {
          if (typeof index !== "string") {
            throw new ArmExpressionError(`object index must be a String, got ${typeName(index)}`);
          }
          const hit = getProperty(target, index);
          if (!hit.found)
            throw new ArmExpressionError(`property '${index}' does not exist on ${text(source, expr.target)}`);
          return hit.value;
        }
        throw new ArmExpressionError(`cannot index a ${typeName(target)} value (${text(source, expr.target)})`);
      }
      case "call":
        return this.call(expr, source);
    }
  }

  private call(expr: Extract<Expr, { kind: "call" }>, source: string): unknown {
    const lower = expr.name.toLowerCase();
    switch (lower) {
      case "if": {
        checkArity("if", 3, 3, expr.args.length);
        const cond = this.evaluate(expr.args[0] as Expr, source);
        if (isDeferred(cond)) return deferCall(source, expr, cond.reason);
        if (typeof cond !== "boolean")
          throw new ArmExpressionError(`if() condition must be a Boolean, got ${typeName(cond)}`);
        // Only the chosen branch is evaluated, as ARM does: the other may reference a resource that is not deployed.
        return this.evaluate(expr.args[cond ? 1 : 2] as Expr, source);
      }
      case "and":
      case "or": {
        checkArity(lower, 2, Infinity, expr.args.length);
        let deferred: DeferredValue | undefined;
        for (const [i, arg] of expr.args.entries()) {
          const v = this.evaluate(arg, source);
          if (isDeferred(v)) {
            deferred ??= v;
            continue;
          }
          if (typeof v !== "boolean")
            throw new ArmExpressionError(`${lower}() argument ${i + 1} must be a Boolean, got ${typeName(v)}`);
          if (lower === "and" && !v) return false;
          if (lower === "or" && v) return true;
        }
        return deferred ? deferCall(source, expr, deferred.reason) : lower === "and";
      }
      case "coalesce": {
        checkArity("coalesce", 1, Infinity, expr.args.length);
        for (const arg of expr.args) {
          const v = this.evaluate(arg, source);
          if (isDeferred(v)) return deferCall(source, expr, v.reason);
          if (v !== null && v !== undefined) return v;
        }
        return null;
      }
      case "lambda": {
        checkArity("lambda", 2, Infinity, expr.args.length);
        const params = expr.args.slice(0, -1).map((a, i) => {
          if (a.kind !== "string") throw new ArmExpressionError(`lambda() parameter ${i + 1} must be a string literal`);
          return a.value;
        });
        return new LambdaValue(params, expr.args[expr.args.length - 1] as Expr, source);
      }
      default:
        break;
    }

    // Name and arity are checked before the arguments: a deferred argument must not hide a broken call.
    const udf = expr.name.includes(".") ? this.env.userFunction(lower) : undefined;
    const def = udf ? undefined : lookupFunction(expr.name);
    if (udf) checkArity(udf.name, udf.parameters.length, udf.parameters.length, expr.args.length);
    else if (def) checkArity(def.name, def.min, def.max, expr.args.length);
    else throw new ArmExpressionError(`unknown function '${expr.name}'`);

    const args: unknown[] = [];
    for (const a of expr.args) args.push(this.evaluate(a, source));
    for (const a of args) {
      const deferred = a instanceof LambdaValue ? undefined : findDeferred(a);
      if (deferred) return deferCall(source, expr, deferred.reason);
    }
    if (udf) return this.callUserFunction(udf, args);
    return (def as FunctionDef).call(args, new CallContext(expr.name, this.env, this, text(source, expr)));
  }

  private callUserFunction(udf: UserFunction, args: unknown[]): unknown {
    const params = new Map<string, unknown>();
    udf.parameters.forEach((p, i) => params.set(p.name.toLowerCase(), args[i]));
    const env: Environment = {
      ...this.env,
      parameter: (name) => {
        const key = name.toLowerCase();
        if (!params.has(key)) throw new ArmExpressionError(`function '${udf.name}' has no parameter '${name}'`);
        return params.get(key);
      },
      variable: (name) => {
        throw new ArmExpressionError(`user-defined function '${udf.name}' cannot use variables('${name}')`);
      },
    };
    try {
      return new Evaluator(env).evaluateValue(udf.output.value, `functions.${udf.name}.output.value`);
    } catch (err) {
      if (err instanceof ArmTemplateError) throw new ArmExpressionError(`in function '${udf.name}': ${err.reason}`);
      throw err;
    }
  }
}

function deferCall(source: string, expr: Expr, reason: string): DeferredValue {
  return new DeferredValue(`[${text(source, expr)}]`, reason);
}

function text(source: string, expr: Expr): string {
  return source.slice(expr.start, expr.end);
}
