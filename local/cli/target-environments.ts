import { azureContext } from "../../lib/azure";
import { EnvironmentRegistry } from "../../lib/environments";
import { defaultSpec, validateSpec, type PlatformSpec } from "../../lib/spec";
import type { LocalRuntime } from "../build/runner";
import { CliUsageError } from "./errors";

/**
 * The environments of a target's local state, for the commands that work on a built platform (`drift`, `upgrade`):
 * the registry in the target's storage (what the API and `up` record) and every build its task hub holds (a build
 * `up` ran before it recorded environments); the registry's spec wins. The seed is always known: never built here,
 * it is the offered default.
 */
export async function targetEnvironments(runtime: LocalRuntime): Promise<Map<string, PlatformSpec>> {
  const known = new Map<string, PlatformSpec>();
  for (const build of await runtime.driver.list({}, { showInput: true })) {
    const name = /^build:([^:]+)$/.exec(build.instanceId)?.[1];
    const spec = (build.input as { spec?: unknown } | undefined)?.spec;
    const validated = name !== undefined && spec !== undefined ? validateSpec(spec) : undefined;
    if (validated?.ok && validated.spec.name === name) known.set(name, validated.spec);
  }
  const registry = await EnvironmentRegistry.open({ storage: azureContext().hostStorage(process.env) });
  for (const record of await registry.registered()) known.set(record.name, record.spec);
  if (!known.has(defaultSpec.name)) known.set(defaultSpec.name, defaultSpec);
  return known;
}

/** The environment `--env` names in the target's state; an unknown one is a usage error (exit 2) naming the known. */
export async function targetEnvironment(runtime: LocalRuntime, name: string, where: string): Promise<PlatformSpec> {
  const known = await targetEnvironments(runtime);
  const spec = known.get(name);
  if (spec) return spec;
  throw new CliUsageError(
    `--env ${name}: no such environment ${where} (known: ${[...known.keys()].sort().join(", ")})`,
  );
}
