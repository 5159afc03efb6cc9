/**
 * Azure Functions route templates: literal segments (case-insensitive), `{name}`, `{name?}` (optional, last),
 * `{name:constraint}` (int, alpha, bool, guid checked; others accepted), `{name=default}` and `{*rest}` (catch-all).
 */
export interface RouteTemplate {
  template: string;
  match(path: string): Record<string, string> | undefined;
}

interface Segment {
  literal?: string;
  param?: string;
  optional?: boolean;
  catchAll?: boolean;
  constraint?: string;
  defaultValue?: string;
}

const CONSTRAINTS: Record<string, RegExp> = {
  int: /^-?\d+$/,
  long: /^-?\d+$/,
  alpha: /^[A-Za-z]+$/,
  bool: /^(true|false)$/i,
  guid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
};

function parseSegment(text: string, template: string): Segment {
  const m = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::([^}=?]+))?(?:=([^}?]*))?(\?)?\}$/.exec(text);
  if (!m) {
    if (text.includes("{") || text.includes("}"))
      throw new Error(`route "${template}": cannot parse segment "${text}"`);
    return { literal: text.toLowerCase() };
  }
  return {
    param: m[2]!,
    catchAll: m[1] === "*",
    ...(m[3] ? { constraint: m[3].toLowerCase() } : {}),
    ...(m[4] !== undefined ? { defaultValue: m[4] } : {}),
    optional: m[5] === "?" || m[4] !== undefined,
  };
}

export function parseRoute(template: string): RouteTemplate {
  const segments = template
    .replace(/^\/+|\/+$/g, "")
    .split("/")
    .filter((s) => s !== "")
    .map((s) => parseSegment(s, template));
  return {
    template,
    match(path: string) {
      const parts = path
        .replace(/^\/+|\/+$/g, "")
        .split("/")
        .filter((p) => p !== "");
      const params: Record<string, string> = {};
      for (let i = 0; i < segments.length; i++) {
        const segment = segments[i]!;
        const part = parts[i];
        if (segment.catchAll) {
          params[segment.param!] = parts.slice(i).map(decodeURIComponent).join("/");
          return params;
        }
        if (part === undefined) {
          if (!segment.optional) return undefined;
          if (segment.defaultValue !== undefined) params[segment.param!] = segment.defaultValue;
          continue;
        }
        if (segment.literal !== undefined) {
          if (part.toLowerCase() !== segment.literal) return undefined;
          continue;
        }
        const value = decodeURIComponent(part);
        const check = segment.constraint ? CONSTRAINTS[segment.constraint.replace(/\(.*$/, "")] : undefined;
        if (check && !check.test(value)) return undefined;
        params[segment.param!] = value;
      }
      return parts.length > segments.length ? undefined : params;
    },
  };
}
