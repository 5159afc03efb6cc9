import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startAzurite, type AzuriteHandle } from "../../local/azurite";
import { DurableDriver } from "../../local/durable/driver";
import { startSandboxArm, type SandboxArm } from "../../local/sandbox";
import { startSink, type Sink } from "../helpers/sink";
import { deploySandboxClusters } from "../../local/cli/commands/events";
import { spec, SUBSCRIPTION } from "./helpers";

/**
 * The real parts the reactions use: the sandbox ARM with simulated AKS clusters of the default spec (Karpenter Spot
 * nodes, pods), Azurite (durable state, notify outbox) and a Teams/Slack sink, with the app settings pointing at
 * them. Settings are read once per process (lib/config), so each test file starts one harness.
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
  const sandbox = await startSandboxArm({ stateDir: dir, timeScale, subscriptionId: SUBSCRIPTION, throttle: false });
  const azurite = await startAzurite();
  const sink = await startSink({ defaultResponse: { status: 200, body: "ok" } });
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
  return {
    sandbox,
    azurite,
    sink,
    bodies: (channel) => sink.requestsTo(`/${channel}`).map((r) => r.body),
    async stop() {
      await sink.close();
      await azurite.stop();
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    },
  };
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
