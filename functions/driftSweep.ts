import { app, type InvocationContext, type Timer } from "@azure/functions";
import * as df from "durable-functions";
import { unitsDueInTick } from "../lib/drift";
import { Functions, Orchestrations } from "../lib/function-names";
import { buildDeploymentUnits } from "../lib/plan/units";
import { defaultSpec, type PlatformSpec } from "../lib/spec";
import type { DriftCheckInput } from "../orchestrations/drift/contracts";

/** The sweep timer's period; each unit is checked once per `drift.sweepIntervalHours`, spread over the ticks. */
export const DRIFT_SWEEP_TICK_MINUTES = 10;
export const DRIFT_SWEEP_SCHEDULE = `0 */${DRIFT_SWEEP_TICK_MINUTES} * * * *`;

/**
 * The safety net for drift that raised no event (or whose event was lost): every tick checks the units whose slot
 * falls in it, so all units are checked once per interval and the what-ifs never arrive at ARM together.
 */
export async function startDriftSweep(
  spec: PlatformSpec,
  now: Date,
  client: { start(instanceId: string, input: DriftCheckInput): Promise<void> },
): Promise<{ instanceId?: string; units: string[] }> {
  const units = buildDeploymentUnits(spec)
    .filter((u) => u.scope === "resourceGroup")
    .map((u) => u.name);
  const due = unitsDueInTick(units, spec.drift.sweepIntervalHours, now.getTime(), DRIFT_SWEEP_TICK_MINUTES);
  if (due.length === 0) return { units: [] };
  // One instance per tick: a second firing of the same tick finds it and starts nothing.
  const tick = new Date(Math.floor(now.getTime() / 60_000) * 60_000).toISOString();
  const instanceId = `drift-sweep:${spec.name}:${tick}`;
  // The tick holding the first unit's slot also cleans the deployment history: once per interval.
  await client.start(instanceId, { spec, trigger: "sweep", units: due, cleanHistory: due.includes(units[0]!) });
  return { instanceId, units: due };
}

export async function driftSweep(_timer: Timer, context: InvocationContext): Promise<void> {
  const durable = df.getClient(context);
  const started = await startDriftSweep(defaultSpec, new Date(), {
    async start(instanceId, input) {
      const existing = await durable.getStatus(instanceId).catch(() => undefined);
      if (existing?.runtimeStatus !== undefined) return;
      await durable.startNew(Orchestrations.driftCheck, { instanceId, input });
    },
  });
  if (started.instanceId) context.info(`drift sweep ${started.instanceId}: ${started.units.join(", ")}`);
}

app.timer(Functions.driftSweep, {
  schedule: DRIFT_SWEEP_SCHEDULE,
  extraInputs: [df.input.durableClient()],
  handler: driftSweep,
});
