import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../../lib/config";
import { UNSET_SUBSCRIPTION_ID, type PlatformSpec } from "../../lib/spec";
import type { SandboxOptions } from "../sandbox";

/**
 * Where the local state of a target lives. Every command that works on the sandbox (`up`, `status`, `down`,
 * `restore`, `backup verify`, `serve` with `--sandbox`) opens the same folder: one simulated Azure (the sandbox's
 * state file) and one durable task hub (Azurite) for every environment built in it, so what `up --sandbox` built is
 * what `serve` shows and what `down --sandbox` removes. One process at a time owns a folder (its Azurite, driver and
 * sandbox); others only read beside it (runner.ts ownStateAzurite). A real subscription keeps its own folder, so a sandbox
 * run can never resume, report on or tear down a real build, and the other way round.
 */

export type Target =
  | { kind: "sandbox" }
  | {
      kind: "subscription";
      subscriptionId: string;
      /** ARM endpoint other than the public cloud's (a sovereign cloud or an ARM-compatible stand-in). */
      armEndpoint?: string;
    };

export const SANDBOX_TARGET: Target = { kind: "sandbox" };

/**
 * The subscription the sandbox plays: the one the seed spec leaves unset, so the default spec (and any spec that
 * names none) builds in it without changes. A spec naming a real subscription is moved into it under `--sandbox`.
 */
export const SANDBOX_SUBSCRIPTION_ID = UNSET_SUBSCRIPTION_ID;

/** Target from a command's `--sandbox` / `--subscription` / `--arm-endpoint` options (already checked for exclusivity). */
export function targetOf(options: { sandbox?: boolean; subscription?: string; armEndpoint?: string }): Target {
  if (options.sandbox || options.subscription === undefined) return SANDBOX_TARGET;
  return {
    kind: "subscription",
    subscriptionId: options.subscription,
    ...(options.armEndpoint !== undefined ? { armEndpoint: options.armEndpoint } : {}),
  };
}

/** A folder name naming the target: `sandbox`, `subscription-<id>`, `subscription-<id>@<arm host>`. */
export function targetKey(target: Target): string {
  if (target.kind === "sandbox") return "sandbox";
  const id = target.subscriptionId.toLowerCase();
  if (target.armEndpoint === undefined) return `subscription-${id}`;
  let host: string;
  try {
    host = new URL(target.armEndpoint).host;
  } catch {
    host = target.armEndpoint;
  }
  return `subscription-${id}@${host.replace(/[^A-Za-z0-9.-]/g, "_")}`;
}

/** `<repo>/.local/state/<target>`: Azurite's data (`azurite/`) and, for the sandbox, its state file. */
export function targetStateDir(target: Target): string {
  return path.join(repoRoot(), ".local", "state", targetKey(target));
}

export const STATE_DIR_HELP =
  "where local state (Azurite, the sandbox) is kept (default: .local/state/<target>, shared by every command on that target)";

/** Every target folder under `.local/state` (the sandbox's first), for a look-up that names no target. */
export function knownStateDirs(): string[] {
  const root = path.join(repoRoot(), ".local", "state");
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort((a, b) => Number(b === "sandbox") - Number(a === "sandbox") || a.localeCompare(b))
    .map((name) => path.join(root, name));
}

/** The state folder a command works in: `--state-dir` when given, else its target's. */
export function stateDirOf(options: {
  sandbox?: boolean;
  subscription?: string;
  armEndpoint?: string;
  stateDir?: string;
}): string {
  return options.stateDir !== undefined ? path.resolve(options.stateDir) : targetStateDir(targetOf(options));
}

/** `<repo>/.local/reports/<target>/<environment>`: the report `up` writes. */
export function targetReportDir(target: Target, environment: string): string {
  return path.join(repoRoot(), ".local", "reports", targetKey(target), environment);
}

/** The sandbox of a state folder: its state file there, playing SANDBOX_SUBSCRIPTION_ID. */
export function sandboxOptionsFor(stateDir: string, timeScale: number): SandboxOptions {
  return { stateFile: path.join(stateDir, "sandbox.json"), timeScale, subscriptionId: SANDBOX_SUBSCRIPTION_ID };
}

/** The spec as the sandbox runs it: in the sandbox's subscription, whatever subscription the spec names. */
export function inSandbox(spec: PlatformSpec): PlatformSpec {
  return spec.subscriptionId === SANDBOX_SUBSCRIPTION_ID ? spec : { ...spec, subscriptionId: SANDBOX_SUBSCRIPTION_ID };
}
