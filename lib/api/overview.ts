import { z } from "zod";
import type { BackupReport, TrendPoint, Verdict } from "../backup";
import type { DriftReport } from "../drift/report";
import { Orchestrations, type OrchestrationName } from "../function-names";
import { RUNBOOKS, runbookLink, type OpsId } from "../notify/message";
import { expiryState, type ExpiryState } from "../ops/reactions";
import { buildPlan, PlanError, renderArchitectureMermaid } from "../plan";
import {
  rootCauses,
  type ArmErrorInfo,
  type BuildCancellation,
  type DeploymentProgress,
  type DeploymentState,
} from "../plan/progress";
import { buildGantt, makespanSeconds } from "../plan/timeline";
import type { PlatformSpec } from "../spec";
import { cancellationOf, buildInstanceId, mergedStatus, type BuildInstances } from "./builds";
import { clusterRemoval, type ClusterRemoval } from "./clusters";
import type { Environments } from "./environments";
import { methodNotAllowed, problem, routeNames, type ApiRequest, type ApiResponse } from "./http";
import type { UpgradeRunStatus } from "../upgrade";
import { upgradeInstanceId } from "./upgrades";

/**
 * The operations page's data: one JSON panel per part of the page, each read from the app's own records. A panel
 * whose source holds nothing yet says so (`no-data`) instead of showing made-up values; a source that cannot be
 * read says which one (`unavailable`). Which records feed each panel is `PANEL_SOURCES`, shown on the page too.
 */

export const PANELS = [
  "architecture",
  "provisioning",
  "clusters",
  "events",
  "certificates",
  "backups",
  "drift",
  "upgrades",
  "runbooks",
] as const;
export type PanelName = (typeof PANELS)[number];

export const PANEL_SOURCES: Record<PanelName, string> = {
  architecture:
    "The plan of the spec the environment was last submitted with (the registry of environments), or the seed default.",
  provisioning:
    "The last provisionPlatform instance: its custom status merged with its cluster sub-orchestrations' progress.",
  clusters:
    "Clusters and pools from the environment's registered spec; Spot signals from evictionWatch instances of the last 14 days; build state from the last build, unless a teardown of the cluster (teardownCluster instance) is newer.",
  events:
    "Instances of the reaction orchestrations (evictionWatch, certificateReaction, backupFailureReaction, lifecycleNotice) created in the last 14 days: their input event, status and result.",
  certificates:
    "The TLS secret read from Key Vault now (in Azure, or when AKS_PLATFORM_KEYVAULT_URL is set), and every certificate event a certificateReaction handled in the last 14 days.",
  backups:
    "The nightly backup verification reports (backup-reports blob container, one JSON per day) of the last 14 days.",
  drift:
    "The newest drift report of the environment (drift-reports blob container, latest.json): written by every drift check (events, sweep, remediation).",
  upgrades:
    "The environment's last upgradePlatform instance (instance id upgrade:<env>): its custom status, stage by stage, with each cluster's steps and failed gates.",
  runbooks:
    "The README runbook section of each OPS requirement: AKS_PLATFORM_RUNBOOK_URL when set, else the app's own /api/runbooks.",
};

/** How far back the page looks for events, Spot signals and backup reports. */
export const HISTORY_DAYS = 14;
/** The most event rows the page lists. */
export const MAX_EVENT_ROWS = 50;

/** One orchestration instance as a list query of the durable client returns it. */
export interface ListedInstance {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  input?: unknown;
  customStatus?: unknown;
  output?: unknown;
  createdTime: string;
  lastUpdatedTime: string;
}

export interface BackupHistory {
  /** One point per day that has a report, oldest first. */
  trend: TrendPoint[];
  latest?: BackupReport;
}

export interface CertificateReading {
  vault: string;
  secret: string;
  version: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  state: ExpiryState;
}

/** Where the page's data comes from: the durable client in Azure, the local driver outside; tests pass their own. */
export interface OverviewSources {
  builds: BuildInstances;
  /** The registry of environments: which ones exist, and the spec each was last submitted with. */
  environments: Pick<Environments, "find" | "list">;
  /** Instances of any orchestration created at or after `since`. */
  instancesSince(since: Date): Promise<ListedInstance[]>;
  /** Backup verification reports of `environment` for the `days` days up to `today` (YYYY-MM-DD). */
  backupHistory(environment: string, today: string, days: number): Promise<BackupHistory>;
  /** The ingress TLS certificate as Key Vault holds it now; absent where no Key Vault can be reached. */
  currentCertificate?(spec: PlatformSpec): Promise<CertificateReading>;
  /** The newest drift report of `environment`; absent where no report store is configured. */
  driftReport?(environment: string): Promise<DriftReport | undefined>;
  /** The README's web address for runbook links (README.md relative links without it). */
  runbookBaseUrl?: string;
  now(): Date;
}

