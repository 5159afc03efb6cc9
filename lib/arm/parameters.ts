import { isDeferred } from "./deferred";
import { deepEquals, isArray, isObject, typeName } from "./values";
import type { JsonObject } from "./values";

const TYPE_CHECKS: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === "string",
  securestring: (v) => typeof v === "string",
  int: (v) => typeof v === "number" && Number.isInteger(v),
  bool: (v) => typeof v === "boolean",
  object: (v) => isObject(v),
  secureobject: (v) => isObject(v),
  array: (v) => Array.isArray(v),
};

/** ARM compares allowed string values ignoring case (Azure/bicep#2489: Bicep's @allowed is stricter than ARM). */
function allowedEquals(allowed: unknown, value: unknown): boolean {
  if (typeof allowed === "string" && typeof value === "string") return allowed.toLowerCase() === value.toLowerCase();
  return deepEquals(allowed, value);
}

/**
 * Checks a parameter value against its declaration (type, allowedValues, min/max value and length); returns what
 * is wrong, or undefined. Deferred values are checked once known, not here.
 */
export function validateParameter(def: JsonObject, value: unknown): string | undefined {
  if (isDeferred(value)) return undefined;
  const declared = def["type"];
  if (typeof declared !== "string") return "the declaration needs a 'type'";
  const check = TYPE_CHECKS[declared.toLowerCase()];
  if (!check) return `unknown parameter type '${declared}' (use ${Object.keys(TYPE_CHECKS).join(", ")})`;
  if (!check(value)) return `expected a value of type ${declared}, got ${typeName(value)}`;
  const isSecret = declared.toLowerCase().startsWith("secure");
  const shown = (v: unknown): string => (isSecret ? "(secure value)" : JSON.stringify(v));

  const allowed = def["allowedValues"];
  if (Array.isArray(allowed)) {
    const items = isArray(value) ? value : [value];
    const bad = items.find((item) => !allowed.some((a) => allowedEquals(a, item)));
    if (bad !== undefined) {
      return `value ${shown(bad)} is not one of the allowed values ${isSecret ? "" : JSON.stringify(allowed)}`.trimEnd();
    }
  }
  const minValue = def["minValue"];
  const maxValue = def["maxValue"];
  if (typeof value === "number") {
    if (typeof minValue === "number" && value < minValue) return `value ${value} is below minValue ${minValue}`;
    if (typeof maxValue === "number" && value > maxValue) return `value ${value} is above maxValue ${maxValue}`;
  }
  const minLength = def["minLength"];
  const maxLength = def["maxLength"];
  if (typeof value === "string" || Array.isArray(value)) {
    if (typeof minLength === "number" && value.length < minLength) {
      return `length ${value.length} is below minLength ${minLength}`;
    }
    if (typeof maxLength === "number" && value.length > maxLength) {
      return `length ${value.length} is above maxLength ${maxLength}`;
    }
  }
  return undefined;
}
