import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { SimClock } from "./clock";
import type { FaultRegistry } from "./faults";
import type { ResourceEvents, SandboxCaller } from "./events";
import type { ArmErrorBody } from "./http";
import { key } from "./ids";
import type { Counters } from "./throttle";
import type { ClusterUpgradeSim } from "./upgrade";

/** Everything the sandbox remembers, as plain JSON so it can persist to a file between runs. */

export interface StoredResourceGroup {
  id: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  provisioningState: "Succeeded" | "Deleting";
}

/** The part of a resource a deployment asks for; what-if compares this. */
export interface ResourceRequest {
  location?: unknown;
  sku?: unknown;
  kind?: unknown;
  identity?: unknown;
  zones?: unknown;
  tags?: unknown;
  properties: unknown;
}

export interface StoredResource {
  id: string;
  type: string;
  name: string;
  apiVersion: string;
  resourceGroup?: string;
  request: ResourceRequest;
  /** What Azure adds on top of the request (provisioningState, principal ids, issuer URL, …). */
  computed: { properties: Record<string, unknown>; identity?: Record<string, unknown> };
  createdAt: string;
  changedAt: string;
  /** Deployment id that last wrote it. */
  deployment?: string;
}

export type StepState = "Pending" | "Running" | "Succeeded" | "Failed" | "Skipped" | "Canceled";

export interface DeploymentStep {
  operationId: string;
  id: string;
  type: string;
  name: string;
  apiVersion: string;
  resourceGroup?: string;
  dependsOn: string[];
  /** Simulated epoch ms. */
  start: number;
  finish: number;
  state: StepState;
  lockKey?: string;
  /** Set at submission by an injected `failResource` fault: the step fails at its finish time. */
  injectedFailure?: ArmErrorBody;
  error?: ArmErrorBody;
  statusCode?: string;
  request: ResourceRequest;
}

export type DeploymentState = "Accepted" | "Running" | "Succeeded" | "Failed" | "Canceled";

export interface StoredDeployment {
  id: string;
  name: string;
  scope: { kind: "subscription" | "resourceGroup"; resourceGroup?: string };
  location?: string;
  template: unknown;
  /** Plain parameter values as submitted (`{ value }` unwrapped). */
  parameters: Record<string, unknown>;
  mode: "Incremental" | "Complete";
  tags?: Record<string, string>;
  provisioningState: DeploymentState;
  correlationId: string;
  startedAt: number;
  finishedAt?: number;
  steps: DeploymentStep[];
  outputs?: Record<string, { type: string; value: unknown }>;
  error?: ArmErrorBody;
  asyncOperationId: string;
  /** Who submitted it: the writes of its resources are theirs (Resources events carry this caller). */
  caller?: SandboxCaller;
}

/** An asynchronous operation other than a deployment: it finishes at `finishAt` (simulated ms). */
export interface TimedOp {
  id: string;
  kind:
    | "deleteResourceGroup"
    | "deleteResource"
    | "runCommand"
    | "whatIf"
    | "adhocBackup"
    | "validateRestore"
    | "restore"
    | "clusterUpgrade"
    | "stopProtection"
    | "suspendBackups"
    | "networkManagerCommit";
  target: string;
  startedAt: number;
  finishAt: number;
  status: "InProgress" | "Succeeded" | "Failed";
  lockKey?: string;
  /** Operation input (run command text, backup job id, …). */
  input?: unknown;
  result?: unknown;
  error?: ArmErrorBody;
  /** Who asked for it (a delete's ResourceDeleteSuccess event names them). */
  caller?: SandboxCaller;
  correlationId?: string;
}

export interface SimNode {
  name: string;
  pool: string;
  /** Karpenter NodePool for NAP nodes. */
  nodePool?: string;
  zone: string;
  capacityType: "on-demand" | "spot";
  vmSize: string;
  createdAt: number;
}

export interface SimPod {
  namespace: string;
  name: string;
  phase: "Running" | "Pending";
  nodeName?: string;
  /** Karpenter NodePool the pod needs (spot workloads); system pods run on pool nodes. */
  nodePool?: string;
}

export interface ClusterSim {
  id: string;
  name: string;
  location: string;
  nodeResourceGroup: string;
  zones: string[];
  nodes: SimNode[];
  pods: SimPod[];
  /** Spot capacity available per zone (a test turns zones off to keep pods Pending). */
  spotCapacity: Record<string, boolean>;
  /** When Karpenter next tries to provision for pending pods (simulated ms). */
  provisionAt?: number;
  nextNodeIndex: number;
  /** Recorded effects of run commands: certificate renewals and rollout restarts. */
  /** `reason` is the Issuing condition's reason the status patch set (cmctl's is ManuallyTriggered). */
  certificateRenewals: { namespace: string; name: string; at: number; reason: string }[];
  rolloutRestarts: { namespace: string; kind: string; name: string; at: number }[];
  /** Versions, Istio revisions and upgrade operations (./upgrade.ts); created on first use. */
  upgrade?: ClusterUpgradeSim;
}

export interface BackupJob {
  id: string;
  name: string;
  backupInstanceId: string;
  operation: "Backup" | "Restore";
  operationCategory: "Backup" | "Restore";
  status: "InProgress" | "Completed" | "Failed";
  startTime: number;
  endTime?: number;
  isUserTriggered: boolean;
  errorDetails?: ArmErrorBody[];
  /** Restore jobs: the recovery point restored and the target (a cluster resource id). */
  restore?: { recoveryPointId: string; recoveryPointTime: number; destination: string };
}

