import { DeferredValue } from "./deferred";
import { ArmExpressionError } from "./errors";
import type { Expr } from "./parser";

export type JsonObject = Record<string, unknown>;

/** The value of `lambda('x', body)`: only filter/map/reduce/sort/toObject/groupBy accept it. */
export class LambdaValue {
  constructor(
    readonly params: string[],
    readonly body: Expr,
    readonly source: string,
  ) {}
}

/** Array.isArray without widening `unknown` to `any[]`. */
export function isArray(value: unknown): value is unknown[] {
  return Array.isArray(value);
}

export function isObject(value: unknown): value is JsonObject {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    !(value instanceof DeferredValue) &&
    !(value instanceof LambdaValue)
  );
}

/** ARM's names for value types, used in error messages. */
export function typeName(value: unknown): string {
  if (value === null || value === undefined) return "Null";
  if (typeof value === "string") return "String";
  if (typeof value === "number") return Number.isInteger(value) ? "Integer" : "Float";
  if (typeof value === "boolean") return "Boolean";
  if (Array.isArray(value)) return "Array";
  if (value instanceof LambdaValue) return "Lambda";
  return "Object";
}

export function deepEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => deepEquals(item, b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEquals(a[k], b[k]));
  }
  return false;
}

/** Text form used by concat/format/string: .NET renders booleans as True/False and null as empty. */
export function toText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? "True" : "False";
  return JSON.stringify(value);
}

/** Object property lookup: exact name first, then case-insensitive (ARM property access ignores case). */
export function getProperty(obj: JsonObject, name: string): { found: true; value: unknown } | { found: false } {
  if (Object.prototype.hasOwnProperty.call(obj, name)) return { found: true, value: obj[name] };
  const lower = name.toLowerCase();
  for (const key of Object.keys(obj)) {
    if (key.toLowerCase() === lower) return { found: true, value: obj[key] };
  }
  return { found: false };
}

export function expectString(fn: string, value: unknown, position: number): string {
  if (typeof value !== "string") {
    throw new ArmExpressionError(`${fn}() argument ${position} must be a String, got ${typeName(value)}`);
  }
  return value;
}

export function expectInt(fn: string, value: unknown, position: number): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new ArmExpressionError(`${fn}() argument ${position} must be an Integer, got ${typeName(value)}`);
  }
  return value;
}

export function expectBool(fn: string, value: unknown, position: number): boolean {
  if (typeof value !== "boolean") {
    throw new ArmExpressionError(`${fn}() argument ${position} must be a Boolean, got ${typeName(value)}`);
  }
  return value;
}

export function expectArray(fn: string, value: unknown, position: number): unknown[] {
  if (!Array.isArray(value)) {
    throw new ArmExpressionError(`${fn}() argument ${position} must be an Array, got ${typeName(value)}`);
  }
  return value;
}

export function expectObject(fn: string, value: unknown, position: number): JsonObject {
  if (!isObject(value)) {
    throw new ArmExpressionError(`${fn}() argument ${position} must be an Object, got ${typeName(value)}`);
  }
  return value;
}

export function expectLambda(fn: string, value: unknown, position: number): LambdaValue {
  if (!(value instanceof LambdaValue)) {
    throw new ArmExpressionError(`${fn}() argument ${position} must be a lambda(...), got ${typeName(value)}`);
  }
  return value;
}
