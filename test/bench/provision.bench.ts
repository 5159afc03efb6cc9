// Benchmark (not a test): one full build of the default spec against the sandbox ARM under its latency model and
// default throttle, compared with the physical limit (the plan's critical path) and with the seed's strategy
// (all of Phase 1, then the add-on steps one at a time) under the same model: Phase 1 with the durations this run
// measured, then every add-on resource one after another at its modelled latency.
//
// The same run builds a 12-cluster spec of the same cluster shape (fleetSpec) on a fresh sandbox: its makespan
// against the seed's shows whether the build stays flat in the number of clusters; a third build connects the 12
// clusters with a Virtual Network Manager mesh instead of full-mesh peerings (makespan_12_avnm_vs_3).
//
// Time runs 60 times faster than real time (AKS_PLATFORM_BENCH_TIME_SCALE): the wall-clock cost of each activity and
// HTTP call is multiplied by the time scale; at 60x on a quiet machine it stays in the seconds a real build also
// spends between ARM calls, on a loaded one it does not.
import { installFunctionsCore } from "../../local/registry";
import { withSandboxRuntime } from "./sandbox-runtime";
import {
  buildPlan,
  criticalPath,
  estimatedDeploymentSeconds,
  irreducibleChain,
  planDeployments,
  seedStrategySeconds,
} from "../../lib/plan";
import type { DeploymentProgress } from "../../lib/plan/progress";
import { makespanSeconds } from "../../lib/plan/timeline";
import { defaultSpec, fleetSpec, type PlatformSpec } from "../../lib/spec";
import { runBuild } from "../../local/build/runner";

/**
 * Simulated seconds per real second (AKS_PLATFORM_BENCH_TIME_SCALE, default 60). Every real second the harness spends
 * between ARM calls (activity dispatch through the local driver and Azurite) counts this many times in the figures,
 * so on a loaded machine a lower scale separates the scheduler from the harness (printed as provision.time_scale).
 */
const TIME_SCALE = Number(process.env.AKS_PLATFORM_BENCH_TIME_SCALE ?? 60);
if (!(TIME_SCALE > 0)) throw new Error(`AKS_PLATFORM_BENCH_TIME_SCALE must be a positive number, got ${TIME_SCALE}`);
/** ARM's write budget per subscription and hour (azure-notes.md). */
const HOURLY_WRITE_BUDGET = 1200;

function seconds(d: DeploymentProgress): number {
  return (Date.parse(d.endedAt!) - Date.parse(d.startedAt!)) / 1000;
}

/**
 * Where the makespan goes beyond the modelled durations, along the chain the build actually took (from the last
 * deployment to end back through the dependency that ended last): `dispatch` is the time from a dependency's end
 * being noticed to the next deployment's start (activity round trips, sub-orchestration starts), `overrun` the time
 * a deployment took beyond its expected duration (the poll that notices its end, any wait ARM imposed).
 */
function chainOverheads(
  deployments: readonly DeploymentProgress[],
  plan: ReturnType<typeof buildPlan>,
): { dispatch: number; overrun: number; hops: number } {
  const planned = new Map(planDeployments(plan).map((d) => [d.name, d]));
  const byName = new Map(deployments.map((d) => [d.name, d]));
  const ms = (iso: string | undefined) => Date.parse(iso!);
  const first = Math.min(...deployments.map((d) => ms(d.startedAt)));
  let current = deployments.reduce((a, b) => (ms(b.endedAt) > ms(a.endedAt) ? b : a));
  const totals = { dispatch: 0, overrun: 0, hops: 0 };
  for (;;) {
    const p = planned.get(current.name)!;
    totals.overrun += seconds(current) - estimatedDeploymentSeconds(p);
    totals.hops++;
    const deps = p.dependsOn.flatMap((n) => (byName.get(n) ? [byName.get(n)!] : []));
    const previous = deps.length ? deps.reduce((a, b) => (ms(b.endedAt) > ms(a.endedAt) ? b : a)) : undefined;
    totals.dispatch += (ms(current.startedAt) - (previous ? ms(previous.endedAt) : first)) / 1000;
    if (!previous) return totals;
    current = previous;
  }
}

