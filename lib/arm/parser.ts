import { ArmExpressionError } from "./errors";

/** Expression syntax tree. `start`/`end` index into the expression source so deferred values keep exact text. */
export type Expr =
  | { kind: "string"; value: string; start: number; end: number }
  | { kind: "number"; value: number; start: number; end: number }
  | { kind: "call"; name: string; args: Expr[]; start: number; end: number }
  | { kind: "property"; target: Expr; name: string; start: number; end: number }
  | { kind: "index"; target: Expr; index: Expr; start: number; end: number };

/** A template string value: either a literal or a `[...]` expression. */
export type TemplateString = { kind: "literal"; value: string } | { kind: "expression"; source: string; expr: Expr };

type Token =
  | { type: "punct"; value: "(" | ")" | "[" | "]" | "," | "."; pos: number }
  | { type: "string"; value: string; pos: number; end: number }
  | { type: "number"; value: number; pos: number; end: number }
  | { type: "ident"; value: string; pos: number; end: number }
  | { type: "eof"; pos: number };

const IDENT_START = /[A-Za-z_$]/;
const IDENT_PART = /[A-Za-z0-9_$]/;
const DIGIT = /[0-9]/;

function tokenize(source: string, from: number, to: number): Token[] {
  const tokens: Token[] = [];
  let i = from;
  while (i < to) {
    const c = source[i] as string;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
    } else if (c === "(" || c === ")" || c === "[" || c === "]" || c === "," || c === ".") {
      tokens.push({ type: "punct", value: c, pos: i });
      i++;
    } else if (c === "'") {
      // '' inside a string literal is an escaped single quote.
      let value = "";
      let j = i + 1;
      for (;;) {
        if (j >= to) throw new ArmExpressionError(`unterminated string literal starting at position ${i}`);
        const d = source[j] as string;
        if (d === "'") {
          if (source[j + 1] === "'" && j + 1 < to) {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += d;
        j++;
      }
      tokens.push({ type: "string", value, pos: i, end: j + 1 });
      i = j + 1;
    } else if (DIGIT.test(c) || (c === "-" && DIGIT.test(source[i + 1] ?? ""))) {
      let j = i + 1;
      while (j < to && DIGIT.test(source[j] as string)) j++;
      if (source[j] === "." && DIGIT.test(source[j + 1] ?? "")) {
        j++;
        while (j < to && DIGIT.test(source[j] as string)) j++;
      }
      tokens.push({ type: "number", value: Number(source.slice(i, j)), pos: i, end: j });
      i = j;
    } else if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < to && IDENT_PART.test(source[j] as string)) j++;
      tokens.push({ type: "ident", value: source.slice(i, j), pos: i, end: j });
      i = j;
    } else {
      throw new ArmExpressionError(`unexpected character '${c}' at position ${i}`);
    }
  }
  tokens.push({ type: "eof", pos: to });
  return tokens;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const t = this.peek();
    this.i++;
    return t;
  }

  private isPunct(t: Token, value: string): boolean {
    return t.type === "punct" && t.value === value;
  }

  private expect(value: string): Token {
    const t = this.next();
    if (!this.isPunct(t, value))
      throw new ArmExpressionError(`expected '${value}' at position ${t.pos}, found ${describe(t)}`);
    return t;
  }

  parseAll(): Expr {
    const expr = this.parseExpression();
    const t = this.peek();
    if (t.type !== "eof") throw new ArmExpressionError(`unexpected ${describe(t)} at position ${t.pos}`);
    return expr;
  }

  private parseExpression(): Expr {
    let expr = this.parsePrimary();
    for (;;) {
      const t = this.peek();
      if (this.isPunct(t, ".")) {
        this.next();
        const name = this.next();
        if (name.type !== "ident")
          throw new ArmExpressionError(`expected a property name after '.' at position ${t.pos}`);
        expr = { kind: "property", target: expr, name: name.value, start: expr.start, end: name.end };
      } else if (this.isPunct(t, "[")) {
        this.next();
        const index = this.parseExpression();
        const close = this.expect("]");
        expr = { kind: "index", target: expr, index, start: expr.start, end: close.pos + 1 };
      } else {
        return expr;
      }
    }
  }

  private parsePrimary(): Expr {
    const t = this.next();
    if (t.type === "string") return { kind: "string", value: t.value, start: t.pos, end: t.end };
    if (t.type === "number") return { kind: "number", value: t.value, start: t.pos, end: t.end };
    if (t.type === "ident") {
      // User-defined functions are called as namespace.name(...).
      let name = t.value;
      while (this.isPunct(this.peek(), ".") && this.peek(1).type === "ident" && this.isPunct(this.peek(2), "(")) {
        this.next();
        name += `.${(this.next() as { value: string }).value}`;
      }
      if (!this.isPunct(this.peek(), "(")) {
        throw new ArmExpressionError(
          `'${name}' at position ${t.pos} is not a function call (ARM has no bare identifiers; use true(), false(), null())`,
        );
      }
      this.next();
      const args: Expr[] = [];
      if (!this.isPunct(this.peek(), ")")) {
        for (;;) {
          args.push(this.parseExpression());
          const sep = this.peek();
          if (this.isPunct(sep, ",")) {
            this.next();
            continue;
          }
          break;
        }
      }
      const close = this.expect(")");
      return { kind: "call", name, args, start: t.pos, end: close.pos + 1 };
    }
    throw new ArmExpressionError(`unexpected ${describe(t)} at position ${t.pos}`);
  }
}

function describe(t: Token): string {
  switch (t.type) {
    case "eof":
      return "end of expression";
    case "punct":
      return `'${t.value}'`;
    case "string":
      return "string literal";
    case "number":
      return `number ${t.value}`;
    case "ident":
      return `'${t.value}'`;
  }
}

const cache = new Map<string, TemplateString>();
const CACHE_LIMIT = 50_000;

/**
 * Classifies a template string: `[expr]` is an expression, `[[...` is a literal starting with `[`, anything else
 * (including `[` without a closing `]`) is a literal. Parsed expressions are cached: copy loops re-evaluate the same
 * strings many times.
 */
export function parseTemplateString(value: string): TemplateString {
  const hit = cache.get(value);
  if (hit) return hit;
  let result: TemplateString;
  if (value.startsWith("[[")) {
    result = { kind: "literal", value: value.slice(1) };
  } else if (value.startsWith("[") && value.endsWith("]") && value.length >= 2) {
    const expr = new Parser(tokenize(value, 1, value.length - 1)).parseAll();
    result = { kind: "expression", source: value, expr };
  } else {
    result = { kind: "literal", value };
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(value, result);
  return result;
}
