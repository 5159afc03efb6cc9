import { Option, type Command } from "commander";
import { stringify as toYaml } from "yaml";
import { CliUsageError } from "./errors";

/**
 * The conventions every command shares (az, azd, terraform): `-o/--output json|yaml|table`, `--verbose`,
 * `--quiet`, colour only on a terminal and never with NO_COLOR. Commands read them here rather than from
 * options of their own.
 */

export const OUTPUT_FORMATS = ["json", "yaml", "table"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface CliConventions {
  /** `-o` as given; undefined = table on a terminal, JSON on a pipe. */
  output?: OutputFormat;
  verbose: boolean;
  quiet: boolean;
}

let conventions: CliConventions = { verbose: false, quiet: false };

/** Adds the shared options to the program; they are accepted before or after the command name. */
export function addGlobalOptions(program: Command): void {
  program
    .addOption(
      new Option(
        "-o, --output <format>",
        "output of commands with structured output (default: table on a terminal, json on a pipe)",
      ).choices(OUTPUT_FORMATS),
    )
    .option("--verbose", "more detail: every progress step, debug logs, stack traces of unexpected errors")
    .option("--quiet", "only results and errors: no progress or notes")
    .hook("preAction", (_program, command) => {
      const o = command.optsWithGlobals<{ output?: OutputFormat; verbose?: boolean; quiet?: boolean }>();
      if (o.verbose && o.quiet) throw new CliUsageError("--verbose and --quiet cannot be combined");
      conventions = {
        ...(o.output !== undefined ? { output: o.output } : {}),
        verbose: o.verbose ?? false,
        quiet: o.quiet ?? false,
      };
    });
}

export function cliConventions(): CliConventions {
  return conventions;
}

/**
 * The format of structured output: `-o` when given; otherwise a command's legacy `--format` (json, or text as a
 * table); otherwise table on a terminal and JSON on a pipe.
 */
export function outputFormat(legacyFormat?: string, stream: { isTTY?: boolean } = process.stdout): OutputFormat {
  if (conventions.output !== undefined) return conventions.output;
  if (legacyFormat === "json") return "json";
  if (legacyFormat === "text") return "table";
  return stream.isTTY ? "table" : "json";
}

/** Writes `value` as JSON or YAML, or `table()` for people. */
export function printData(format: OutputFormat, value: unknown, table: () => string): void {
  if (format === "json") process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else if (format === "yaml") process.stdout.write(toYaml(value));
  else process.stdout.write(table());
}

/** A note for people (progress, hints): on stderr, so stdout stays the result; silent with --quiet. */
export function note(text: string): void {
  if (!conventions.quiet) process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
}

/** Detail only `--verbose` shows. */
export function debug(text: string): void {
  if (conventions.verbose) process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
}

/** Colour only on a terminal, never with NO_COLOR (any value, https://no-color.org) or TERM=dumb. */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.TERM === "dumb") return false;
  return stream.isTTY === true;
}

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof CODES;

/** `text` in `colour` when the stream shows colour. */
export function paint(text: string, colour: Colour, stream: { isTTY?: boolean } = process.stdout): string {
  return colorEnabled(stream) ? `\x1b[${CODES[colour]}m${text}\x1b[0m` : text;
}

/**
 * A closed pipe (`aks-platform status | head -1`) ends the command quietly: nothing more can be written, and a
 * stack trace about it helps nobody.
 */
export function exitQuietlyOnClosedPipe(exit: (code: number) => void = (code) => process.exit(code)): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") exit(typeof process.exitCode === "number" ? process.exitCode : 0);
      else throw err;
    });
  }
}