interface Measured {
  deployments: DeploymentProgress[];
  counters: { reads: number; writes: number; throttled: number };
}

/** One build of `spec` on a fresh local runtime and sandbox; fails unless the build succeeds. */
async function measureBuild(spec: PlatformSpec): Promise<Measured> {
  return withSandboxRuntime(
    "provision",
    TIME_SCALE,
    async (runtime) => {
      const outcome = await runBuild(runtime, spec, "deploy");
      if (outcome.runtimeStatus !== "Completed")
        throw new Error(
          `the build of ${spec.clusters.length} clusters did not succeed: ${outcome.failure ?? outcome.runtimeStatus}`,
        );
      return { deployments: outcome.status!.deployments, counters: runtime.sandbox!.counters.snapshot() };
    },
    spec.subscriptionId,
  );
}

async function main(): Promise<void> {
  installFunctionsCore();
  const seed = await measureBuild(defaultSpec);
  const fleet = await measureBuild(fleetSpec(12));
  // The same 12 clusters connected by a Virtual Network Manager mesh (no peerings; the commit runs beside them).
  const fleetAvnm = await measureBuild({ ...fleetSpec(12), network: { topology: "virtualNetworkManager" } });
  const makespan = makespanSeconds(seed.deployments);
  const plan = buildPlan(defaultSpec);
  const critical = criticalPath(plan).totalSeconds;
  const floor = irreducibleChain(plan).totalSeconds;
  const counters = seed.counters;
  const overheads = chainOverheads(seed.deployments, plan);
  // The seed's Phase 1 with the durations this run measured.
  const measured = new Map(seed.deployments.map((d) => [d.name, seconds(d)]));
  const measuredDuration = (d: { name: string }): number => measured.get(d.name) ?? 0;
  const lines: [string, string | number][] = [
    ["provision.time_scale", TIME_SCALE],
    ["provision.makespan_minutes", (makespan / 60).toFixed(1)],
    ["provision.critical_path_minutes", (critical / 60).toFixed(1)],
    ["provision.irreducible_chain_minutes", (floor / 60).toFixed(1)],
    ["provision.critical_path_vs_floor", (critical / floor).toFixed(3)],
    ["provision.makespan_vs_critical_path", (makespan / critical).toFixed(3)],
    ["provision.makespan_vs_seed_strategy", (makespan / seedStrategySeconds(plan, measuredDuration)).toFixed(3)],
    ["provision.chain_hops", overheads.hops],
    ["provision.chain_dispatch_seconds", overheads.dispatch.toFixed(0)],
    ["provision.chain_overrun_seconds", overheads.overrun.toFixed(0)],
    ["provision.arm_reads_per_build", counters.reads],
    ["provision.arm_writes_per_build", counters.writes],
    ["provision.writes_share_of_hourly_budget", (counters.writes / HOURLY_WRITE_BUDGET).toFixed(3)],
    ["provision.throttled_429s", counters.throttled],
    ["provision.makespan_12_clusters_minutes", (makespanSeconds(fleet.deployments) / 60).toFixed(1)],
    ["provision.makespan_12_vs_3", (makespanSeconds(fleet.deployments) / makespan).toFixed(3)],
    ["provision.arm_reads_12_clusters", fleet.counters.reads],
    ["provision.throttled_429s_12_clusters", fleet.counters.throttled],
    ["provision.makespan_12_avnm_vs_3", (makespanSeconds(fleetAvnm.deployments) / makespan).toFixed(3)],
    ["provision.arm_reads_12_avnm", fleetAvnm.counters.reads],
    ["provision.throttled_429s_12_avnm", fleetAvnm.counters.throttled],
  ];
  for (const [name, value] of lines) console.log(`${name}: ${value}`);
}

void main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
