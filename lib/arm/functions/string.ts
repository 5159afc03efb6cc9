import { ArmExpressionError } from "../errors";
import { armGuid, uniqueString } from "../hash";
import { parseArmJson } from "../json";
import { deepEquals, expectInt, expectString, isArray, isObject, toText, typeName } from "../values";
import { fn } from "./define";

function textArgs(name: string, args: unknown[]): string[] {
  return args.map((a, i) => expectString(name, a, i + 1));
}

function decodeBase64(name: string, value: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
    throw new ArmExpressionError(`${name}() argument is not valid base64`);
  }
  return Buffer.from(value, "base64").toString("utf8");
}

function formatNumber(value: number, spec: string): string {
  const kind = spec[0]?.toUpperCase();
  const digits = spec.length > 1 ? Number(spec.slice(1)) : undefined;
  switch (kind) {
    case "N":
      return value.toLocaleString("en-US", {
        minimumFractionDigits: digits ?? 2,
        maximumFractionDigits: digits ?? 2,
      });
    case "F":
      return value.toFixed(digits ?? 2);
    case "D": {
      const s = Math.abs(Math.trunc(value))
        .toString()
        .padStart(digits ?? 0, "0");
      return value < 0 ? `-${s}` : s;
    }
    case "X": {
      const s = (value >>> 0).toString(16).padStart(digits ?? 0, "0");
      return spec[0] === "X" ? s.toUpperCase() : s;
    }
    case "P":
      return `${(value * 100).toLocaleString("en-US", {
        minimumFractionDigits: digits ?? 2,
        maximumFractionDigits: digits ?? 2,
      })} %`;
    default:
      throw new ArmExpressionError(`format() does not support the number format '${spec}'`);
  }
}

