import { ArmExpressionError } from "../errors";
import { parseArmJson } from "../json";
import {
  deepEquals,
  expectArray,
  isArray,
  expectInt,
  expectObject,
  expectString,
  getProperty,
  isObject,
  typeName,
} from "../values";
import type { JsonObject } from "../values";
import { fn } from "./define";

function sizeOf(name: string, v: unknown): number {
  if (typeof v === "string" || Array.isArray(v)) return v.length;
  if (isObject(v)) return Object.keys(v).length;
  throw new ArmExpressionError(`${name}() argument must be a String, Array or Object, got ${typeName(v)}`);
}

/** Objects merge recursively (later wins), other values are replaced: ARM's union() on objects. */
function mergeObjects(a: JsonObject, b: JsonObject): JsonObject {
  const out: JsonObject = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isObject(prev) && isObject(v) ? mergeObjects(prev, v) : v;
  }
  return out;
}

function uniqueAppend(target: unknown[], items: readonly unknown[]): void {
  for (const item of items) if (!target.some((x) => deepEquals(x, item))) target.push(item);
}

function sameKind(name: string, args: unknown[]): "array" | "object" {
  if (args.every((a) => Array.isArray(a))) return "array";
  if (args.every((a) => isObject(a))) return "object";
  throw new ArmExpressionError(
    `${name}() arguments must be all Arrays or all Objects, got ${args.map((a) => typeName(a)).join(", ")}`,
  );
}

function sliceValue(name: string, v: unknown, n: unknown, take: boolean): unknown {
  const count = expectInt(name, n, 2);
  if (typeof v !== "string" && !Array.isArray(v)) {
    throw new ArmExpressionError(`${name}() argument 1 must be an Array or String, got ${typeName(v)}`);
  }
  const c = Math.max(0, Math.min(count, v.length));
  return take ? v.slice(0, c) : v.slice(c);
}

function numbers(name: string, args: unknown[]): number[] {
  const list = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
  if (list.length === 0) throw new ArmExpressionError(`${name}() needs at least one number`);
  return list.map((v, i) => expectInt(name, v, i + 1));
}

/**
 * indexFromEnd / tryIndexFromEnd (array reference, 2025): `reverseIndex` counts from the end, one-based (1 is the
 * last element). Out of range, indexFromEnd fails and tryIndexFromEnd returns null.
 */
function fromEnd(name: string, args: unknown[], strict: boolean): unknown {
  const items = expectArray(name, args[0], 1);
  const reverseIndex = expectInt(name, args[1], 2);
  if (reverseIndex >= 1 && reverseIndex <= items.length) return items[items.length - reverseIndex];
  if (!strict) return null;
  throw new ArmExpressionError(
    `${name}() index ${reverseIndex} is out of range for an array of length ${items.length} (1 is the last element)`,
  );
}

