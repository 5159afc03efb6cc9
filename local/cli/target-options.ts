import { Option, type Command } from "commander";
import { isLoopbackUrl } from "../../lib/azure";
import { UNSET_SUBSCRIPTION_ID, type PlatformSpec } from "../../lib/spec";
import { startLocalRuntime, type LocalRuntime } from "../build/runner";
import { inSandbox, SANDBOX_SUBSCRIPTION_ID, STATE_DIR_HELP, stateDirOf } from "../build/target";
import { checkAzureLogin } from "./credentials";
import { CliUsageError } from "./errors";

/**
 * The target options every command that works on a platform shares (`--sandbox` / `--subscription ID` /
 * `--arm-endpoint`, `--state-dir`, `--time-scale`), checked in one place so every command refuses the same
 * mistakes with the same words.
 */

export const DEFAULT_SANDBOX_TIME_SCALE = 120;

export interface TargetChoice {
  sandbox?: boolean;
  subscription?: string;
  armEndpoint?: string;
  stateDir?: string;
  timeScale?: string;
}

/** A number option, or a usage error naming the option and what was given. */
export function parseNumber(text: string, what: string, check: (n: number) => boolean): number {
  const value = Number(text);
  if (!Number.isFinite(value) || !check(value)) throw new CliUsageError(`${what} "${text}" is not valid`);
  return value;
}

/** `--time-scale`: simulated seconds per real second, a positive number. */
export function parseTimeScale(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new CliUsageError(`--time-scale "${text}" must be a positive number`);
  return value;
}

/** What the target options say for a command that works on a built platform. */
const PLATFORM_TARGET_HELP = {
  sandbox: "work on the sandbox platform built by `aks-platform up --sandbox`",
  subscription: "Azure subscription of the platform (DefaultAzureCredential)",
};

/** Adds `--sandbox`, `--subscription`, `--arm-endpoint`, `--state-dir` and `--time-scale`. */
export function addTargetOptions(
  command: Command,
  help: { sandbox: string; subscription: string } = PLATFORM_TARGET_HELP,
  defaultTimeScale = DEFAULT_SANDBOX_TIME_SCALE,
): Command {
  return command
    .option("--sandbox", help.sandbox)
    .option("--subscription <id>", help.subscription)
    .option("--arm-endpoint <url>", "ARM endpoint (sovereign cloud or an ARM-compatible stand-in; https)")
    .option("--state-dir <dir>", STATE_DIR_HELP)
    .addOption(
      new Option("--time-scale <factor>", "sandbox: simulated seconds per real second").default(
        String(defaultTimeScale),
      ),
    );
}

/**
 * Checks the target options: exactly one target, `--arm-endpoint` only with a subscription (and a loopback one only
 * with its token), a real subscription id, a positive time scale. A given `--arm-endpoint` becomes the process's
 * ARM endpoint. Returns the time scale.
 */
export function checkTarget(options: TargetChoice): { timeScale: number } {
  if (Boolean(options.sandbox) === (options.subscription !== undefined))
    throw new CliUsageError("choose exactly one target: --sandbox (local, no account) or --subscription ID (Azure)");
  if (options.sandbox && options.armEndpoint !== undefined)
    throw new CliUsageError("--arm-endpoint cannot be combined with --sandbox");
  if (options.subscription === UNSET_SUBSCRIPTION_ID)
    throw new CliUsageError("--subscription needs a real subscription id");
  const timeScale = parseTimeScale(options.timeScale ?? String(DEFAULT_SANDBOX_TIME_SCALE));
  if (options.armEndpoint !== undefined) {
    if (isLoopbackUrl(options.armEndpoint) && !process.env.AKS_PLATFORM_ARM_TOKEN)
      throw new CliUsageError("a loopback --arm-endpoint needs its bearer token in AKS_PLATFORM_ARM_TOKEN");
    process.env.AKS_PLATFORM_ARM_ENDPOINT = options.armEndpoint;
  }
  return { timeScale };
}

/** The spec as the target runs it: in the given subscription, or in the sandbox's. */
export function specOnTarget(spec: PlatformSpec, options: TargetChoice): PlatformSpec {
  return options.subscription !== undefined ? { ...spec, subscriptionId: options.subscription } : inSandbox(spec);
}

/**
 * The local host of the target's state folder: with `--sandbox` the sandbox ARM in this process; with a
 * subscription, ARM through DefaultAzureCredential after the login is checked (a missing login fails in seconds,
 * never later as a "transient" error), durable state on this machine either way.
 */
export async function startTargetRuntime(
  options: TargetChoice,
  timeScale: number,
  extra: { fresh?: boolean } = {},
): Promise<LocalRuntime> {
  const stateDir = stateDirOf(options);
  if (options.sandbox)
    return startLocalRuntime({
      stateDir,
      timeScale,
      ...(extra.fresh ? { fresh: true } : {}),
      sandbox: { timeScale, subscriptionId: SANDBOX_SUBSCRIPTION_ID },
    });
  await checkAzureLogin(process.env.AKS_PLATFORM_ARM_ENDPOINT || undefined);
  return startLocalRuntime({ stateDir, timeScale: 1 });
}