/** .NET composite formatting: `{index[,alignment][:format]}`, `{{` and `}}` escape braces. */
function dotnetFormat(format: string, values: unknown[]): string {
  let out = "";
  let i = 0;
  while (i < format.length) {
    const c = format[i] as string;
    if (c === "{") {
      if (format[i + 1] === "{") {
        out += "{";
        i += 2;
        continue;
      }
      const close = format.indexOf("}", i);
      if (close < 0) throw new ArmExpressionError(`format() string has an unclosed '{' at position ${i}`);
      const m = /^(\d+)\s*(?:,\s*(-?\d+))?\s*(?::(.*))?$/.exec(format.slice(i + 1, close));
      if (!m) throw new ArmExpressionError(`format() item '${format.slice(i, close + 1)}' is not valid`);
      const index = Number(m[1]);
      if (index >= values.length) {
        throw new ArmExpressionError(`format() item {${index}} has no argument (${values.length} given)`);
      }
      const value = values[index];
      let rendered = typeof value === "number" && m[3] ? formatNumber(value, m[3]) : toText(value);
      if (m[2]) {
        const width = Number(m[2]);
        rendered = width < 0 ? rendered.padEnd(-width) : rendered.padStart(width);
      }
      out += rendered;
      i = close + 1;
    } else if (c === "}") {
      if (format[i + 1] !== "}") throw new ArmExpressionError(`format() string has an unmatched '}' at position ${i}`);
      out += "}";
      i += 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function indexOfValue(name: string, args: unknown[], last: boolean): number {
  const [target, item] = args;
  if (Array.isArray(target)) {
    if (last) {
      for (let i = target.length - 1; i >= 0; i--) if (deepEquals(target[i], item)) return i;
      return -1;
    }
    return target.findIndex((x) => deepEquals(x, item));
  }
  // String search is case-insensitive in ARM.
  const s = expectString(name, target, 1).toLowerCase();
  const find = expectString(name, item, 2).toLowerCase();
  return last ? s.lastIndexOf(find) : s.indexOf(find);
}

/**
 * uri() as the string reference documents it: a base ending in `/` is followed by the relative part, a trailing and
 * a leading slash combining into one; any other base resolves the relative part as RFC 3986 section 5 does (the last
 * segment of the base is replaced).
 */
function joinUri(base: string, relative: string): string {
  if (base.endsWith("/") && !/^[a-z][a-z0-9+.-]*:/i.test(relative)) return base + relative.replace(/^\//, "");
  try {
    return new URL(relative, base).toString();
  } catch {
    throw new ArmExpressionError(`uri() cannot combine '${base}' and '${relative}': the base is not an absolute URI`);
  }
}

export const stringFunctions = [
  fn("base64", 1, 1, ([v]) => Buffer.from(expectString("base64", v, 1), "utf8").toString("base64")),
  fn("base64ToString", 1, 1, ([v]) => decodeBase64("base64ToString", expectString("base64ToString", v, 1))),
  fn("base64ToJson", 1, 1, ([v]) => parseArmJson(decodeBase64("base64ToJson", expectString("base64ToJson", v, 1)))),
  fn("concat", 0, Infinity, (args) => {
    if (args.length > 0 && args.every((a) => Array.isArray(a) || a === null)) {
      return args.flatMap((a) => (isArray(a) ? a : []));
    }
    return args
      .map((a, i) => {
        if (Array.isArray(a) || isObject(a)) {
          throw new ArmExpressionError(
            `concat() cannot mix arrays or objects with strings (argument ${i + 1} is ${typeName(a)})`,
          );
        }
        return toText(a);
      })
      .join("");
  }),
  fn("format", 1, Infinity, ([f, ...rest]) => dotnetFormat(expectString("format", f, 1), rest)),
  fn("guid", 1, Infinity, (args) => armGuid(textArgs("guid", args))),
  fn("uniqueString", 1, Infinity, (args) => uniqueString(textArgs("uniqueString", args))),
  fn("indexOf", 2, 2, (args) => indexOfValue("indexOf", args, false)),
  fn("lastIndexOf", 2, 2, (args) => indexOfValue("lastIndexOf", args, true)),
  fn("startsWith", 2, 2, ([s, p]) =>
    expectString("startsWith", s, 1)
      .toLowerCase()
      .startsWith(expectString("startsWith", p, 2).toLowerCase()),
  ),
  fn("endsWith", 2, 2, ([s, p]) =>
    expectString("endsWith", s, 1)
      .toLowerCase()
      .endsWith(expectString("endsWith", p, 2).toLowerCase()),
  ),
  fn("padLeft", 2, 3, ([v, len, pad]) => {
    const value = typeof v === "number" ? String(v) : expectString("padLeft", v, 1);
    const padChar = pad === undefined ? " " : expectString("padLeft", pad, 3);
    if (padChar.length !== 1) throw new ArmExpressionError("padLeft() padding character must be a single character");
    return value.padStart(expectInt("padLeft", len, 2), padChar);
  }),
  fn("replace", 3, 3, ([s, a, b]) =>
    expectString("replace", s, 1)
      .split(expectString("replace", a, 2))
      .join(expectString("replace", b, 3)),
  ),
  fn("split", 2, 2, ([s, d]) => {
    const input = expectString("split", s, 1);
    const delimiters = Array.isArray(d)
      ? d.map((x, i) => expectString("split", x, i + 2))
      : [expectString("split", d, 2)];
    let parts = [input];
    for (const delim of delimiters) parts = parts.flatMap((p) => p.split(delim));
    return parts;
  }),
  fn("string", 1, 1, ([v]) => toText(v)),
  fn("substring", 2, 3, ([s, start, len]) => {
    const value = expectString("substring", s, 1);
    const from = expectInt("substring", start, 2);
    const count = len === undefined ? value.length - from : expectInt("substring", len, 3);
    if (from < 0 || from > value.length) {
      throw new ArmExpressionError(`substring() start index ${from} is outside the string of length ${value.length}`);
    }
    if (count < 0 || from + count > value.length) {
      throw new ArmExpressionError(
        `substring() length ${count} from index ${from} extends beyond the end of the string of length ${value.length}`,
      );
    }
    return value.substring(from, from + count);
  }),
  fn("toLower", 1, 1, ([s]) => expectString("toLower", s, 1).toLowerCase()),
  fn("toUpper", 1, 1, ([s]) => expectString("toUpper", s, 1).toUpperCase()),
  fn("trim", 1, 1, ([s]) => expectString("trim", s, 1).trim()),
  fn("uri", 2, 2, ([base, rel]) => joinUri(expectString("uri", base, 1), expectString("uri", rel, 2))),
  fn("uriComponent", 1, 1, ([s]) => encodeURIComponent(expectString("uriComponent", s, 1))),
  fn("uriComponentToString", 1, 1, ([s]) => decodeURIComponent(expectString("uriComponentToString", s, 1))),
  fn("dataUri", 1, 1, ([s]) => {
    const value = typeof s === "string" ? s : JSON.stringify(s);
    return `data:text/plain;charset=utf8;base64,${Buffer.from(value, "utf8").toString("base64")}`;
  }),
  fn("dataUriToString", 1, 1, ([s]) => {
    const m = /^data:[^,]*?(;base64)?,(.*)$/s.exec(expectString("dataUriToString", s, 1));
    if (!m) throw new ArmExpressionError("dataUriToString() argument is not a data URI");
    return m[1] ? Buffer.from(m[2] as string, "base64").toString("utf8") : decodeURIComponent(m[2] as string);
  }),
  fn("join", 2, 2, ([arr, d]) => {
    if (!Array.isArray(arr)) throw new ArmExpressionError(`join() argument 1 must be an Array, got ${typeName(arr)}`);
    return arr.map((x) => toText(x)).join(expectString("join", d, 2));
  }),
];
