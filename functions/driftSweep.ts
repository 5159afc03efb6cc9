import { app, type InvocationContext, type Timer } from "@azure/functions";
import * as df from "durable-functions";
import { removedClustersOf, sweepTick } from "../lib/drift";
import { Functions, Orchestrations } from "../lib/function-names";
import { buildDeploymentUnits } from "../lib/plan/units";
import type { PlatformSpec } from "../lib/spec";
import type { DriftCheckInput } from "../orchestrations/drift/contracts";
import { durableBuildInstances } from "../orchestrations/shared/durableBuilds";
import { registeredSpecs } from "./eventgridResources";

/** The sweep timer's period; each unit is checked once per `drift.sweepIntervalHours`, spread over the ticks. */
export const DRIFT_SWEEP_TICK_MINUTES = 10;
export const DRIFT_SWEEP_SCHEDULE = `0 */${DRIFT_SWEEP_TICK_MINUTES} * * * *`;

export interface SweepStart {
  environment: string;
  instanceId: string;
  units: string[];
}

/**
 * The safety net for drift that raised no event (or whose event was lost), over every registered environment:
 * every tick checks the units whose slot falls in it, with each environment's own spec (its interval, its
 * `drift` policy), so all units are checked once per interval and the what-ifs of all environments never arrive
 * at ARM together (lib/drift sweepTick).
 */
export async function startDriftSweep(
  specs: readonly PlatformSpec[],
  now: Date,
  client: { start(instanceId: string, input: DriftCheckInput): Promise<void> },
): Promise<SweepStart[]> {
  const unitsOf = new Map(
    specs.map((spec) => [
      spec.name,
      buildDeploymentUnits(spec)
        .filter((u) => u.scope === "resourceGroup")
        .map((u) => u.name),
    ]),
  );
  const due = sweepTick(
    specs.map((spec) => ({
      environment: spec.name,
      units: unitsOf.get(spec.name)!,
      intervalHours: spec.drift.sweepIntervalHours,
    })),
    now.getTime(),
    DRIFT_SWEEP_TICK_MINUTES,
  );
  // One instance per environment and tick: a second firing of the same tick finds it and starts nothing.
  const tick = new Date(Math.floor(now.getTime() / 60_000) * 60_000).toISOString();
  const started: SweepStart[] = [];
  for (const { environment, units, cleanHistory } of due) {
    const spec = specs.find((s) => s.name === environment)!;
    const instanceId = `drift-sweep:${environment}:${tick}`;
    await client.start(instanceId, { spec, trigger: "sweep", units, cleanHistory });
    started.push({ environment, instanceId, units });
  }
  return started;
}

export function driftSweepHandler(specs: () => Promise<PlatformSpec[]> = registeredSpecs) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const durable = df.getClient(context);
    const environments = await specs();
    if (environments.length === 0) context.info("drift sweep: no environment is registered yet");
    const started = await startDriftSweep(environments, new Date(), {
      async start(instanceId, input) {
        const existing = await durable.getStatus(instanceId).catch(() => undefined);
        if (existing?.runtimeStatus !== undefined) return;
        // A cluster torn down since the build: its units are skipped with the reason (not "not deployed yet").
        const removedClusters = await removedClustersOf(input.spec, durableBuildInstances(durable));
        await durable.startNew(Orchestrations.driftCheck, { instanceId, input: { ...input, removedClusters } });
      },
    });
    for (const s of started) context.info(`drift sweep ${s.instanceId}: ${s.units.join(", ")}`);
  };
}

app.timer(Functions.driftSweep, {
  schedule: DRIFT_SWEEP_SCHEDULE,
  extraInputs: [df.input.durableClient()],
  handler: driftSweepHandler(),
});
