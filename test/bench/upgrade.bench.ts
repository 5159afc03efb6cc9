// Issue 20: a full three-stage upgrade (Kubernetes 1.33 → 1.34 on mgmt, app1, app2, the default 30-minute soak
// between stages) against the sandbox's upgrade model, through the real orchestrations on the local durable
// driver. Figures are simulated minutes on the run's durable clock: the run's makespan and the sum of its
// clusters' own upgrades (first step start to last step end, gates included). Stages never overlap, so the ratio
// is at least 1; what is above 1 is the soaks, the waits between polls and the stage hand-overs.
import { upgradeInstanceId } from "../../lib/upgrade";
import { defaultSpec } from "../../lib/spec";
import { runBuild } from "../../local/build/runner";
import { driverUpgradeInstances } from "../../local/upgrade/instances";
import type { UpgradeRunStatus } from "../../orchestrations/upgrade/contracts";
import { startPlatform } from "../helpers/platform";

const minutes = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 60_000;

async function main(): Promise<void> {
  const spec = { ...defaultSpec };
  const runtime = await startPlatform({ spec });
  try {
    const build = await runBuild(runtime, spec, "deploy");
    if (build.runtimeStatus !== "Completed") throw new Error(`build ${build.runtimeStatus}: ${build.failure ?? ""}`);
    const instances = driverUpgradeInstances(runtime.driver);
    await instances.start(upgradeInstanceId(spec.name), {
      runId: "bench",
      spec,
      target: { kubernetesVersion: "1.34" },
      approved: true,
    });
    const done = await runtime.driver.waitForCompletion(upgradeInstanceId(spec.name), { timeoutMs: 900_000 });
    const run = done.customStatus as UpgradeRunStatus;
    if (run.state !== "succeeded") throw new Error(`upgrade ${run.state}: ${JSON.stringify(run.stages)}`);
    const perCluster = run.stages.flatMap((s) =>
      s.clusters.map((c) => minutes(c.steps[0]!.startedAt!, c.steps.at(-1)!.endedAt!)),
    );
    const sum = perCluster.reduce((a, b) => a + b, 0);
    const makespan = minutes(run.startedAt, run.endedAt!);
    console.log(`upgrade.makespan_vs_sum_of_clusters: ${(makespan / sum).toFixed(3)}`);
    console.log(`upgrade.makespan_minutes: ${makespan.toFixed(1)}`);
    console.log(`upgrade.sum_of_clusters_minutes: ${sum.toFixed(1)}`);
    console.log(`upgrade.cluster_minutes: ${perCluster.map((m) => m.toFixed(1)).join(" / ")}`);
  } finally {
    await runtime.stop();
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