export const collectionFunctions = [
  fn("indexFromEnd", 2, 2, (args) => fromEnd("indexFromEnd", args, true)),
  fn("tryIndexFromEnd", 2, 2, (args) => fromEnd("tryIndexFromEnd", args, false)),
  fn("array", 1, 1, ([v]) => (isArray(v) ? v : [v])),
  fn("createArray", 0, Infinity, (args) => args),
  fn("createObject", 0, Infinity, (args) => {
    if (args.length % 2 !== 0)
      throw new ArmExpressionError("createObject() needs an even number of arguments (key, value pairs)");
    const out: JsonObject = {};
    for (let i = 0; i < args.length; i += 2) out[expectString("createObject", args[i], i + 1)] = args[i + 1];
    return out;
  }),
  fn("contains", 2, 2, ([container, item]) => {
    if (typeof container === "string") return container.includes(expectString("contains", item, 2));
    if (Array.isArray(container)) return container.some((x) => deepEquals(x, item));
    if (isObject(container)) return getProperty(container, expectString("contains", item, 2)).found;
    throw new ArmExpressionError(`contains() argument 1 must be a String, Array or Object, got ${typeName(container)}`);
  }),
  fn("empty", 1, 1, ([v]) => v === null || v === undefined || sizeOf("empty", v) === 0),
  fn("length", 1, 1, ([v]) => sizeOf("length", v)),
  fn("first", 1, 1, ([v]) => {
    if (typeof v === "string") return v.slice(0, 1);
    return expectArray("first", v, 1)[0] ?? null;
  }),
  fn("last", 1, 1, ([v]) => {
    if (typeof v === "string") return v.slice(-1);
    const arr = expectArray("last", v, 1);
    return arr[arr.length - 1] ?? null;
  }),
  fn("take", 2, 2, ([v, n]) => sliceValue("take", v, n, true)),
  fn("skip", 2, 2, ([v, n]) => sliceValue("skip", v, n, false)),
  fn("union", 1, Infinity, (args) => {
    if (sameKind("union", args) === "object") return (args as JsonObject[]).reduce((a, b) => mergeObjects(a, b), {});
    const out: unknown[] = [];
    for (const a of args as unknown[][]) uniqueAppend(out, a);
    return out;
  }),
  fn("intersection", 1, Infinity, (args) => {
    if (sameKind("intersection", args) === "object") {
      const [head, ...rest] = args as JsonObject[];
      const out: JsonObject = {};
      for (const [k, v] of Object.entries(head ?? {})) {
        if (rest.every((o) => Object.prototype.hasOwnProperty.call(o, k) && deepEquals(o[k], v))) out[k] = v;
      }
      return out;
    }
    const [head, ...rest] = args as unknown[][];
    const out: unknown[] = [];
    uniqueAppend(
      out,
      (head ?? []).filter((x) => rest.every((arr) => arr.some((y) => deepEquals(x, y)))),
    );
    return out;
  }),
  fn("range", 2, 2, ([s, c]) => {
    const start = expectInt("range", s, 1);
    const count = expectInt("range", c, 2);
    if (count < 0 || count > 10000)
      throw new ArmExpressionError(`range() count must be between 0 and 10000, got ${count}`);
    return Array.from({ length: count }, (_, i) => start + i);
  }),
  fn("min", 1, Infinity, (args) => Math.min(...numbers("min", args))),
  fn("max", 1, Infinity, (args) => Math.max(...numbers("max", args))),
  fn("items", 1, 1, ([v]) =>
    Object.entries(expectObject("items", v, 1))
      .sort(([a], [b]) => {
        const la = a.toLowerCase();
        const lb = b.toLowerCase();
        return la < lb ? -1 : la > lb ? 1 : 0;
      })
      .map(([key, value]) => ({ key, value })),
  ),
  fn("objectKeys", 1, 1, ([v]) => Object.keys(expectObject("objectKeys", v, 1))),
  fn("json", 1, 1, ([v]) => parseArmJson(expectString("json", v, 1))),
  fn("null", 0, 0, () => null),
  fn("flatten", 1, 1, ([v]) =>
    expectArray("flatten", v, 1).flatMap((x, i) => {
      if (!isArray(x)) throw new ArmExpressionError(`flatten() element ${i} must be an Array, got ${typeName(x)}`);
      return x;
    }),
  ),
  fn("tryGet", 2, Infinity, ([target, ...keys]) => {
    let current: unknown = target;
    for (const key of keys) {
      if (Array.isArray(current) && typeof key === "number") current = current[key] ?? null;
      else if (isObject(current) && typeof key === "string") {
        const hit = getProperty(current, key);
        current = hit.found ? hit.value : null;
      } else return null;
      if (current === null) return null;
    }
    return current;
  }),
  fn("shallowMerge", 1, 1, ([v]) =>
    expectArray("shallowMerge", v, 1).reduce<JsonObject>(
      (acc, o, i) => ({ ...acc, ...expectObject("shallowMerge", o, i + 1) }),
      {},
    ),
  ),
];