/** A pod as a backup captured it (workload namespaces only); a restore re-creates the missing ones. */
export interface SnapshotPod {
  namespace: string;
  name: string;
  nodePool?: string;
}

export interface RecoveryPoint {
  id: string;
  name: string;
  recoveryPointTime: number;
  /** The protected cluster's workload pods when the backup ran; absent when the cluster was not simulated. */
  workloads?: SnapshotPod[];
}

export type BackupOperation = "Backup" | "Restore";

export interface BackupSim {
  jobs: BackupJob[];
  recoveryPoints: Record<string, RecoveryPoint[]>;
  /** Next scheduled (daily) backup run, simulated ms. */
  nextScheduledAt?: number;
  /** Injected job failures: `backup:` or `restore:` + backup instance key (or "*") → remaining failures. */
  pendingFailures: Record<string, { count: number; code: string; message: string }>;
}

export interface SandboxData {
  version: 1;
  /** Simulated time when saved; a reloaded sandbox continues from here. */
  simNow: number;
  resourceGroups: Record<string, StoredResourceGroup>;
  resources: Record<string, StoredResource>;
  deployments: Record<string, StoredDeployment>;
  ops: Record<string, TimedOp>;
  clusters: Record<string, ClusterSim>;
  backup: BackupSim;
  sequence: number;
  /** Virtual Network Manager commits in effect (or being applied), by manager id, region and commit type. */
  networkManagerCommits?: Record<string, NetworkManagerCommitRecord>;
}

export interface NetworkManagerCommitRecord {
  networkManagerId: string;
  region: string;
  commitType: string;
  /** What the last commit asked for. */
  configurationIds: string[];
  /** What is in effect: the previous commit's until this one is applied. */
  applied: string[];
  status: "Deploying" | "Deployed" | "Failed";
  commitTime: string;
  errorMessage?: string;
}

export function emptyData(simNow: number): SandboxData {
  return {
    version: 1,
    simNow,
    resourceGroups: {},
    resources: {},
    deployments: {},
    ops: {},
    clusters: {},
    backup: { jobs: [], recoveryPoints: {}, pendingFailures: {} },
    sequence: 0,
  };
}

export function loadData(file: string): SandboxData | undefined {
  if (!existsSync(file)) return undefined;
  const parsed = JSON.parse(readFileSync(file, "utf8")) as SandboxData;
  if (parsed.version !== 1)
    throw new Error(`sandbox state file ${file} has unsupported version ${String(parsed.version)}`);
  return parsed;
}

export function saveData(file: string, data: SandboxData): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(data));
  renameSync(tmp, file);
}

export interface MeshRevision {
  revision: string;
  upgrades: string[];
  compatibleWith: { name: string; versions: string[] }[];
}

export interface SandboxSettings {
  subscriptionId: string;
  tenantId: string;
  latencyOverrides: Record<string, number>;
  meshRevisions: MeshRevision[];
  /** Page size of Data Protection list calls (recovery points, jobs). */
  pageSize: number;
  zones: string[];
  /** Karpenter NodePool seeded on clusters with node auto provisioning, and its initial spot nodes. */
  karpenterNodePool: string;
  initialSpotNodes: number;
  podsPerSpotNode: number;
  /** Simulated seconds Karpenter needs to bring up a replacement node. */
  nodeProvisionSeconds: number;
  runCommandSeconds: number;
  backupSeconds: number;
  restoreSeconds: number;
  /** Daily backup time, UTC hour. */
  backupHourUtc: number;
  backupRetentionDays: number;
  /** Kubernetes versions AKS offers, oldest first; a cluster deployed without a version gets the first. */
  kubernetesVersions: string[];
  /** Node image versions, oldest first; new pools get the first, upgrades bring the last. */
  nodeImageVersions: string[];
  controlPlaneUpgradeSeconds: number;
  /** One batch of surge nodes: create, drain the old ones, delete. */
  nodeUpgradeSeconds: number;
  meshUpgradeSeconds: number;
}

/** What every handler works with. */
export interface SandboxContext {
  data: SandboxData;
  clock: SimClock;
  faults: FaultRegistry;
  counters: Counters;
  settings: SandboxSettings;
  /** The subscription's Resources events and where they are delivered. */
  events: ResourceEvents;
  /** The identity of the app's own token: what deployments without a recorded caller ran as. */
  appCaller: SandboxCaller;
}

export function nextId(ctx: SandboxContext, prefix: string): string {
  ctx.data.sequence += 1;
  return `${prefix}${ctx.data.sequence.toString(36).padStart(6, "0")}`;
}

export function findResource(ctx: SandboxContext, id: string): StoredResource | undefined {
  return ctx.data.resources[key(id)];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep merge where `over` wins; arrays are replaced, not merged. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/** The resource as ARM returns it from GET (request merged with what Azure computed). */
export function resourceView(r: StoredResource): Record<string, unknown> {
  const identity =
    r.request.identity === undefined && r.computed.identity === undefined
      ? undefined
      : deepMerge(r.request.identity, r.computed.identity);
  const view: Record<string, unknown> = {
    id: r.id,
    name: r.name.split("/").pop(),
    type: r.type,
  };
  for (const [k, v] of Object.entries({
    location: r.request.location,
    sku: r.request.sku,
    kind: r.request.kind,
    identity,
    zones: r.request.zones,
    tags: r.request.tags,
  })) {
    if (v !== undefined) view[k] = v;
  }
  view.properties = deepMerge(r.request.properties ?? {}, r.computed.properties);
  return view;
}
