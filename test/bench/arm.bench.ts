// Benchmark (not a test): the offline ARM engine expanding the whole default plan (every template of the build),
// as `aks-platform plan`, the sandbox ARM (on every deployment) and the tests do.
import { performance } from "node:perf_hooks";
import { buildPlan, planDeployments } from "../../lib/plan";
import { defaultSpec } from "../../lib/spec";

const ROUNDS = 20;

function main(): void {
  const first = performance.now();
  const plan = buildPlan(defaultSpec);
  const firstMs = performance.now() - first;
  const resources = planDeployments(plan).reduce((n, d) => n + d.resources.length, 0);

  const started = performance.now();
  for (let i = 0; i < ROUNDS; i++) buildPlan(defaultSpec);
  const warmMs = (performance.now() - started) / ROUNDS;

  console.log(`arm.plan_resources: ${resources}`);
  console.log(`arm.plan_first_expand_ms: ${firstMs.toFixed(1)}`);
  console.log(`arm.plan_expand_ms: ${warmMs.toFixed(1)}`);
  console.log(`arm.resources_per_sec: ${Math.round(resources / (warmMs / 1000))}`);
}

main();
