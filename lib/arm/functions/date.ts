import { ArmExpressionError } from "../errors";
import { expectInt, expectString } from "../values";
import { fn } from "./define";

/*
 * Date functions (learn.microsoft.com, ARM "template-functions-date"): dateTimeAdd, dateTimeFromEpoch,
 * dateTimeToEpoch; utcNow lives with the deployment functions (its value comes from the runtime). Formats are .NET
 * date and time format strings under the invariant culture, the culture utcNow('d') shows ("03/05/2019").
 */

const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTH_NAMES = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** .NET standard format strings, invariant culture, expanded to custom patterns. */
const STANDARD_FORMATS: Record<string, string> = {
  d: "MM/dd/yyyy",
  D: "dddd, dd MMMM yyyy",
  f: "dddd, dd MMMM yyyy HH:mm",
  F: "dddd, dd MMMM yyyy HH:mm:ss",
  g: "MM/dd/yyyy HH:mm",
  G: "MM/dd/yyyy HH:mm:ss",
  m: "MMMM dd",
  M: "MMMM dd",
  o: "yyyy-MM-ddTHH:mm:ss.fffffffK",
  O: "yyyy-MM-ddTHH:mm:ss.fffffffK",
  r: "ddd, dd MMM yyyy HH:mm:ss 'GMT'",
  R: "ddd, dd MMM yyyy HH:mm:ss 'GMT'",
  s: "yyyy-MM-ddTHH:mm:ss",
  t: "HH:mm",
  T: "HH:mm:ss",
  u: "yyyy-MM-dd HH:mm:ssZ",
  U: "dddd, dd MMMM yyyy HH:mm:ss",
  y: "yyyy MMMM",
  Y: "yyyy MMMM",
};

/** utcNow()'s format when none is given. */
export const UTC_NOW_DEFAULT_FORMAT = "yyyyMMddTHHmmssZ";

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** One custom-format token at `i`: how many characters it spans and what it renders. */
function renderToken(format: string, i: number, d: Date, ticks: number): [number, string] {
  const c = format[i] as string;
  let run = 1;
  while (format[i + run] === c) run++;
  const hours = d.getUTCHours();
  switch (c) {
    case "y":
      return [run, run <= 2 ? pad(d.getUTCFullYear() % 100, run) : pad(d.getUTCFullYear(), run)];
    case "M": {
      const month = d.getUTCMonth();
      if (run >= 4) return [run, MONTH_NAMES[month] as string];
      if (run === 3) return [run, (MONTH_NAMES[month] as string).slice(0, 3)];
      return [run, pad(month + 1, run)];
    }
    case "d": {
      if (run >= 4) return [run, DAY_NAMES[d.getUTCDay()] as string];
      if (run === 3) return [run, (DAY_NAMES[d.getUTCDay()] as string).slice(0, 3)];
      return [run, pad(d.getUTCDate(), run)];
    }
    case "H":
      return [run, pad(hours, Math.min(run, 2))];
    case "h":
      return [run, pad(hours % 12 === 0 ? 12 : hours % 12, Math.min(run, 2))];
    case "m":
      return [run, pad(d.getUTCMinutes(), Math.min(run, 2))];
    case "s":
      return [run, pad(d.getUTCSeconds(), Math.min(run, 2))];
    case "f":
    case "F": {
      if (run > 7) throw new ArmExpressionError(`date format '${format}' has more than 7 '${c}' characters`);
      const digits = pad(ticks, 7).slice(0, run);
      return [run, c === "F" ? digits.replace(/0+$/, "") : digits];
    }
    case "t":
      return [run, (hours < 12 ? "AM" : "PM").slice(0, run >= 2 ? 2 : 1)];
    case "K":
      return [1, "Z"];
    case "z":
      return [run, run === 1 ? "+0" : run === 2 ? "+00" : "+00:00"];
    default:
      return [1, c];
  }
}

