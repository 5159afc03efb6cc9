import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createArmConnection, DataProtectionClient, type ArmConnection } from "../../lib/azure";
import { RestoreClient, seedBackupState, type VaultRef } from "../../lib/backup";
import { defaultSpec, type PlatformSpec } from "../../lib/spec";
import { startSandboxArm, type SandboxArm, type SandboxOptions } from "../../local/sandbox";

/**
 * A sandbox ARM seeded with the default spec's Data Protection state. Unhealthy states (protection stopped,
 * malformed answers, failing jobs) are set through the sandbox's own controls and faults.
 */

export interface BackupFixture {
  sandbox: SandboxArm;
  spec: PlatformSpec;
  vault: VaultRef;
  connection: ArmConnection;
  clients(): { dp: DataProtectionClient; restore: RestoreClient };
  stop(): Promise<void>;
}

/** Sandbox at 2026-11-20 02:30 UTC (or `startTime`), seeded, then `days` days of the daily 02:00 schedule run. */
export async function startBackupFixture(
  options: SandboxOptions & { days?: number; endAt?: Date; extraInstances?: number } = {},
): Promise<BackupFixture> {
  const { days = 3, endAt, extraInstances, ...sandboxOptions } = options;
  const dir = mkdtempSync(path.join(tmpdir(), "backup-verify-"));
  const sandbox = await startSandboxArm({
    stateDir: dir,
    timeScale: 1000,
    startTime: "2026-11-20T02:30:00Z",
    ...sandboxOptions,
  });
  const connection = createArmConnection({
    armEndpoint: sandbox.url,
    token: sandbox.token,
    ca: sandbox.caPem,
    retryOptions: { retryDelayInMs: 20, maxRetryDelayInMs: 100 },
  });
  const spec: PlatformSpec = { ...defaultSpec, subscriptionId: sandbox.subscriptionId };
  const vault = await seedBackupState(connection, spec, extraInstances !== undefined ? { extraInstances } : {});
  // Slow enough that the test controls the schedule, fast enough that Data Protection LROs (30 s) end in 0.5 s.
  sandbox.clock.setTimeScale(60);
  // `endAt` ends the schedule at a given time (e.g. the real now, which a durable orchestration judges by).
  const seconds = endAt !== undefined ? (endAt.getTime() - sandbox.clock.now().getTime()) / 1000 : days * 86_400;
  if (seconds > 0) sandbox.clock.advance(seconds);
  return {
    sandbox,
    spec,
    vault,
    connection,
    clients() {
      return {
        dp: new DataProtectionClient(connection, sandbox.subscriptionId),
        restore: new RestoreClient(connection, sandbox.subscriptionId),
      };
    },
    async stop() {
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
