// Benchmark (not a test): what drift detection costs in ARM requests. The seed platform is built in the sandbox, then
// one full sweep runs (the driftCheck orchestration over every unit, with the deployment-history clean-up the sweep
// does once per interval) and the sandbox counts the requests. Per hour = one sweep per `drift.sweepIntervalHours`
// (events add one targeted check per burst of someone else's writes, not counted here), against the subscription's
// read budget of ~12,000 per hour (azure-notes.md, ARM limits).
import { Orchestrations } from "../../lib/function-names";
import { defaultSpec } from "../../lib/spec";
import { runBuild, runOrchestration } from "../../local/build/runner";
import { withSandboxRuntime } from "./sandbox-runtime";
import type { DriftCheckInput, DriftCheckResult } from "../../orchestrations/drift/contracts";

const TIME_SCALE = 600;
const HOURLY_READ_BUDGET = 12_000;

async function main(): Promise<void> {
  await withSandboxRuntime("drift", TIME_SCALE, async (runtime) => {
    const build = await runBuild(runtime, defaultSpec, "deploy");
    if (build.runtimeStatus !== "Completed") throw new Error(`the build did not succeed: ${build.failure ?? ""}`);
    runtime.sandbox!.counters.reset();
    const result = (await runOrchestration(runtime.driver, Orchestrations.driftCheck, "bench-drift-sweep", {
      spec: defaultSpec,
      trigger: "sweep",
      cleanHistory: true,
    } satisfies DriftCheckInput)) as DriftCheckResult;
    if (result.report.findings.length > 0 || result.report.errors.length > 0)
      throw new Error(`the fresh platform should have no drift: ${JSON.stringify(result.report)}`);
    const counters = runtime.sandbox!.counters.snapshot();
    const perHour = counters.reads / defaultSpec.drift.sweepIntervalHours;
    const lines: [string, string | number][] = [
      ["drift.units_per_sweep", result.report.units.length],
      ["drift.arm_reads_per_sweep", counters.reads],
      ["drift.arm_writes_per_sweep", counters.writes],
      ["drift.arm_reads_per_hour", perHour.toFixed(1)],
      ["drift.read_budget_fraction", (perHour / HOURLY_READ_BUDGET).toFixed(4)],
    ];
    for (const [name, value] of lines) console.log(`${name}: ${value}`);
  });
}

void main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
