import { Command, CommanderError } from "commander";
import { commands } from "./commands";
import { CliUsageError, formatCliError } from "./errors";

/** Runs the `aks-platform` CLI and resolves to the process exit code (never throws for expected failures). */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command("aks-platform")
    .description("Build and operate a three-cluster AKS platform (offline plan, sandbox runs, Azure deployments).")
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  let exitCode = 0;
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
      return err.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`${formatCliError(err)}\n`);
    return err instanceof CliUsageError ? 2 : 1;
  }
}
