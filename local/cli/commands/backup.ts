import { existsSync } from "node:fs";
import { Option } from "commander";
import { createArmConnection, DataProtectionClient, type ArmConnection } from "../../../lib/azure";
import {
  BackupReadError,
  reportHealthy,
  renderText,
  RestoreClient,
  vaultOf,
  verifyVault,
  type BackupReport,
  type VaultRef,
} from "../../../lib/backup";
import { defaultSpec, type PlatformSpec } from "../../../lib/spec";
import { startSandboxArm, type SandboxArm } from "../../sandbox";
import { CliUsageError } from "../errors";
import { inSandbox, sandboxOptionsFor, STATE_DIR_HELP, stateDirOf } from "../../build/target";
import { outputFormat, printData } from "../output";
import { recordedSpec } from "./down";
import type { RegisterCommand } from "./index";

/**
 * `aks-platform backup verify`: the OPS-5 check on demand, against Azure, any ARM-compatible endpoint, or the
 * sandbox platform `aks-platform up --sandbox` built (its vault, judged on its simulated clock). Exit 0 all healthy,
 * 1 any not, 2 usage error, 3 the vault cannot be read.
 */

interface VerifyOptions {
  subscription?: string;
  resourceGroup?: string;
  vault?: string;
  sandbox?: boolean;
  env: string;
  stateDir?: string;
  armEndpoint?: string;
  now?: string;
  format?: "json" | "text";
  concurrency: string;
  validateRestore?: boolean;
}

/** What `--format json` prints: the report's instances with the fields the issue names. */
export function toCliJson(report: BackupReport): unknown {
  return {
    generatedAt: report.generatedAt,
    vault: report.vault,
    instances: report.instances.map((r) => ({
      name: r.name,
      ...(r.cluster !== undefined ? { cluster: r.cluster } : {}),
      datasource: r.datasource,
      protectionStatus: r.protectionStatus,
      protectionState: r.protectionState,
      latestRecoveryPoint: r.latestRecoveryPoint,
      ageHours: r.ageHours,
      lastJob: r.lastJob,
      verdict: r.verdict,
      problems: r.problems,
      ...(r.since !== undefined ? { since: r.since } : {}),
    })),
    ...(report.restoreValidation ? { restoreValidation: report.restoreValidation } : {}),
    summary: { healthy: report.summary.healthy, unhealthy: report.summary.unhealthy },
  };
}

function parseNow(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(ms))
    throw new CliUsageError(`--now must be an ISO date-time such as 2026-11-24T03:00:00Z, not '${value}'`);
  return new Date(ms);
}

function connectionFor(endpoint: string | undefined): ArmConnection {
  try {
    // NODE_EXTRA_CA_CERTS covers a self-signed endpoint; AKS_PLATFORM_ARM_TOKEN a loopback one.
    return createArmConnection(endpoint !== undefined ? { armEndpoint: endpoint } : {});
  } catch (err) {
    throw new CliUsageError(`--arm-endpoint: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * The sandbox platform `aks-platform up --sandbox` built (its state file under the state folder), or undefined when
 * nothing was built there: the check reads the same vault that build, teardown and restore use.
 */
async function openBuiltSandbox(
  stateDir: string,
  env: string,
): Promise<{ sandbox: SandboxArm; connection: ArmConnection; spec: PlatformSpec } | undefined> {
  const options = sandboxOptionsFor(stateDir, 1);
  if (options.stateFile === undefined || !existsSync(options.stateFile)) return undefined;
  const spec = inSandbox((await recordedSpec(stateDir, { env })) ?? defaultSpec);
  const sandbox = await startSandboxArm(options);
  const connection = createArmConnection({ armEndpoint: sandbox.url, token: sandbox.token, ca: sandbox.caPem });
  return { sandbox, connection, spec };
}

export const register: RegisterCommand = (program, setExitCode) => {
  const backup = program.command("backup").description("Backup operations (OPS-5).");
  backup
    .command("verify")
    .description(
      "Verify every backup instance of the vault: protection, newest recovery point age, last job, retention; a missing cluster is a finding.",
    )
    .option("--subscription <id>", "Azure subscription of the vault")
    .option("--resource-group <name>", "resource group of the Backup vault (default: the spec's common group)")
    .option("--vault <name>", "Backup vault name (default: the spec's)")
    .option(
      "--sandbox",
      "check the vault of the sandbox platform `aks-platform up --sandbox` built (e.g. by `npm start`)",
    )
    .option("--env <name>", "sandbox: environment `up` built", defaultSpec.name)
    .option("--state-dir <dir>", STATE_DIR_HELP)
    .option(
      "--arm-endpoint <url>",
      "any ARM-compatible https endpoint (loopback: token from AKS_PLATFORM_ARM_TOKEN; self-signed: NODE_EXTRA_CA_CERTS)",
    )
    .option("--now <iso-time>", "judge ages as of this time (default: now)")
    .option("--concurrency <n>", "instances read at once", "8")
    .option("--validate-restore", "also validate a restore of tonight's rotating pick")
    .addOption(new Option("--format <format>", "the same as -o json / -o table").choices(["json", "text"]))
    .action(async (options: VerifyOptions) => {
      let now = parseNow(options.now);
      const concurrency = Number(options.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
        throw new CliUsageError("--concurrency must be an integer from 1 to 64");
      if (options.sandbox && (options.subscription !== undefined || options.armEndpoint !== undefined)) {
        throw new CliUsageError("--sandbox runs its own ARM endpoint: leave out --subscription and --arm-endpoint");
      }
      if (!options.sandbox && options.subscription === undefined)
        throw new CliUsageError(
          "give --subscription (with --resource-group and --vault, or the spec's defaults), or --sandbox",
        );

      let sandbox: SandboxArm | undefined;
      let connection: ArmConnection;
      let spec: PlatformSpec = defaultSpec;
      if (options.sandbox) {
        const stateDir = stateDirOf(options);
        const built = await openBuiltSandbox(stateDir, options.env);
        if (!built) {
          process.stderr.write(
            `error: no sandbox platform has been built in ${stateDir}: run \`npm start\` (aks-platform up --sandbox) first\n`,
          );
          setExitCode(2);
          return;
        }
        ({ sandbox, connection, spec } = built);
        // Ages are judged on the sandbox's own (time-scaled) clock, the one its backups ran on.
        if (options.now === undefined) now = sandbox.clock.now();
      } else {
        connection = connectionFor(options.armEndpoint);
        spec = { ...defaultSpec, subscriptionId: options.subscription! };
      }
      const base = vaultOf(spec);
      const vault: VaultRef = {
        ...base,
        resourceGroup: options.resourceGroup ?? base.resourceGroup,
        vault: options.vault ?? base.vault,
      };
      try {
        const clients = {
          dp: new DataProtectionClient(connection, vault.subscriptionId),
          restore: new RestoreClient(connection, vault.subscriptionId),
        };
        let report: BackupReport;
        try {
          report = await verifyVault(clients, spec, vault, {
            now,
            concurrency,
            ...(options.validateRestore ? { validateRestore: true } : {}),
          });
        } catch (err) {
          if (err instanceof BackupReadError) {
            process.stderr.write(
              `error: cannot read Backup vault ${vault.vault} in ${vault.resourceGroup}: ${err.message}\n`,
            );
            setExitCode(3);
            return;
          }
          throw err;
        }
        printData(outputFormat(options.format), toCliJson(report), () => renderText(report));
        setExitCode(reportHealthy(report) ? 0 : 1);
      } finally {
        await sandbox?.close();
      }
    });
};