export type PanelResult<T> =
  | { panel: PanelName; environment: string; source: string; state: "ok"; data: T }
  | { panel: PanelName; environment: string; source: string; state: "no-data" | "unavailable"; reason: string };

// ---- panel data shapes ------------------------------------------------------------------------------------------

export interface ArchitecturePanel {
  specFrom: "last build" | "seed default";
  mermaid: string;
  resourceGroups: string[];
}

export interface DeploymentRow {
  name: string;
  phase: string;
  cluster?: string;
  state: DeploymentState;
  startedAt?: string;
  endedAt?: string;
  durationSeconds?: number;
  reused?: boolean;
  /** ARM's error; `causes` are the innermost details (the wrapper's DeploymentFailed says little by itself). */
  error?: { code: string; message: string; causes: string[] };
}

export interface ProvisioningPanel {
  instanceId: string;
  /** Durable's status, except `Canceled` for a build a person cancelled (it completes with `canceled`). */
  runtimeStatus: string;
  /** What the cancel did to the work that was running: cancelled in ARM, awaited, never started. */
  canceled?: BuildCancellation;
  mode: string;
  startedAt?: string;
  lastUpdatedTime?: string;
  makespanSeconds: number;
  counts: Record<DeploymentState, number>;
  gantt?: string;
  deployments: DeploymentRow[];
}

export interface PoolRow {
  name: string;
  kind: "system" | "ingress" | "spot";
  detail: string;
  zones: string[];
}

export interface SpotSignals {
  evictions: number;
  watches: number;
  /** The newest watch's state: its phase while running, its outcome when done. */
  latest?: { instanceId: string; runtimeStatus: string; phase?: string; outcome?: string; reason?: string; at: string };
  /** A finished watch found no Spot capacity in any allowed zone. */
  noSpotCapacity: boolean;
}

export interface ClusterRow {
  name: string;
  role: string;
  aksName: string;
  resourceGroup: string;
  kubernetesVersion: string;
  tier: string;
  zones: string[];
  pools: PoolRow[];
  buildState?: DeploymentState;
  /** Torn down since the last build (RG-1): then `buildState` is left out, it describes what no longer exists. */
  removal?: ClusterRemoval;
  spot: SpotSignals;
}

export interface EventRow {
  instanceId: string;
  kind: "Spot eviction" | "Certificate" | "Backup failure" | "Cluster lifecycle";
  opsId: OpsId;
  runbook: string;
  cluster?: string;
  what: string;
  occurredAt?: string;
  startedAt: string;
  runtimeStatus: string;
  /** What the app did (or is doing) about it, from the instance's custom status and output. */
  did: string;
}

export interface CertificateRow {
  source: "key vault now" | "event";
  name: string;
  version?: string;
  expiresAt?: string;
  daysLeft?: number;
  state: ExpiryState | "unknown";
  did?: string;
  instanceId?: string;
}

export interface BackupsPanel {
  trend: TrendPoint[];
  days: number;
  latest?: {
    generatedAt: string;
    healthy: number;
    unhealthy: number;
    instances: { name: string; cluster?: string; verdict: Verdict; ageHours: number | null; problems: string[] }[];
  };
}

export interface RunbookRow {
  id: OpsId;
  heading: string;
  href: string;
}

// ---- the HTTP API -----------------------------------------------------------------------------------------------

/** `GET /environments/{env}/ops/{panel}`: one panel of the operations page as JSON. */
export async function handleOpsData(request: ApiRequest, sources: OverviewSources): Promise<ApiResponse> {
  if (request.method !== "GET") return methodNotAllowed(request.method, ["GET"]);
  const route = routeNames(request, ["env"]);
  if (!route.ok) return route.response;
  const { env } = route.names;
  const panel = request.params["panel"] ?? "";
  if (!isPanel(panel)) return problem(404, `no panel "${panel}"; the panels are ${PANELS.join(", ")}`);
  return {
    status: 200,
    headers: { "Cache-Control": "no-store" },
    jsonBody: await readPanel(panel, env, sources),
  };
}

