import { mkdtempSync, rmSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Option } from "commander";
import { classifyDelivery, EventClassifier, MAX_DELIVERY_BYTES, parseResourceId } from "../../../lib/events";
import type { DomainEvent } from "../../../lib/events";
import { createArmConnection, DeploymentsAdapter, ResourceGroupsAdapter } from "../../../lib/azure";
import { Functions } from "../../../lib/function-names";
import { reactionFor } from "../../../lib/ops/reactions";
import { driverReactionClient, react, type ReactionOutcome } from "../../../lib/ops/reactions-dispatch";
import { startAzurite } from "../../azurite";
import { DurableDriver } from "../../durable/driver";
import { loadApp } from "../../registry";
import { startSandboxArm, type SandboxArm } from "../../sandbox";
import type { PlatformSpec } from "../../../lib/spec";
import { CliUsageError } from "../errors";
import { outputFormat, printData } from "../output";
import { readSpec } from "../spec-input";
import type { RegisterCommand } from "./index";

/** `aks-platform events classify FILE…`: what the app would make of delivered events, offline. */

interface ClassifyOptions {
  spec?: string;
  format?: "json" | "text";
  tlsPattern?: string;
}

/** One output row: a classified event, or why a file (or one element of its batch) is not usable. */
type Row =
  | ({ file: string; index?: number } & Pick<
      DomainEvent,
      "kind" | "eventType" | "subject" | "resourceId" | "cluster" | "pool" | "severity" | "dedupeKey" | "reason"
    > & {
        watchKey?: string;
      })
  | { file: string; index?: number; error: string };

function toRow(file: string, index: number | undefined, event: DomainEvent): Row {
  return {
    file,
    ...(index !== undefined ? { index } : {}),
    kind: event.kind,
    eventType: event.eventType,
    subject: event.subject,
    ...(event.resourceId !== undefined ? { resourceId: event.resourceId } : {}),
    ...(event.cluster !== undefined ? { cluster: event.cluster } : {}),
    ...(event.pool !== undefined ? { pool: event.pool } : {}),
    severity: event.severity,
    dedupeKey: event.dedupeKey,
    reason: event.reason,
    ...(event.kind === "spot-eviction" ? { watchKey: event.watchKey } : {}),
  };
}

async function classifyFile(file: string, classifier: EventClassifier): Promise<Row[]> {
  let body: string;
  try {
    // Checked before reading: a delivery can never be larger, and a huge file should not be loaded whole.
    const info = await stat(file);
    if (!info.isFile()) return [{ file, error: "not a regular file" }];
    if (info.size > MAX_DELIVERY_BYTES)
      return [{ file, error: `too large: ${info.size} bytes; a delivery holds at most ${MAX_DELIVERY_BYTES}` }];
    body = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return [{ file, error: code === "ENOENT" ? "no such file" : `cannot read the file (${code ?? String(err)})` }];
  }
  const delivery = await classifyDelivery(body, classifier);
  if (!delivery.ok) return [{ file, error: delivery.problem.message }];
  return delivery.items.map((item) => {
    const index = delivery.batch ? item.index : undefined;
    return item.ok
      ? toRow(file, index, item.event)
      : { file, ...(index !== undefined ? { index } : {}), error: item.error };
  });
}

function renderText(rows: Row[]): string {
  return rows
    .map((row) => {
      const where = `${row.file}${row.index !== undefined ? `#${row.index}` : ""}`;
      if ("error" in row) return `${where}: error: ${row.error}`;
      const target = row.cluster !== undefined ? ` ${row.cluster}${row.pool !== undefined ? `/${row.pool}` : ""}` : "";
      return `${where}: ${row.kind} ${row.severity}${target} ${row.eventType} — ${row.reason}`;
    })
    .join("\n");
}

