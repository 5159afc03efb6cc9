import type { Environments } from "../../lib/api/environments";
import { azureContext } from "../../lib/azure";
import { EnvironmentRegistry } from "../../lib/environments";
import { defaultSpec, validateSpec, type PlatformSpec } from "../../lib/spec";
import type { EnvironmentSource, LocalRuntime } from "../build/runner";
import { inSandbox } from "../build/target";
import { CliUsageError } from "./errors";

/** A running local runtime as the source of its target's environments. */
function runtimeSource(runtime: LocalRuntime): EnvironmentSource {
  return {
    instances: () => runtime.driver.list({}, { showInput: true }),
    storage: azureContext().hostStorage(process.env),
  };
}

/**
 * The environments of a target's local state, for the commands that work on a built platform (`drift`, `upgrade`,
 * `down`, `restore`, `status`): the registry in the target's storage (what the API and `up` record) and every build
 * its task hub holds (a build `up` ran before it recorded environments); the registry's spec wins. The seed is always
 * known: never built here, it is the offered default.
 */
export async function targetEnvironments(target: LocalRuntime | EnvironmentSource): Promise<Map<string, PlatformSpec>> {
  const source = "driver" in target ? runtimeSource(target) : target;
  const known = new Map<string, PlatformSpec>();
  for (const build of await source.instances()) {
    const name = /^build:([^:]+)$/.exec(build.instanceId)?.[1];
    const spec = (build.input as { spec?: unknown } | undefined)?.spec;
    const validated = name !== undefined && spec !== undefined ? validateSpec(spec) : undefined;
    if (validated?.ok && validated.spec.name === name) known.set(name, validated.spec);
  }
  const registry = await EnvironmentRegistry.open({ storage: source.storage });
  for (const record of await registry.registered()) known.set(record.name, record.spec);
  if (!known.has(defaultSpec.name)) known.set(defaultSpec.name, defaultSpec);
  return known;
}

/** Usage error for an `--env` the target does not know, naming the known ones (exit 2). */
export function unknownEnvironment(name: string, where: string, known: Iterable<string>): CliUsageError {
  return new CliUsageError(`--env ${name}: no such environment ${where} (known: ${[...known].sort().join(", ")})`);
}

/**
 * The environment `--env` names, as the target runs it (in the sandbox's subscription, or in `--subscription`),
 * with every known one as the API's registry look-up; an unknown one is a usage error naming the known (exit 2).
 */
export async function environmentOnTarget(
  runtime: LocalRuntime,
  name: string,
  target: { sandbox?: boolean; subscription?: string },
): Promise<{ spec: PlatformSpec; environments: Pick<Environments, "find" | "list"> }> {
  const onTarget = new Map(
    [...(await targetEnvironments(runtime))].map(([env, spec]) => [
      env,
      target.subscription !== undefined ? { ...spec, subscriptionId: target.subscription } : inSandbox(spec),
    ]),
  );
  const spec = onTarget.get(name);
  if (!spec)
    throw unknownEnvironment(
      name,
      target.subscription !== undefined ? `in subscription ${target.subscription}` : "on the sandbox",
      onTarget.keys(),
    );
  return { spec, environments: asEnvironments(onTarget) };
}

/** Known specs as the API's registry look-up (lib/api findEnvironmentOr404), for handlers the CLI drives in-process. */
export function asEnvironments(specs: ReadonlyMap<string, PlatformSpec>): Pick<Environments, "find" | "list"> {
  const record = (spec: PlatformSpec) => ({
    name: spec.name,
    spec,
    subscriptionId: spec.subscriptionId,
    state: "built" as const,
    tornDownClusters: [],
  });
  return {
    find: (name) => Promise.resolve(specs.has(name) ? record(specs.get(name)!) : undefined),
    list: () => Promise.resolve([...specs.values()].map(record)),
  };
}
