import { azureContext } from "../../../lib/azure";
import { EnvironmentRegistry } from "../../../lib/environments";
import { Activities } from "../../../lib/function-names";
import { registerActivity } from "../boundary";
import { recordEnvironmentStateInputSchema, type RecordEnvironmentStateInput } from "../contracts";

/**
 * Writes the end of a build, teardown or restore to the registry of environments, from the orchestration itself:
 * the nightly timers, `env list` and the ops page see the truth without anyone reading `GET /api/environments`.
 * Idempotent: the times are the orchestration's, so a retried or replayed call writes the same row, and an end
 * older than the environment's last accepted build changes nothing.
 */
export async function recordEnvironmentState(input: RecordEnvironmentStateInput): Promise<{ recorded: boolean }> {
  const registry = await EnvironmentRegistry.open({ storage: azureContext().hostStorage(process.env) });
  return { recorded: await registry.recordWorkEnded(input.spec, input.work) };
}

registerActivity(Activities.recordEnvironmentState, recordEnvironmentStateInputSchema, recordEnvironmentState);