function tlsPattern(text: string | undefined): RegExp | undefined {
  if (text === undefined) return undefined;
  try {
    return new RegExp(text, "i");
  } catch (err) {
    throw new CliUsageError(
      `--tls-pattern is not a regular expression: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

export const register: RegisterCommand = (program, setExitCode) => {
  const events = program
    .command("events")
    .description("Work with Event Grid / CloudEvents / Azure Monitor alert payloads offline.");
  events
    .command("classify")
    .description(
      "Classify events from files (one event, a batch array, or an Azure Monitor common-alert payload each).",
    )
    .argument("<files...>", "files holding delivered event payloads")
    .option(
      "--spec <file>",
      "platform spec (JSON or YAML) for mapping resources to clusters; default: the seed spec k8s-demo",
    )
    .option(
      "--tls-pattern <regex>",
      "Key Vault object names that are platform TLS material (case-insensitive); default: tls",
    )
    .addOption(new Option("--format <format>", "the same as -o json / -o table").choices(["json", "text"]))
    .action(async (files: string[], options: ClassifyOptions) => {
      const spec: PlatformSpec = await readSpec(options.spec);
      const pattern = tlsPattern(options.tlsPattern);
      const classifier = new EventClassifier({ spec, ...(pattern !== undefined ? { tlsObjectPattern: pattern } : {}) });
      const rows: Row[] = [];
      for (const file of files) rows.push(...(await classifyFile(file, classifier)));
      printData(outputFormat(options.format), rows, () => `${renderText(rows)}\n`);
      if (rows.some((row) => "error" in row)) setExitCode(1);
    });
  registerReplay(events, setExitCode);
};

// ---- events replay -------------------------------------------------------------------------------------------

/** `aks-platform events replay FILE…`: delivers events to a running local host, or reacts in process. */

interface ReplayOptions {
  host?: string;
  key?: string;
  spec?: string;
  wait: string;
  format?: "json" | "text";
}

interface ReplayRow {
  file: string;
  index?: number;
  kind?: string;
  cluster?: string;
  reason?: string;
  /** Host mode: the webhook's HTTP status; in process: what the reaction did. */
  delivered?: string;
  instanceId?: string;
  runtimeStatus?: string;
  output?: unknown;
  error?: string;
}

const TERMINAL = new Set(["Completed", "Failed", "Terminated", "Canceled"]);

/** The Event Grid function whose subscription carries this kind of event (the app has one per topic). */
function functionFor(event: DomainEvent): string {
  if (event.kind === "certificate") return Functions.eventgridKeyVault;
  if (event.kind === "backup-failure") return Functions.eventgridCustom;
  return Functions.eventgridHealth;
}

async function readDelivery(file: string): Promise<string> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error("not a regular file");
    if (info.size > MAX_DELIVERY_BYTES) throw new Error(`too large: ${info.size} bytes`);
    return await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    throw new Error(code === "ENOENT" ? "no such file" : `cannot read the file (${code})`);
  }
}

/** The instance that reacts to the event (the same pure mapping the functions use). */
function instanceFor(event: DomainEvent, spec: PlatformSpec): string | undefined {
  const reaction = reactionFor(event, { spec });
  return reaction.type === "none" ? undefined : reaction.instanceId;
}

/** A replay file read and classified, or the reason it could not be read. */
async function readClassified(
  file: string,
  classifier: EventClassifier,
): Promise<
  { ok: true; body: string; delivery: Awaited<ReturnType<typeof classifyDelivery>> } | { ok: false; error: string }
> {
  try {
    const body = await readDelivery(file);
    return { ok: true, body, delivery: await classifyDelivery(body, classifier) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

async function replayToHost(files: string[], spec: PlatformSpec, options: ReplayOptions, deadline: number) {
  const base = (options.host ?? "").replace(/\/+$/, "");
  const key = options.key ?? "";
  const classifier = new EventClassifier({ spec });
  const rows: ReplayRow[] = [];
  for (const file of files) {
    const read = await readClassified(file, classifier);
    if (!read.ok) {
      rows.push({ file, error: read.error });
      continue;
    }
    const { body, delivery } = read;
    const events = delivery.ok ? delivery.items.flatMap((i) => (i.ok ? [i.event] : [])) : [];
    const first = events[0];
    const cloudEvents = first?.schema === "CloudEvents";
    const url =
      first?.schema === "MonitorAlert"
        ? `${base}/api/alerts/monitor`
        : `${base}/runtime/webhooks/eventgrid?functionName=${first ? functionFor(first) : Functions.eventgridHealth}`;
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": cloudEvents ? "application/cloudevents-batch+json" : "application/json",
        ...(cloudEvents ? {} : { "aeg-event-type": "Notification" }),
        ...(key ? { "x-functions-key": key } : {}),
      },
      body,
    });
    await response.arrayBuffer();
    if (events.length === 0) rows.push({ file, delivered: `HTTP ${response.status}`, error: "no event in the file" });
    events.forEach((event, index) => {
      const instanceId = instanceFor(event, spec);
      rows.push({
        file,
        ...(events.length > 1 ? { index } : {}),
        kind: event.kind,
        ...(event.cluster !== undefined ? { cluster: event.cluster } : {}),
        reason: event.reason,
        delivered: `HTTP ${response.status}`,
        ...(instanceId !== undefined ? { instanceId } : {}),
      });
    });
  }
  for (const row of rows) {
    if (row.instanceId === undefined) continue;
    const statusUrl = `${base}/runtime/webhooks/durabletask/instances/${encodeURIComponent(row.instanceId)}${key ? `?code=${encodeURIComponent(key)}` : ""}`;
    for (;;) {
      const response = await fetch(statusUrl);
      const status = response.ok
        ? ((await response.json()) as { runtimeStatus?: string; output?: unknown })
        : undefined;
      if (!response.ok) await response.arrayBuffer();
      row.runtimeStatus = status?.runtimeStatus ?? `HTTP ${response.status}`;
      if (status?.output !== undefined && status.output !== null) row.output = status.output;
      if ((status && TERMINAL.has(row.runtimeStatus)) || Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  return rows;
}

/** Minimal AKS clusters (node auto-provisioning: Karpenter Spot nodes with workload pods) for the sandbox. */
export async function deploySandboxClusters(
  sandbox: SandboxArm,
  spec: PlatformSpec,
  names: readonly string[],
): Promise<void> {
  const connection = createArmConnection({ armEndpoint: sandbox.url, token: sandbox.token, ca: sandbox.caPem });
  const deployments = new DeploymentsAdapter(connection, sandbox.subscriptionId);
  const groups = new ResourceGroupsAdapter(connection, sandbox.subscriptionId);
  for (const name of names) {
    const c = spec.clusters.find((x) => x.name === name);
    if (!c) throw new Error(`no cluster ${name} in spec ${spec.name}`);
    const ensured = await groups.ensure(c.resourceGroup, spec.location);
    if (!ensured.ok) throw new Error(`resource group ${c.resourceGroup}: ${ensured.error.message}`);
    const ref = { scope: "resourceGroup" as const, resourceGroup: c.resourceGroup, name: `cluster-${c.name}` };
    const template = {
      $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
      contentVersion: "1.0.0.0",
      resources: [
        {
          type: "Microsoft.ContainerService/managedClusters",
          apiVersion: "2026-05-01",
          name: c.aksName,
          location: spec.location,
          identity: { type: "SystemAssigned" },
          properties: {
            dnsPrefix: c.aksName,
            nodeResourceGroup: c.nodeResourceGroup,
            nodeProvisioningProfile: { mode: "Auto", defaultNodePools: "None" },
            // AKS-12: the Istio add-on only where the spec puts the ingress gateway (not on app2).
            serviceMeshProfile: c.addons.istioIngressGateway
              ? { mode: "Istio", istio: { revisions: [spec.istio.revision ?? "asm-1-26"] } }
              : { mode: "Disabled" },
            agentPoolProfiles: [
              {
                name: "system",
                mode: "System",
                count: c.pools.system.count,
                vmSize: c.pools.system.vmSize,
                availabilityZones: c.pools.system.zones,
              },
            ],
          },
        },
      ],
    };
    const started = await deployments.start({ ...ref, template, parameters: {} });
    if (!started.ok) throw new Error(`cluster ${c.name}: ${started.error.message}`);
    for (;;) {
      const status = await deployments.status(ref);
      if (!status.ok) throw new Error(`cluster ${c.name}: ${status.error.message}`);
      if (status.value.state === "failed") throw new Error(`cluster ${c.name}: the sandbox deployment failed`);
      if (status.value.state === "succeeded") break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const IN_PROCESS_SETTINGS = [
  "AKS_PLATFORM_ARM_ENDPOINT",
  "AKS_PLATFORM_ARM_TOKEN",
  "AKS_PLATFORM_ARM_CA_FILE",
  "AzureWebJobsStorage",
];

/**
 * No host: a fresh sandbox ARM holding the events' clusters, Azurite and the durable driver on a virtual clock
 * (durable timers complete as soon as nothing else runs), running the app's orchestrations and activities.
 */
async function replayInProcess(files: string[], spec: PlatformSpec, deadline: number): Promise<ReplayRow[]> {
  const classifier = new EventClassifier({ spec });
  const rows: ReplayRow[] = [];
  const events: { row: ReplayRow; event: DomainEvent }[] = [];
  for (const file of files) {
    const read = await readClassified(file, classifier);
    if (!read.ok) {
      rows.push({ file, error: read.error });
      continue;
    }
    const { delivery } = read;
    if (!delivery.ok) {
      rows.push({ file, error: delivery.problem.message });
      continue;
    }
    for (const item of delivery.items) {
      const index = delivery.batch ? { index: item.index } : {};
      if (!item.ok) rows.push({ file, ...index, error: item.error });
      else {
        const row: ReplayRow = {
          file,
          ...index,
          kind: item.event.kind,
          reason: item.event.reason,
          ...(item.event.cluster !== undefined ? { cluster: item.event.cluster } : {}),
        };
        rows.push(row);
        events.push({ row, event: item.event });
      }
    }
  }
  const subscriptionId = events
    .map(({ event }) =>
      event.resourceId !== undefined ? parseResourceId(event.resourceId)?.subscriptionId : undefined,
    )
    .find((s) => s !== undefined && /^[0-9a-f-]{36}$/i.test(s));
  const clusters = [...new Set(events.flatMap(({ event }) => (event.cluster !== undefined ? [event.cluster] : [])))];
  const dir = mkdtempSync(path.join(tmpdir(), "aks-platform-replay-"));
  const saved = IN_PROCESS_SETTINGS.map((name) => [name, process.env[name]] as const);
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const sandbox = await startSandboxArm({
      stateDir: dir,
      timeScale: 600,
      throttle: false,
      ...(subscriptionId ? { subscriptionId } : {}),
    });
    cleanups.push(() => sandbox.close());
    const azurite = await startAzurite();
    cleanups.push(() => azurite.stop());
    Object.assign(process.env, {
      AKS_PLATFORM_ARM_ENDPOINT: sandbox.url,
      AKS_PLATFORM_ARM_TOKEN: sandbox.token,
      AKS_PLATFORM_ARM_CA_FILE: sandbox.caPath,
      AzureWebJobsStorage: azurite.connectionString,
    });
    await deploySandboxClusters(sandbox, spec, clusters);
    // The app as the host would load it: every function, orchestration and activity registered.
    await loadApp();
    const driver = new DurableDriver({
      connectionString: azurite.connectionString,
      taskHub: "replay",
      clock: { kind: "virtual" },
      log: (level, name, message) => {
        if (level === "error") process.stderr.write(`${name}: ${message}\n`);
      },
    });
    cleanups.push(() => driver.stop());
    await driver.start();
    const client = driverReactionClient(driver);
    for (const { row, event } of events) {
      const outcome: ReactionOutcome = await react(event, client, { spec });
      row.delivered = outcome.action;
      if (outcome.instanceId !== undefined) row.instanceId = outcome.instanceId;
      if (outcome.action === "none") row.reason = outcome.reason;
    }
    for (const row of rows) {
      if (row.instanceId === undefined) continue;
      try {
        const status = await driver.waitForCompletion(row.instanceId, {
          timeoutMs: Math.max(1, deadline - Date.now()),
        });
        row.runtimeStatus = status.runtimeStatus;
        if (status.output !== null) row.output = status.output;
      } catch {
        row.runtimeStatus = (await driver.getStatus(row.instanceId))?.runtimeStatus ?? "unknown";
      }
    }
    return rows;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function renderReplay(rows: ReplayRow[]): string {
  return rows
    .map((r) => {
      const where = `${r.file}${r.index !== undefined ? `#${r.index}` : ""}`;
      if (r.error !== undefined) return `${where}: error: ${r.error}${r.delivered ? ` (${r.delivered})` : ""}`;
      const outcome = (r.output as { outcome?: string; action?: string } | undefined) ?? {};
      const result = outcome.outcome ?? outcome.action;
      return [
        `${where}: ${r.kind ?? "?"}${r.cluster !== undefined ? ` ${r.cluster}` : ""} → ${r.delivered ?? "?"}`,
        r.instanceId !== undefined ? ` ${r.instanceId} ${r.runtimeStatus ?? ""}${result ? ` (${result})` : ""}` : "",
        ` — ${r.reason ?? ""}`,
      ].join("");
    })
    .join("\n");
}

function registerReplay(
  events: ReturnType<Parameters<RegisterCommand>[0]["command"]>,
  setExitCode: (code: number) => void,
) {
  events
    .command("replay")
    .description(
      "Deliver events from files to a running local host's Event Grid webhook (--host), or react in process against " +
        "a fresh sandbox ARM; shows the classification, the orchestration instances and their final status.",
    )
    .argument("<files...>", "files holding delivered event payloads")
    .option("--host <url>", "base URL of a running `aks-platform serve`, e.g. http://127.0.0.1:7071")
    .option("--key <key>", "function or system key of the host (x-functions-key)")
    .option("--spec <file>", "platform spec (JSON or YAML); default: the seed spec k8s-demo")
    .option("--wait <seconds>", "how long to wait for the reactions to finish", "120")
    .addOption(new Option("--format <format>", "the same as -o json / -o table").choices(["json", "text"]))
    .action(async (files: string[], options: ReplayOptions) => {
      const wait = Number(options.wait);
      if (!Number.isFinite(wait) || wait < 0)
        throw new CliUsageError(`--wait "${options.wait}" is not a number of seconds`);
      const spec: PlatformSpec = await readSpec(options.spec);
      const deadline = Date.now() + wait * 1000;
      const rows = options.host
        ? await replayToHost(files, spec, options, deadline)
        : await replayInProcess(files, spec, deadline);
      printData(
        outputFormat(options.format),
        rows,
        () => `${renderReplay(rows)}
`,
      );
      if (rows.some((r) => r.error !== undefined || (r.runtimeStatus !== undefined && r.runtimeStatus !== "Completed")))
        setExitCode(1);
    });
}
