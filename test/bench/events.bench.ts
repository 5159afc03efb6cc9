// Event classification benchmark: parse + classify + dedupe of single-event deliveries (the Event Grid webhook
// path), and of 100-event batches. Prints `name: value` lines; run with `node --import tsx test/bench/events.bench.ts`.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { classifyDelivery, EventClassifier } from "../../lib/events";
import { defaultSpec } from "../../lib/spec";

const SUB = "3f2e8c1a-5b7d-4e9f-a1c2-9d8e7f6a5b4c";
const fixtures = path.resolve(__dirname, "../fixtures/events");

/** Realistic mix: mostly evictions (a storm), plus every good fixture. */
function corpus(): string[] {
  const bodies = readdirSync(fixtures)
    .filter((f) => !f.startsWith("garbage-"))
    .map((f) => readFileSync(path.join(fixtures, f), "utf8"));
  for (let i = 0; i < 400; i++) {
    const cluster = ["mgmt", "app1", "app2"][i % 3] ?? "app1";
    const target = `/subscriptions/${SUB}/resourceGroups/rg-k8s-demo-${cluster}-nodes/providers/Microsoft.Compute/virtualMachines/aks-spot-d-${i.toString(36)}`;
    const time = new Date(Date.UTC(2026, 10, 20, 3, 16) + i * 250).toISOString();
    bodies.push(
      JSON.stringify({
        id: `bench-${i}`,
        topic: `/subscriptions/${SUB}`,
        subject: target,
        eventType: "Microsoft.ResourceNotifications.HealthResources.ResourceAnnotated",
        dataVersion: "1",
        metadataVersion: "1",
        eventTime: time,
        data: {
          resourceInfo: {
            id: `${target}/providers/Microsoft.ResourceHealth/resourceAnnotations/bench-${i}`,
            properties: {
              targetResourceId: target,
              occurredTime: time,
              annotationName: "VirtualMachinePreempted",
              reason: "Preempted by Azure",
            },
          },
          operationalInfo: { resourceEventTime: time },
        },
      }),
    );
  }
  return bodies;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const classifier = new EventClassifier({ spec: defaultSpec });
  const bodies = corpus();
  for (const body of bodies) await classifyDelivery(body, classifier); // warm-up (JIT, SDK mappers)

  const latenciesUs: number[] = [];
  const seen = new Set<string>();
  let events = 0;
  const deadline = performance.now() + 2_000;
  const started = performance.now();
  for (let round = 0; round < 50 && performance.now() < deadline; round++) {
    for (const body of bodies) {
      const t0 = performance.now();
      const result = await classifyDelivery(body, classifier);
      if (result.ok) {
        for (const item of result.items) {
          if (!item.ok) continue;
          events++;
          seen.add(item.event.dedupeKey);
        }
      }
      latenciesUs.push((performance.now() - t0) * 1000);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  latenciesUs.sort((a, b) => a - b);

  // 100-event batches, as Event Grid delivers with batching enabled.
  const batches: string[] = [];
  const singles = bodies.filter((b) => b.trimStart().startsWith("{"));
  for (let i = 0; i + 100 <= singles.length; i += 100) batches.push(`[${singles.slice(i, i + 100).join(",")}]`);
  let batchEvents = 0;
  const batchStart = performance.now();
  for (let round = 0; round < 20 && performance.now() - batchStart < 1_500; round++) {
    for (const batch of batches) {
      const result = await classifyDelivery(batch, classifier);
      if (result.ok) batchEvents += result.items.length;
    }
  }
  const batchSeconds = (performance.now() - batchStart) / 1000;

  console.log(`events.classify_per_sec: ${Math.round(events / seconds)}`);
  console.log(`events.classify_p50_us: ${percentile(latenciesUs, 50).toFixed(1)}`);
  console.log(`events.classify_p99_us: ${percentile(latenciesUs, 99).toFixed(1)}`);
  console.log(`events.classify_batch100_per_sec: ${Math.round(batchEvents / batchSeconds)}`);
  console.log(`events.dedupe_distinct_keys: ${seen.size}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