export function isPanel(name: string): name is PanelName {
  return (PANELS as readonly string[]).includes(name);
}

export async function readPanel(
  panel: PanelName,
  env: string,
  sources: OverviewSources,
): Promise<PanelResult<unknown>> {
  const base = { panel, environment: env, source: PANEL_SOURCES[panel] };
  try {
    const outcome = await PANEL_READERS[panel](env, sources);
    return "reason" in outcome ? { ...base, ...outcome } : { ...base, state: "ok", data: outcome.data };
  } catch (err) {
    return { ...base, state: "unavailable", reason: `${panel}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

type Outcome<T> = { data: T } | { state: "no-data" | "unavailable"; reason: string };
const noData = (reason: string): Outcome<never> => ({ state: "no-data", reason });

const PANEL_READERS: Record<PanelName, (env: string, sources: OverviewSources) => Promise<Outcome<unknown>>> = {
  architecture: readArchitecture,
  provisioning: readProvisioning,
  clusters: readClusters,
  events: readEvents,
  certificates: readCertificates,
  backups: readBackups,
  drift: readDrift,
  upgrades: readUpgrades,
  runbooks: (_env, sources) => Promise.resolve({ data: runbooks(sources.runbookBaseUrl) }),
};

/** The last upgrade run: its stages, clusters, steps and failed gates (the run's own status, unchanged). */
export interface UpgradesPanel {
  instanceId: string;
  runtimeStatus: string;
  run: UpgradeRunStatus;
}

async function readUpgrades(env: string, sources: OverviewSources): Promise<Outcome<UpgradesPanel>> {
  const instanceId = upgradeInstanceId(env);
  const view = await sources.builds.get(instanceId);
  if (!view?.customStatus) return noData(`no upgrade run of environment ${env} has been started`);
  return { data: { instanceId, runtimeStatus: view.runtimeStatus, run: view.customStatus as UpgradeRunStatus } };
}

// ---- sources ----------------------------------------------------------------------------------------------------

interface SpecOfEnvironment {
  spec: PlatformSpec;
  from: "last build" | "seed default";
}

async function specOf(env: string, sources: OverviewSources): Promise<SpecOfEnvironment | undefined> {
  const record = await sources.environments.find(env);
  if (!record) return undefined;
  return { spec: record.spec, from: record.state === "offered" ? "seed default" : "last build" };
}

function since(sources: OverviewSources): Date {
  return new Date(sources.now().getTime() - HISTORY_DAYS * 86_400_000);
}

const noSpec = async (env: string, sources: OverviewSources) =>
  noData(
    `unknown environment ${env} (known: ${(await sources.environments.list()).map((r) => r.name).join(", ") || "none"})`,
  );

// ---- architecture -----------------------------------------------------------------------------------------------

async function readArchitecture(env: string, sources: OverviewSources): Promise<Outcome<ArchitecturePanel>> {
  const found = await specOf(env, sources);
  if (!found) return noSpec(env, sources);
  try {
    const plan = buildPlan(found.spec);
    return {
      data: {
        specFrom: found.from,
        mermaid: renderArchitectureMermaid(plan, found.spec),
        resourceGroups: [
          ...new Set([found.spec.commonResourceGroup, ...found.spec.clusters.map((c) => c.resourceGroup)]),
        ],
      },
    };
  } catch (err) {
    if (err instanceof PlanError) return { state: "unavailable", reason: `the plan cannot be built: ${err.message}` };
    throw err;
  }
}

// ---- provisioning -----------------------------------------------------------------------------------------------

const STATES: readonly DeploymentState[] = ["pending", "running", "succeeded", "failed", "skipped"];

async function readProvisioning(env: string, sources: OverviewSources): Promise<Outcome<ProvisioningPanel>> {
  const instanceId = buildInstanceId(env);
  const view = await sources.builds.get(instanceId);
  if (!view) return noData(`no build of environment ${env} has been started`);
  const status = await mergedStatus(view, sources.builds);
  const deployments = status?.deployments ?? [];
  const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<DeploymentState, number>;
  for (const d of deployments) counts[d.state]++;
  const started = deployments.filter((d) => d.startedAt !== undefined);
  const canceled = cancellationOf(view);
  return {
    data: {
      instanceId,
      runtimeStatus: canceled ? "Canceled" : view.runtimeStatus,
      ...(canceled ? { canceled } : {}),
      mode: status?.mode ?? "unknown",
      ...(status?.startedAt !== undefined ? { startedAt: status.startedAt } : {}),
      ...(view.lastUpdatedTime !== undefined ? { lastUpdatedTime: view.lastUpdatedTime } : {}),
      makespanSeconds: makespanSeconds(deployments),
      counts,
      ...(started.length > 0 ? { gantt: buildGantt(`Build of ${env}`, deployments) } : {}),
      deployments: deployments.map(deploymentRow),
    },
  };
}

function deploymentRow(d: DeploymentProgress): DeploymentRow {
  const duration =
    d.startedAt !== undefined && d.endedAt !== undefined
      ? Math.round((Date.parse(d.endedAt) - Date.parse(d.startedAt)) / 1000)
      : undefined;
  return {
    name: d.name,
    phase: d.phase,
    ...(d.cluster !== undefined ? { cluster: d.cluster } : {}),
    state: d.state,
    ...(d.startedAt !== undefined ? { startedAt: d.startedAt } : {}),
    ...(d.endedAt !== undefined ? { endedAt: d.endedAt } : {}),
    ...(duration !== undefined ? { durationSeconds: duration } : {}),
    ...(d.reused !== undefined ? { reused: d.reused } : {}),
    ...(d.error ? { error: { code: d.error.code, message: d.error.message, causes: leafCauses(d.error) } } : {}),
  };
}

/** The innermost details of an ARM error, each once (ARM repeats "DependencyFailed" for every dependent resource). */
function leafCauses(error: ArmErrorInfo): string[] {
  return error.details?.length ? [...new Set(rootCauses(error).map((c) => `${c.code}: ${c.message}`))] : [];
}

// ---- reaction instances -----------------------------------------------------------------------------------------

const eventSchema = z.looseObject({
  kind: z.string().optional(),
  eventType: z.string().optional(),
  occurredAt: z.string().optional(),
  cluster: z.string().optional(),
  reason: z.string().optional(),
  subject: z.string().optional(),
  vaultName: z.string().optional(),
  objectName: z.string().optional(),
  version: z.string().optional(),
  expiresAt: z.string().optional(),
  change: z.string().optional(),
  backupInstance: z.string().optional(),
  errorCode: z.string().optional(),
  kubernetesVersion: z.string().optional(),
});
const watchInputSchema = z.looseObject({
  environment: z.string().optional(),
  cluster: z.string().optional(),
  first: z.looseObject({ vmName: z.string().optional(), occurredAt: z.string().optional() }).optional(),
});
const reactionInputSchema = z.looseObject({
  environment: z.string().optional(),
  cluster: z.string().optional(),
  event: eventSchema.optional(),
});
const watchStatusSchema = z.looseObject({
  phase: z.string().optional(),
  outcome: z.string().optional(),
  evictions: z.number().optional(),
  checks: z.number().optional(),
});
const watchResultSchema = z.looseObject({
  outcome: z.string().optional(),
  evictions: z.number().optional(),
  reason: z.string().optional(),
  noSpotCapacity: z.boolean().optional(),
  waitedMinutes: z.number().optional(),
});
const certificateResultSchema = z.looseObject({
  action: z.string().optional(),
  reason: z.string().optional(),
  renewalTriggered: z.boolean().optional(),
  newVersion: z.string().optional(),
  rolledOut: z.array(z.string()).optional(),
  notConfirmed: z.array(z.string()).optional(),
});
const backupResultSchema = z.looseObject({
  retried: z.boolean().optional(),
  reason: z.string().optional(),
  retryJobId: z.string().optional(),
  error: z.string().optional(),
});
const lifecycleResultSchema = z.looseObject({ notified: z.string().optional() });

const REACTIONS: Partial<Record<OrchestrationName, { kind: EventRow["kind"]; opsId: OpsId }>> = {
  [Orchestrations.evictionWatch]: { kind: "Spot eviction", opsId: "OPS-2" },
  [Orchestrations.certificateReaction]: { kind: "Certificate", opsId: "OPS-3" },
  [Orchestrations.backupFailureReaction]: { kind: "Backup failure", opsId: "OPS-4" },
  [Orchestrations.lifecycleNotice]: { kind: "Cluster lifecycle", opsId: "OPS-6" },
};

const parse = <T>(schema: z.ZodType<T>, value: unknown): T | undefined => {
  const result = schema.safeParse(value);
  return result.success ? result.data : undefined;
};

/** The reaction instances of `env` (an instance without an environment in its input belongs to none). */
async function reactionInstances(env: string, sources: OverviewSources): Promise<ListedInstance[]> {
  const all = await sources.instancesSince(since(sources));
  return all
    .filter((i) => REACTIONS[i.name as OrchestrationName] !== undefined)
    .filter((i) => parse(reactionInputSchema, i.input)?.environment === env)
    .sort((a, b) => b.createdTime.localeCompare(a.createdTime));
}

function describeReaction(instance: ListedInstance): {
  what: string;
  did: string;
  occurredAt?: string;
  cluster?: string;
} {
  const input = parse(reactionInputSchema, instance.input);
  const event = input?.event;
  const status = instance.runtimeStatus;
  const running = status === "Running" || status === "Pending";
  switch (instance.name) {
    case Orchestrations.evictionWatch: {
      const watch = parse(watchInputSchema, instance.input);
      const custom = parse(watchStatusSchema, instance.customStatus);
      const result = parse(watchResultSchema, instance.output);
      const evictions = result?.evictions ?? custom?.evictions ?? 1;
      const did = result?.outcome
        ? `Watched recovery of ${evictions} eviction(s) for ${result.waitedMinutes ?? "?"} min: ${result.outcome}. ${result.reason ?? ""}`.trim()
        : running
          ? `Recovery watch ${custom?.phase ?? "started"}: ${evictions} eviction(s) counted${custom?.checks !== undefined ? `, ${custom.checks} check(s)` : ""}.`
          : `Recovery watch ${status.toLowerCase()}.`;
      return {
        what: `Spot VM ${watch?.first?.vmName ?? "?"} evicted`,
        did,
        ...(watch?.first?.occurredAt !== undefined ? { occurredAt: watch.first.occurredAt } : {}),
        ...(watch?.cluster !== undefined ? { cluster: watch.cluster } : {}),
      };
    }
    case Orchestrations.certificateReaction: {
      const result = parse(certificateResultSchema, instance.output);
      const did = result?.action
        ? `${result.action}: ${result.reason ?? ""}${result.newVersion ? ` New version ${result.newVersion}.` : ""}${result.rolledOut?.length ? ` Rolled out to ${result.rolledOut.join(", ")}.` : ""}${result.notConfirmed?.length ? ` Not confirmed on ${result.notConfirmed.join(", ")}.` : ""}`
        : running
          ? "Checking the certificate and its rollout."
          : `Certificate reaction ${status.toLowerCase()}.`;
      return {
        what: `${event?.vaultName ?? "?"}/${event?.objectName ?? "?"} ${event?.change ?? "changed"}${event?.expiresAt ? `, expires ${event.expiresAt.slice(0, 10)}` : ""}`,
        did,
        ...(event?.occurredAt !== undefined ? { occurredAt: event.occurredAt } : {}),
      };
    }
    case Orchestrations.backupFailureReaction: {
      const result = parse(backupResultSchema, instance.output);
      const did =
        result?.retried !== undefined
          ? result.retried
            ? `Started one ad-hoc backup${result.retryJobId ? ` (job ${result.retryJobId})` : ""} and alerted.`
            : `Alerted without a retry: ${result.reason ?? "no reason given"}.`
          : running
            ? "Retrying the backup once."
            : `Backup reaction ${status.toLowerCase()}.`;
      return {
        what: `Backup of ${event?.backupInstance ?? input?.cluster ?? "?"} failed${event?.errorCode ? ` (${event.errorCode})` : ""}`,
        did,
        ...(event?.occurredAt !== undefined ? { occurredAt: event.occurredAt } : {}),
        ...(input?.cluster !== undefined ? { cluster: input.cluster } : {}),
      };
    }
    default: {
      const result = parse(lifecycleResultSchema, instance.output);
      return {
        what: `${event?.change ?? event?.eventType ?? "Cluster change"}${event?.kubernetesVersion ? ` ${event.kubernetesVersion}` : ""}`,
        did: result?.notified ? `Sent a notice (${result.notified}).` : running ? "Sending a notice." : status,
        ...(event?.occurredAt !== undefined ? { occurredAt: event.occurredAt } : {}),
        ...(event?.cluster !== undefined ? { cluster: event.cluster } : {}),
      };
    }
  }
}

async function readEvents(env: string, sources: OverviewSources): Promise<Outcome<EventRow[]>> {
  const instances = await reactionInstances(env, sources);
  if (instances.length === 0) return noData(`no event reactions for ${env} in the last ${HISTORY_DAYS} days`);
  return {
    data: instances.slice(0, MAX_EVENT_ROWS).map((i) => {
      const reaction = REACTIONS[i.name as OrchestrationName]!;
      return {
        instanceId: i.instanceId,
        kind: reaction.kind,
        opsId: reaction.opsId,
        runbook: runbookLink(reaction.opsId, sources.runbookBaseUrl),
        startedAt: i.createdTime,
        runtimeStatus: i.runtimeStatus,
        ...describeReaction(i),
      };
    }),
  };
}

// ---- clusters -----------------------------------------------------------------------------------------------------

async function readClusters(env: string, sources: OverviewSources): Promise<Outcome<ClusterRow[]>> {
  const found = await specOf(env, sources);
  if (!found) return noSpec(env, sources);
  const view = await sources.builds.get(buildInstanceId(env));
  const deployments = (view && (await mergedStatus(view, sources.builds))?.deployments) ?? [];
  const watches = (await reactionInstances(env, sources)).filter((i) => i.name === Orchestrations.evictionWatch);
  const removals = new Map(
    await Promise.all(
      found.spec.clusters.map(async (c) => [c.name, await clusterRemoval(env, c.name, sources.builds)] as const),
    ),
  );
  return {
    data: found.spec.clusters.map((c) => {
      const removal = removals.get(c.name);
      const mine = watches.filter((w) => parse(watchInputSchema, w.input)?.cluster === c.name);
      const latest = mine[0];
      const custom = latest && parse(watchStatusSchema, latest.customStatus);
      const result = latest && parse(watchResultSchema, latest.output);
      const built = deployments.filter((d) => d.cluster === c.name);
      const pools: PoolRow[] = [
        {
          name: "system",
          kind: "system",
          detail: `${c.pools.system.vmSize} × ${c.pools.system.count}`,
          zones: c.pools.system.zones,
        },
        ...(c.pools.ingress
          ? [
              {
                name: "ingress",
                kind: "ingress" as const,
                detail: `${c.pools.ingress.vmSize} × ${c.pools.ingress.count}`,
                zones: c.pools.ingress.zones,
              },
            ]
          : []),
        {
          name: "spot (Karpenter NodePool)",
          kind: "spot",
          detail: `${c.pools.spot.skuFamilies.join("/")} family, at most ${c.pools.spot.cpuLimit} vCPU`,
          zones: c.pools.spot.zones,
        },
      ];
      return {
        name: c.name,
        role: c.role,
        aksName: c.aksName,
        resourceGroup: c.resourceGroup,
        kubernetesVersion: c.kubernetesVersion ?? "region default",
        tier: c.tier,
        zones: c.zones,
        pools,
        ...(removal ? { removal } : built.length > 0 ? { buildState: worstState(built) } : {}),
        spot: {
          evictions: mine.reduce(
            (n, w) =>
              n +
              (parse(watchResultSchema, w.output)?.evictions ??
                parse(watchStatusSchema, w.customStatus)?.evictions ??
                1),
            0,
          ),
          watches: mine.length,
          ...(latest
            ? {
                latest: {
                  instanceId: latest.instanceId,
                  runtimeStatus: latest.runtimeStatus,
                  ...(custom?.phase !== undefined ? { phase: custom.phase } : {}),
                  ...(result?.outcome !== undefined ? { outcome: result.outcome } : {}),
                  ...(result?.reason !== undefined ? { reason: result.reason } : {}),
                  at: latest.lastUpdatedTime,
                },
              }
            : {}),
          noSpotCapacity: mine.some((w) => parse(watchResultSchema, w.output)?.noSpotCapacity === true),
        },
      };
    }),
  };
}

/** A cluster's build state: failed beats running beats pending/skipped beats succeeded. */
function worstState(deployments: readonly DeploymentProgress[]): DeploymentState {
  for (const s of ["failed", "running", "pending", "skipped"] as const)
    if (deployments.some((d) => d.state === s)) return s;
  return "succeeded";
}

// ---- certificates -------------------------------------------------------------------------------------------------

async function readCertificates(env: string, sources: OverviewSources): Promise<Outcome<CertificateRow[]>> {
  const rows: CertificateRow[] = [];
  const problems: string[] = [];
  const now = sources.now();
  if (sources.currentCertificate) {
    const found = await specOf(env, sources);
    if (found) {
      try {
        const c = await sources.currentCertificate(found.spec);
        rows.push({
          source: "key vault now",
          name: `${c.vault}/${c.secret}`,
          version: c.version,
          expiresAt: c.notAfter,
          daysLeft: daysUntil(c.notAfter, now),
          state: c.state,
        });
      } catch (err) {
        problems.push(`Key Vault: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  for (const i of await reactionInstances(env, sources)) {
    if (i.name !== Orchestrations.certificateReaction) continue;
    const event = parse(reactionInputSchema, i.input)?.event;
    const result = parse(certificateResultSchema, i.output);
    rows.push({
      source: "event",
      name: `${event?.vaultName ?? "?"}/${event?.objectName ?? "?"}`,
      ...(event?.version !== undefined ? { version: event.version } : {}),
      ...(event?.expiresAt !== undefined
        ? { expiresAt: event.expiresAt, daysLeft: daysUntil(event.expiresAt, now) }
        : {}),
      state: certificateState(event?.change, event?.expiresAt, now),
      did: result?.action ? `${result.action}: ${result.reason ?? ""}`.trim() : i.runtimeStatus,
      instanceId: i.instanceId,
    });
  }
  if (rows.length === 0) {
    return problems.length > 0
      ? { state: "unavailable", reason: problems.join("; ") }
      : noData(
          sources.currentCertificate
            ? `no certificate of ${env} is known yet`
            : `Key Vault is not read here (no AKS_PLATFORM_KEYVAULT_URL) and no certificate event of ${env} arrived in the last ${HISTORY_DAYS} days`,
        );
  }
  return { data: rows };
}

function daysUntil(iso: string, now: Date): number {
  return Math.floor((Date.parse(iso) - now.getTime()) / 86_400_000);
}

function certificateState(
  change: string | undefined,
  expiresAt: string | undefined,
  now: Date,
): CertificateRow["state"] {
  if (expiresAt !== undefined && Number.isFinite(Date.parse(expiresAt))) return expiryState(expiresAt, now);
  return change === "expired" ? "expired" : change === "near-expiry" ? "near-expiry" : "unknown";
}

// ---- backups ------------------------------------------------------------------------------------------------------

async function readBackups(env: string, sources: OverviewSources): Promise<Outcome<BackupsPanel>> {
  const today = sources.now().toISOString().slice(0, 10);
  const history = await sources.backupHistory(env, today, HISTORY_DAYS);
  if (history.trend.length === 0 && !history.latest)
    return noData(`no backup verification report of ${env} in the last ${HISTORY_DAYS} days`);
  const latest = history.latest;
  return {
    data: {
      trend: history.trend,
      days: HISTORY_DAYS,
      ...(latest
        ? {
            latest: {
              generatedAt: latest.generatedAt,
              healthy: latest.summary.healthy,
              unhealthy: latest.summary.unhealthy,
              instances: latest.instances.map((r) => ({
                name: r.name,
                ...(r.cluster !== undefined ? { cluster: r.cluster } : {}),
                verdict: r.verdict,
                ageHours: r.ageHours,
                problems: r.problems,
              })),
            },
          }
        : {}),
    },
  };
}

// ---- drift --------------------------------------------------------------------------------------------------------

export type DriftPanel = DriftReport;

async function readDrift(env: string, sources: OverviewSources): Promise<Outcome<DriftPanel>> {
  if (!sources.driftReport) return noData("no drift report store is configured here");
  const report = await sources.driftReport(env);
  if (!report) return noData(`no drift check of ${env} has run yet (the sweep runs every few hours)`);
  return { data: report };
}

// ---- runbooks -----------------------------------------------------------------------------------------------------

export function runbooks(baseUrl: string | undefined): RunbookRow[] {
  return (Object.keys(RUNBOOKS) as OpsId[]).map((id) => ({
    id,
    heading: RUNBOOKS[id].heading,
    href: runbookLink(id, baseUrl),
  }));
}
