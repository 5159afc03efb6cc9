import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseDocument } from "yaml";
import type { PlatformSpec } from "./schema";
import { validateSpec } from "./validate";
import type { SpecProblem } from "./validate";

/** The spec does not satisfy the schema or its semantic rules; `problems` lists every one (HTTP 400, CLI exit 1). */
export class SpecValidationError extends Error {
  override readonly name = "SpecValidationError";
  readonly code = "SpecInvalid";
  constructor(
    readonly problems: SpecProblem[],
    /** Where the spec came from (file name), for the message. */
    readonly source?: string,
  ) {
    super(
      `${source ?? "The spec"} has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n` +
        problems.map((p) => `  ${p.path}: ${p.message}`).join("\n"),
    );
  }
}

/** The text is not valid JSON/YAML (or the file cannot be read); `line`/`column` are 1-based when known. */
export class SpecParseError extends Error {
  override readonly name = "SpecParseError";
  readonly code = "SpecUnreadable";
  constructor(
    readonly source: string,
    readonly detail: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(`${source}${line === undefined ? "" : `:${line}:${column ?? 1}`}: ${detail}`);
  }
}

export type SpecFormat = "json" | "yaml";

function formatOf(source: string, text: string): SpecFormat {
  const ext = path.extname(source).toLowerCase();
  if (ext === ".json") return "json";
  if (ext === ".yaml" || ext === ".yml") return "yaml";
  // Content sniff: a JSON document starts with an object; everything else is read as YAML.
  return text.trimStart().startsWith("{") ? "json" : "yaml";
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split("\n");
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

class JsonSyntaxError extends Error {
  constructor(readonly offset: number) {
    super(`JSON syntax error at offset ${offset}`);
  }
}

/**
 * Offset of the first JSON syntax error. Node 20's JSON.parse names a position for only some errors, so a small
 * scanner (run only after JSON.parse failed) finds it for the rest.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && " \t\r\n".includes(text[i] ?? "")) i++;
  };
  const fail = (): never => {
    throw new JsonSyntaxError(i);
  };
  const literal = (word: string): void => {
    for (const ch of word) {
      if (text[i] !== ch) fail();
      i++;
    }
  };
  const string = (): void => {
    if (text[i] !== '"') fail();
    i++;
    while (i < text.length && text[i] !== '"') {
      const code = text.charCodeAt(i);
      if (code < 0x20) fail();
      if (text[i] === "\\") {
        i++;
        if (text[i] === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? "x")) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === "{" || ch === "[") {
      const close = ch === "{" ? "}" : "]";
      i++;
      ws();
      if (text[i] === close) return void i++;
      for (;;) {
        if (close === "}") {
          ws();
          string();
          ws();
          if (text[i] !== ":") fail();
          i++;
        }
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === close) return void i++;
        else fail();
      }
    }
    if (ch === '"') return string();
    if (ch === "t") return literal("true");
    if (ch === "f") return literal("false");
    if (ch === "n") return literal("null");
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail();
    i += m?.[0].length ?? 0;
  };
  try {
    value();
    ws();
    return i;
  } catch (err) {
    if (err instanceof JsonSyntaxError) return err.offset;
    throw err;
  }
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const { line, column } = lineColumn(text, jsonErrorOffset(text));
    // V8's message may quote a slice of the input and a position; the line and column say it better.
    const detail = message.replace(/, ".*$/s, "").replace(/( in JSON)? at position \d+.*$/s, "");
    throw new SpecParseError(source, `invalid JSON: ${detail}`, line, column);
  }
}

function parseYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    const detail = (first.message.split("\n")[0] ?? first.code).replace(/ at line \d+, column \d+:?$/, "");
    throw new SpecParseError(source, `invalid YAML: ${detail}`, pos?.line, pos?.col);
  }
  try {
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (err) {
    // Unresolved aliases and alias bombs surface only while converting.
    throw new SpecParseError(source, `invalid YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Parses spec text (JSON or YAML) without validating it. */
export function parseSpecText(text: string, options: { source?: string; format?: SpecFormat } = {}): unknown {
  const source = options.source ?? "spec";
  const format = options.format ?? formatOf(source, text);
  return format === "json" ? parseJson(text, source) : parseYaml(text, source);
}

/** Parses and validates spec text; throws SpecParseError or SpecValidationError. */
export function loadSpecText(text: string, options: { source?: string; format?: SpecFormat } = {}): PlatformSpec {
  const result = validateSpec(parseSpecText(text, options));
  if (!result.ok) throw new SpecValidationError(result.problems, options.source);
  return result.spec;
}

/** Reads a spec file (`.json`, `.yaml`/`.yml`, or sniffed from the content) and validates it. */
export async function loadSpecFile(file: string): Promise<PlatformSpec> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SpecParseError(
      file,
      code === "ENOENT" ? "no such file" : `cannot read the file (${code ?? String(err)})`,
    );
  }
  return loadSpecText(text, { source: file });
}
