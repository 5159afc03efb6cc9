import { readFileSync } from "node:fs";
import path from "node:path";
import { Command, CommanderError } from "commander";
import { repoRoot } from "../../lib/config";
import { commands } from "./commands";
import { describeSpecFailure } from "./spec-input";
import { EXIT_CODES_HELP, ExitCode, exitCodeOf, formatCliError } from "./errors";
import { addGlobalOptions, cliConventions, exitQuietlyOnClosedPipe, paint } from "./output";

/** The package's version (package.json), for `--version`. */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot(), "package.json"), "utf8")) as { version: string };
  return pkg.version;
}

/** Runs the `aks-platform` CLI and resolves to the process exit code (never throws for expected failures). */
export async function main(argv: readonly string[]): Promise<number> {
  exitQuietlyOnClosedPipe();
  const program = new Command("aks-platform")
    .description("Build and operate a three-cluster AKS platform (offline plan, sandbox runs, Azure deployments).")
    .version(cliVersion(), "-V, --version", "print the version")
    .exitOverride()
    .showHelpAfterError()
    .addHelpText("afterAll", `\n${EXIT_CODES_HELP}\n`)
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      writeOut: (s) => process.stdout.write(s),
      outputError: (s, write) => write(paint(s, "red", process.stderr)),
    });
  addGlobalOptions(program);
  let exitCode: number = ExitCode.ok;
  for (const register of commands) {
    register(program, (code) => {
      exitCode = Math.max(exitCode, code);
    });
  }
  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const message = describeSpecFailure(err) ?? formatCliError(err);
    process.stderr.write(`${paint(message, "red", process.stderr)}\n`);
    if (cliConventions().verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return exitCodeOf(err);
  }
}
