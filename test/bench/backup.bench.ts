// OPS-5 verification cost: wall time and ARM requests per backup instance for vaults of 3, 30 and 300 instances,
// against the sandbox ARM with a fixed latency injected into every request (the sandbox itself answers in
// microseconds). Throttling is off so the figures show our own concurrency, not the sandbox's token bucket.
// Bounded concurrency shows as: requests in flight never exceed the limit, and 100x the instances costs far
// less than 100x the time of a serial run.
import { createArmConnection, DataProtectionClient } from "../../lib/azure";
import { RestoreClient, verifyVault } from "../../lib/backup";
import { startBackupFixture, type BackupFixture } from "../backup/helpers";

const LATENCY_MS = 20;
const CONCURRENCY = 8;

interface Run {
  seconds: number;
  requests: number;
  maxInFlight: number;
}

async function measure(instances: number, concurrency: number): Promise<Run> {
  // The default spec has 3 backed-up clusters; the rest are synthetic instances in the same vault.
  const f: BackupFixture = await startBackupFixture({ extraInstances: instances - 3, throttle: false });
  f.sandbox.faults.add({ effect: { kind: "latency", ms: LATENCY_MS } });
  f.sandbox.counters.reset();
  try {
    const connection = createArmConnection({ armEndpoint: f.sandbox.url, token: f.sandbox.token, ca: f.sandbox.caPem });
    const clients = {
      dp: new DataProtectionClient(connection, f.sandbox.subscriptionId),
      restore: new RestoreClient(connection, f.sandbox.subscriptionId),
    };
    const started = process.hrtime.bigint();
    const report = await verifyVault(clients, f.spec, f.vault, { now: f.sandbox.clock.now(), concurrency });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (report.instances.length !== instances || report.summary.unhealthy !== 0) {
      throw new Error(
        `expected ${instances} healthy instances, got ${JSON.stringify(report.summary)} of ${report.instances.length}`,
      );
    }
    const counters = f.sandbox.counters.snapshot();
    return { seconds, requests: counters.reads + counters.writes, maxInFlight: counters.maxInFlight };
  } finally {
    await f.stop();
  }
}

async function main(): Promise<void> {
  const r3 = await measure(3, CONCURRENCY);
  const r30 = await measure(30, CONCURRENCY);
  const r300 = await measure(300, CONCURRENCY);
  const serial30 = await measure(30, 1);
  const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;
  console.log(`backup.verify_seconds_3: ${round(r3.seconds)}`);
  console.log(`backup.verify_seconds_30: ${round(r30.seconds)}`);
  console.log(`backup.verify_seconds_300: ${round(r300.seconds)}`);
  console.log(`backup.verify_requests_per_instance: ${round(r300.requests / 300, 2)}`);
  console.log(`backup.verify_requests_per_instance_3: ${round(r3.requests / 3, 2)}`);
  console.log(`backup.scaling_300_vs_3: ${round(r300.seconds / r3.seconds, 1)}`);
  console.log(`backup.max_requests_in_flight_300: ${r300.maxInFlight}`);
  console.log(`backup.concurrency_limit: ${CONCURRENCY}`);
  console.log(`backup.speedup_30_bounded_vs_serial: ${round(serial30.seconds / r30.seconds, 1)}`);
  console.log(`backup.injected_latency_ms: ${LATENCY_MS}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
