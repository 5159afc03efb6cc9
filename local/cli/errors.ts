import { TransientArmError } from "../../lib/azure";
import { AppConfigError } from "../../lib/config";
import { PlanError } from "../../lib/plan";
import { SpecParseError, SpecValidationError } from "../../lib/spec";
import { StateInUseError } from "../azurite";

/** The one exit-code table of every command (README "Exit codes", `--help`). */
export const ExitCode = {
  /** Done, and what was checked is fine. */
  ok: 0,
  /** The command ran, and what it checked or built is not ok (a failed build, a violated rule, an unhealthy backup). */
  notOk: 1,
  /** How the command was called, or its input (spec, template, settings file), is wrong. */
  usage: 2,
  /** Azure (or the ARM endpoint) refused the credentials or the request, or could not be reached. */
  azure: 3,
  /**
   * Another live aks-platform process (`up`, `serve`, …) holds the state folder this command would run work on:
   * nothing was done; retry once it ends, or start the work through `serve`'s HTTP API.
   */
  stateInUse: 4,
} as const;

export const EXIT_CODES_HELP = [
  "Exit codes (every command):",
  "  0  done, and what was checked is fine",
  "  1  what was checked or built is not ok (failed build, rule violation, unhealthy backup, declined prompt)",
  "  2  usage or input error (options, spec, template, settings file)",
  "  3  Azure refused the login or the request, or could not be reached",
  "  4  the state folder is in use by another aks-platform process (named in the message); nothing was done",
].join("\n");

/** A mistake in how the command was called or in what it was given (exit code 2). */
export class CliUsageError extends Error {
  override readonly name = "CliUsageError";
}

/** Azure refused the credentials or the call, or was not reachable (exit code 3). */
export class AzureAccessError extends Error {
  override readonly name = "AzureAccessError";
}

/** Exit code for an error that ended a command. */
export function exitCodeOf(err: unknown): number {
  if (
    err instanceof CliUsageError ||
    err instanceof SpecValidationError ||
    err instanceof SpecParseError ||
    err instanceof PlanError ||
    err instanceof AppConfigError
  )
    return ExitCode.usage;
  if (err instanceof AzureAccessError || err instanceof TransientArmError) return ExitCode.azure;
  if (err instanceof StateInUseError) return ExitCode.stateInUse;
  return ExitCode.notOk;
}

/** One line (or a few) a person can act on; never a stack trace. */
export function formatCliError(err: unknown): string {
  if (err instanceof Error) return `error: ${err.message}`;
  return `error: ${String(err)}`;
}
