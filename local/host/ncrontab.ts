/**
 * NCRONTAB schedules as Azure Functions timer triggers use them: six fields
 * `{second} {minute} {hour} {day} {month} {day-of-week}`, each `*`, a value, a range `a-b`, either of those
 * followed by a step `/n`, or a comma list of those; month and day names (JAN, MON…) are accepted. Times are UTC. As in NCrontab,
 * a restricted day-of-month and day-of-week must both match (unlike Vixie cron, which accepts either).
 */
export interface CronSchedule {
  expression: string;
  /** The first occurrence strictly after `after`. */
  next(after: Date): Date;
}

export class CronSyntaxError extends Error {
  override readonly name = "CronSyntaxError";
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: "second", min: 0, max: 59 },
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
  },
  { name: "day-of-week", min: 0, max: 6, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
];

function parseValue(text: string, spec: FieldSpec, expression: string): number {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  const value = named >= 0 ? named + spec.min : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
    throw new CronSyntaxError(
      `schedule "${expression}": ${spec.name} value "${text}" must be ${spec.min}-${spec.max}${spec.names ? " or a name" : ""}`,
    );
  }
  return value;
}

function parseField(text: string, spec: FieldSpec, expression: string): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(",")) {
    const [range = "", stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) {
      throw new CronSyntaxError(`schedule "${expression}": ${spec.name} step "${stepText}" must be a positive integer`);
    }
    let from: number;
    let to: number;
    if (range === "*") {
      [from, to] = [spec.min, spec.max];
    } else if (range.includes("-")) {
      const [a = "", b = ""] = range.split("-");
      [from, to] = [parseValue(a, spec, expression), parseValue(b, spec, expression)];
      if (from > to) throw new CronSyntaxError(`schedule "${expression}": ${spec.name} range "${range}" is reversed`);
    } else {
      from = parseValue(range, spec, expression);
      to = stepText === undefined ? from : spec.max;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

export function parseNcrontab(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6) {
    throw new CronSyntaxError(
      `schedule "${expression}" must have 6 fields (second minute hour day month day-of-week), found ${parts.length}`,
    );
  }
  const [seconds, minutes, hours, days, months, weekdays] = FIELDS.map((spec, i) =>
    parseField(parts[i] ?? "", spec, expression),
  ) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];

  return {
    expression,
    next(after: Date): Date {
      const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
      // Four years always contain every reachable day/weekday combination (leap days included).
      const limit = after.getTime() + 4 * 366 * 24 * 3600 * 1000;
      while (t.getTime() <= limit) {
        if (!months.has(t.getUTCMonth() + 1)) {
          t.setUTCMonth(t.getUTCMonth() + 1, 1);
          t.setUTCHours(0, 0, 0);
        } else if (!days.has(t.getUTCDate()) || !weekdays.has(t.getUTCDay())) {
          t.setUTCDate(t.getUTCDate() + 1);
          t.setUTCHours(0, 0, 0);
        } else if (!hours.has(t.getUTCHours())) {
          t.setUTCHours(t.getUTCHours() + 1, 0, 0);
        } else if (!minutes.has(t.getUTCMinutes())) {
          t.setUTCMinutes(t.getUTCMinutes() + 1, 0);
        } else if (!seconds.has(t.getUTCSeconds())) {
          t.setUTCSeconds(t.getUTCSeconds() + 1);
        } else {
          return t;
        }
      }
      throw new CronSyntaxError(`schedule "${expression}" never occurs`);
    },
  };
}