/** Renders a UTC instant with a .NET standard or custom date and time format string. */
export function formatDateTime(ms: number, format: string = UTC_NOW_DEFAULT_FORMAT): string {
  const pattern = format.length === 1 ? STANDARD_FORMATS[format] : format;
  if (pattern === undefined) throw new ArmExpressionError(`'${format}' is not a .NET standard date and time format`);
  const d = new Date(ms);
  const ticks = (((ms % 1000) + 1000) % 1000) * 10_000;
  let out = "";
  for (let i = 0; i < pattern.length;) {
    const c = pattern[i] as string;
    if (c === "'" || c === '"') {
      const close = pattern.indexOf(c, i + 1);
      if (close < 0) throw new ArmExpressionError(`date format '${format}' has an unclosed quote`);
      out += pattern.slice(i + 1, close);
      i = close + 1;
    } else if (c === "\\") {
      out += pattern[i + 1] ?? "";
      i += 2;
    } else if (c === "%" && pattern.length > 1) {
      i += 1; // "%d": a single custom specifier.
    } else {
      const [length, text] = renderToken(pattern, i, d, ticks);
      out += text;
      i += length;
    }
  }
  return out;
}

/** The ISO 8601 timestamp shapes ARM takes as input, with the format each is echoed back in. */
const TIMESTAMP_SHAPES: { re: RegExp; echo(fraction: string | undefined): string }[] = [
  // utcNow()'s default.
  { re: /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, echo: () => UTC_NOW_DEFAULT_FORMAT },
  // utcNow('u'): the documented dateTimeAdd example echoes it in the en-US general format ("4/7/2023 2:53:14 PM").
  { re: /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})Z$/, echo: () => "M/d/yyyy h:mm:ss tt" },
  {
    re: /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?(Z|[+-]\d{2}:\d{2})?$/,
    echo: (fraction) => `yyyy-MM-ddTHH:mm:ss${fraction ? `.${"f".repeat(fraction.length)}` : ""}Z`,
  },
  { re: /^(\d{4})-(\d{2})-(\d{2})$/, echo: () => "yyyy-MM-dd" },
];

interface Timestamp {
  ms: number;
  /** The base value's own format, used when the caller gives none. */
  format: string;
}

function parseTimestamp(name: string, value: string): Timestamp {
  for (const shape of TIMESTAMP_SHAPES) {
    const m = shape.re.exec(value);
    if (!m) continue;
    const [, y, mo, d, h = "0", mi = "0", s = "0"] = m;
    const fraction = m.length > 7 ? m[7] : undefined;
    const offset = m.length > 8 ? m[8] : undefined;
    let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    if (fraction) ms += Math.trunc(Number(`0.${fraction}`) * 1000);
    if (offset && offset !== "Z") {
      const sign = offset.startsWith("-") ? -1 : 1;
      ms -= sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6))) * 60_000;
    }
    if (Number.isNaN(ms) || Number(mo) > 12 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59)
      break;
    return { ms, format: shape.echo(fraction) };
  }
  throw new ArmExpressionError(`${name}() argument '${value}' is not an ISO 8601 timestamp`);
}

/**
 * ISO 8601 duration in milliseconds. The documented remarks: dateTimeAdd does not take leap years into account,
 * P1Y is P365D and P1M is P30D (a week is 7 days).
 */
function parseDuration(value: string): number {
  const m = /^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(
    value,
  );
  if (!m || value === "P" || value === "-P" || value.endsWith("T")) {
    throw new ArmExpressionError(`dateTimeAdd() duration '${value}' is not an ISO 8601 duration (e.g. P1D, PT1H)`);
  }
  const [, minus, y, mo, w, d, h, mi, s] = m;
  const days = Number(y ?? 0) * 365 + Number(mo ?? 0) * 30 + Number(w ?? 0) * 7 + Number(d ?? 0);
  const ms = ((days * 24 + Number(h ?? 0)) * 60 + Number(mi ?? 0)) * 60_000 + Math.round(Number(s ?? 0) * 1000);
  return minus ? -ms : ms;
}

export const dateFunctions = [
  fn("dateTimeAdd", 2, 3, ([base, duration, format]) => {
    const start = parseTimestamp("dateTimeAdd", expectString("dateTimeAdd", base, 1));
    const ms = start.ms + parseDuration(expectString("dateTimeAdd", duration, 2));
    return formatDateTime(ms, format === undefined ? start.format : expectString("dateTimeAdd", format, 3));
  }),
  fn("dateTimeFromEpoch", 1, 1, ([epoch]) =>
    formatDateTime(expectInt("dateTimeFromEpoch", epoch, 1) * 1000, "yyyy-MM-ddTHH:mm:ssZ"),
  ),
  fn("dateTimeToEpoch", 1, 1, ([value]) =>
    Math.floor(parseTimestamp("dateTimeToEpoch", expectString("dateTimeToEpoch", value, 1)).ms / 1000),
  ),
];
