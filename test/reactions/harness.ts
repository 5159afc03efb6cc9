import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startAzurite, type AzuriteHandle } from "../../local/azurite";
import { DurableDriver } from "../../local/durable/driver";
import { loadApp } from "../../local/registry";
import { startSandboxArm, type SandboxArm } from "../../local/sandbox";
import { startSink, type Sink } from "../helpers/sink";
import { deploySandboxClusters } from "../../local/cli/commands/events";
import { spec, SUBSCRIPTION } from "./helpers";

/**
 * The real parts the reactions use: the sandbox ARM with simulated AKS clusters of the default spec (Karpenter Spot
 * nodes, pods), Azurite (durable state, notify outbox) and a Teams/Slack sink, with the app settings pointing at
 * them, and the whole app loaded as the Functions host loads it. Settings are read once per process (lib/config), so
 * each test file starts one harness.
 */

export interface ReactionsHarness {
  sandbox: SandboxArm;
  azurite: AzuriteHandle;
  sink: Sink;
  /** Bodies of the messages that reached one channel (Teams card / Slack blocks JSON text). */
  bodies(channel: "teams" | "slack"): string[];
  stop(): Promise<void>;
}

const SETTINGS = [
  "AKS_PLATFORM_ARM_ENDPOINT",
  "AKS_PLATFORM_ARM_TOKEN",
  "AKS_PLATFORM_ARM_CA_FILE",
  "AzureWebJobsStorage",
  "AKS_PLATFORM_TEAMS_WEBHOOK_URL",
  "AKS_PLATFORM_SLACK_WEBHOOK_URL",
  "AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS",
];

export async function startReactionsHarness(clusters: string[], timeScale = 600): Promise<ReactionsHarness> {
  const saved = SETTINGS.map((name) => [name, process.env[name]] as const);
  const dir = mkdtempSync(path.join(tmpdir(), "reactions-"));
  let sandbox: SandboxArm | undefined;
  let azurite: AzuriteHandle | undefined;
  let sink: Sink | undefined;
  // Whatever was started is stopped, also when a later part fails to start.
  const stop = async () => {
    try {
      await sink?.close();
      await azurite?.stop();
      await sandbox?.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  };
  try {
    sandbox = await startSandboxArm({ stateDir: dir, timeScale, subscriptionId: SUBSCRIPTION, throttle: false });
    azurite = await startAzurite();
    const notified = (sink = await startSink({ defaultResponse: { status: 200, body: "ok" } }));
    Object.assign(process.env, {
      AKS_PLATFORM_ARM_ENDPOINT: sandbox.url,
      AKS_PLATFORM_ARM_TOKEN: sandbox.token,
      AKS_PLATFORM_ARM_CA_FILE: sandbox.caPath,
      AzureWebJobsStorage: azurite.connectionString,
      AKS_PLATFORM_TEAMS_WEBHOOK_URL: `${sink.url}/teams`,
      AKS_PLATFORM_SLACK_WEBHOOK_URL: `${sink.url}/slack`,
      AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS: sink.host,
    });
    await deploySandboxClusters(sandbox, spec, clusters);
    await loadApp();
    return {
      sandbox,
      azurite,
      sink,
      bodies: (channel) => notified.requestsTo(`/${channel}`).map((r) => r.body),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A started durable driver on the harness's Azurite, its timers `factor` times faster than real time. */
export async function startHarnessDriver(h: ReactionsHarness, taskHub: string, factor: number): Promise<DurableDriver> {
  const driver = new DurableDriver({
    connectionString: h.azurite.connectionString,
    taskHub,
    clock: { kind: "scaled", factor },
    log: () => undefined,
  });
  await driver.start();
  return driver;
}

/** How many message bodies mention `text`. */
export const count = (bodies: string[], text: string) => bodies.filter((b) => b.includes(text)).length;
