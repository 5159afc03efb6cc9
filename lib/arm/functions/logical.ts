import { ArmExpressionError } from "../errors";
import { deepEquals, expectBool, expectInt, typeName } from "../values";
import { fn } from "./define";

/**
 * Strings compare culture-aware, not by code point: the comparison reference documents greater('A', 'a') = True and
 * less('A', 'a') = False (learn.microsoft.com, ARM "template-functions-comparison"), the order of .NET's culture
 * comparison (letters alphabetically, then lower before upper case). Strings the collation calls equal but that
 * differ fall back to code points so that distinct strings never compare equal.
 */
const STRING_ORDER = new Intl.Collator("en-US", { sensitivity: "variant" });

function compare(name: string, a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return STRING_ORDER.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
  throw new ArmExpressionError(`${name}() needs two Integers or two Strings, got ${typeName(a)} and ${typeName(b)}`);
}

function toInt(v: unknown): number {
  if (typeof v === "number") return Math.trunc(v);
  if (typeof v === "string" && /^\s*[-+]?\d+\s*$/.test(v)) return Number(v);
  throw new ArmExpressionError(`int() cannot convert ${typeName(v)} ${JSON.stringify(v)} to an Integer`);
}

function checkedInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v)) throw new ArmExpressionError(`${name}() result ${v} is outside the Integer range`);
  return v;
}

export const logicalFunctions = [
  fn("true", 0, 0, () => true),
  fn("false", 0, 0, () => false),
  fn("not", 1, 1, ([v]) => !expectBool("not", v, 1)),
  fn("bool", 1, 1, ([v]) => {
    if (typeof v === "boolean") return v;
    if (typeof v === "number") return v !== 0;
    if (typeof v === "string" && /^(true|false)$/i.test(v)) return v.toLowerCase() === "true";
    throw new ArmExpressionError(`bool() cannot convert ${typeName(v)} ${JSON.stringify(v)} to a Boolean`);
  }),
  fn("equals", 2, 2, ([a, b]) => deepEquals(a, b)),
  fn("less", 2, 2, ([a, b]) => compare("less", a, b) < 0),
  fn("lessOrEquals", 2, 2, ([a, b]) => compare("lessOrEquals", a, b) <= 0),
  fn("greater", 2, 2, ([a, b]) => compare("greater", a, b) > 0),
  fn("greaterOrEquals", 2, 2, ([a, b]) => compare("greaterOrEquals", a, b) >= 0),
  fn("int", 1, 1, ([v]) => toInt(v)),
  fn("float", 1, 1, ([v]) => {
    const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : NaN;
    if (Number.isNaN(n)) throw new ArmExpressionError(`float() cannot convert ${typeName(v)} to a number`);
    return n;
  }),
  fn("add", 2, 2, ([a, b]) => checkedInt("add", expectInt("add", a, 1) + expectInt("add", b, 2))),
  fn("sub", 2, 2, ([a, b]) => checkedInt("sub", expectInt("sub", a, 1) - expectInt("sub", b, 2))),
  fn("mul", 2, 2, ([a, b]) => checkedInt("mul", expectInt("mul", a, 1) * expectInt("mul", b, 2))),
  fn("div", 2, 2, ([a, b]) => {
    const d = expectInt("div", b, 2);
    if (d === 0) throw new ArmExpressionError("div() cannot divide by zero");
    return Math.trunc(expectInt("div", a, 1) / d);
  }),
  fn("mod", 2, 2, ([a, b]) => {
    const d = expectInt("mod", b, 2);
    if (d === 0) throw new ArmExpressionError("mod() cannot divide by zero");
    return expectInt("mod", a, 1) % d;
  }),
];
