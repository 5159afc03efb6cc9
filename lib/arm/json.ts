import { ArmExpressionError } from "./errors";

/**
 * Parses JSON the way ARM's json()/base64ToJson() do (Newtonsoft): standard JSON plus single-quoted strings and
 * unquoted property names, which ARM documentation examples rely on ("{'one': 'a'}").
 */
export function parseArmJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return new LenientJson(text).parseDocument();
  }
}

class LenientJson {
  private i = 0;
  constructor(private readonly s: string) {}

  parseDocument(): unknown {
    const value = this.value();
    this.ws();
    if (this.i < this.s.length) this.fail("unexpected trailing characters");
    return value;
  }

  private fail(what: string): never {
    throw new ArmExpressionError(`json() input is not valid JSON: ${what} at position ${this.i}`);
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i] as string)) this.i++;
  }

  private value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"' || c === "'") return this.string();
    const m = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(this.s.slice(this.i));
    if (!m) this.fail("unexpected character");
    this.i += m[0].length;
    if (m[0] === "true") return true;
    if (m[0] === "false") return false;
    if (m[0] === "null") return null;
    return Number(m[0]);
  }

  private string(): string {
    const quote = this.s[this.i++];
    let out = "";
    while (this.i < this.s.length) {
      const c = this.s[this.i++] as string;
      if (c === quote) return out;
      if (c === "\\") {
        const e = this.s[this.i++];
        const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f" };
        if (e === "u") {
          out += String.fromCharCode(parseInt(this.s.slice(this.i, this.i + 4), 16));
          this.i += 4;
        } else if (e !== undefined) {
          out += simple[e] ?? e;
        }
      } else {
        out += c;
      }
    }
    return this.fail("unterminated string");
  }

  private object(): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    this.ws();
    if (this.s[this.i] === "}") {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      let key: string;
      const c = this.s[this.i];
      if (c === '"' || c === "'") key = this.string();
      else {
        const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(this.s.slice(this.i));
        if (!m) this.fail("expected a property name");
        key = m[0];
        this.i += key.length;
      }
      this.ws();
      if (this.s[this.i++] !== ":") this.fail("expected ':'");
      out[key] = this.value();
      this.ws();
      const sep = this.s[this.i++];
      if (sep === "}") return out;
      if (sep !== ",") this.fail("expected ',' or '}'");
    }
  }

  private array(): unknown[] {
    this.i++;
    const out: unknown[] = [];
    this.ws();
    if (this.s[this.i] === "]") {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.ws();
      const sep = this.s[this.i++];
      if (sep === "]") return out;
      if (sep !== ",") this.fail("expected ',' or ']'");
    }
  }
}
