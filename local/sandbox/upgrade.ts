import { z } from "zod";
import type { ArmErrorBody } from "./http";
import { ArmHttpError } from "./http";
import { key } from "./ids";
import { lockHolder } from "./deployments";
import { startOp } from "./engine";
import type { ClusterSim, SandboxContext, SimNode, StoredResource, TimedOp } from "./state";

/**
 * The AKS upgrade model of the sandbox: versions and node images per agent pool, the control plane version,
 * Istio add-on revisions (with a canary: two revisions side by side), maintenance configurations, and upgrade
 * operations that take realistic time (the control plane, then the nodes in batches of `maxSurge`). AKS runs
 * one operation per cluster at a time and answers others with 409 `OperationNotAllowed` (azure-notes.md, "AKS
 * operations"). Injectable faults: a drain blocked by a PodDisruptionBudget (the pool upgrade fails with AKS's
 * `UpgradeFailed` drain message) and a node that does not come back (Ready=False after its upgrade).
 */

export const CLUSTER_TYPE = "Microsoft.ContainerService/managedClusters";

export interface SimPoolVersion {
  mode: "System" | "User";
  orchestratorVersion: string;
  nodeImageVersion: string;
  count: number;
  maxSurge?: string;
  provisioningState: "Succeeded" | "Upgrading" | "UpgradingNodeImageVersion" | "Failed";
  error?: ArmErrorBody;
}

export interface SimPdb {
  namespace: string;
  name: string;
  minAvailable: number;
  pods: number;
}

/** One finished or running operation, for the record (tests prove no two overlap on a cluster). */
export interface SimUpgradeRecord {
  kind: "control-plane" | "pool" | "node-image" | "mesh";
  pool?: string;
  target: string;
  startedAt: number;
  finishAt: number;
  outcome?: "Succeeded" | "Failed";
}

export interface ClusterUpgradeSim {
  controlPlane: string;
  provisioningState: "Succeeded" | "Upgrading" | "Failed";
  error?: ArmErrorBody;
  pools: Record<string, SimPoolVersion>;
  istioRevisions: string[];
  istioGateway: boolean;
  /** Namespaces labelled `istio.io/rev`. */
  namespaceRevisions: Record<string, string>;
  pdbs: SimPdb[];
  maintenanceConfigurations: Record<string, unknown>;
  faults: { blockedDrain: string[]; nodeNotReturning: string[]; istioCanaryUnhealthy: boolean };
  /** Nodes left NotReady by a `nodeNotReturning` fault. */
  notReadyNodes: string[];
  history: SimUpgradeRecord[];
}

interface UpgradeOpInput {
  kind: SimUpgradeRecord["kind"];
  cluster: string;
  pool?: string;
  target: string;
  /** Mesh: the revisions after the operation. */
  revisions?: string[];
  /** Pools: the batch length; a blocked drain fails at the end of the first batch. */
  failure?: ArmErrorBody;
  record: number;
}

function obj(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function clusterResource(ctx: SandboxContext, c: ClusterSim): StoredResource {
  const r = ctx.data.resources[key(c.id)];
  if (!r) throw new ArmHttpError(404, "ResourceNotFound", `The cluster '${c.name}' was not found.`);
  return r;
}

/** The upgrade model of a cluster, created from what its deployment asked for on first use. */
export function upgradeModel(ctx: SandboxContext, c: ClusterSim): ClusterUpgradeSim {
  if (c.upgrade) return c.upgrade;
  const r = clusterResource(ctx, c);
  const props = obj(r.request.properties);
  const version =
    typeof r.computed.properties.currentKubernetesVersion === "string"
      ? r.computed.properties.currentKubernetesVersion
      : ctx.settings.kubernetesVersions[0]!;
  const pools: Record<string, SimPoolVersion> = {};
  const addPool = (name: string, p: Record<string, unknown>, mode: "System" | "User") => {
    pools[name] = {
      mode,
      orchestratorVersion: version,
      nodeImageVersion: ctx.settings.nodeImageVersions[0]!,
      count: typeof p.count === "number" ? p.count : 1,
      provisioningState: "Succeeded",
    };
  };
  for (const p of Array.isArray(props.agentPoolProfiles) ? (props.agentPoolProfiles as unknown[]) : [])
    addPool(
      typeof obj(p).name === "string" ? (obj(p).name as string) : "nodepool1",
      obj(p),
      obj(p).mode === "User" ? "User" : "System",
    );
  const prefix = key(c.id) + "/agentpools/";
  for (const [k, child] of Object.entries(ctx.data.resources))
    if (k.startsWith(prefix))
      addPool(
        child.name.split("/").pop()!,
        obj(child.request.properties),
        obj(child.request.properties).mode === "System" ? "System" : "User",
      );
  const istio = obj(obj(props.serviceMeshProfile).istio);
  const revisions = Array.isArray(istio.revisions)
    ? istio.revisions.filter((x): x is string => typeof x === "string")
    : [];
  const gateways = obj(istio.components).ingressGateways;
  c.upgrade = {
    controlPlane: version,
    provisioningState: "Succeeded",
    pools,
    istioRevisions: revisions,
    istioGateway: Array.isArray(gateways) && gateways.length > 0,
    namespaceRevisions: revisions[0] !== undefined ? { apps: revisions[0] } : {},
    pdbs: [{ namespace: "kube-system", name: "coredns-pdb", minAvailable: 1, pods: 2 }],
    maintenanceConfigurations: {},
    faults: { blockedDrain: [], nodeNotReturning: [], istioCanaryUnhealthy: false },
    notReadyNodes: [],
    history: [],
  };
  return c.upgrade;
}

function clusterByPath(ctx: SandboxContext, rg: string, name: string): ClusterSim {
  const c = Object.values(ctx.data.clusters).find((x) =>
    key(x.id).endsWith(
      `/resourcegroups/${rg.toLowerCase()}/providers/microsoft.containerservice/managedclusters/${name.toLowerCase()}`,
    ),
  );
  if (!c)
    throw new ArmHttpError(
      404,
      "ResourceNotFound",
      `The Resource 'Microsoft.ContainerService/managedClusters/${name}' under resource group '${rg}' was not found.`,
    );
  return c;
}

function poolOf(m: ClusterUpgradeSim, c: ClusterSim, pool: string): SimPoolVersion {
  const p = m.pools[pool];
  if (!p) throw new ArmHttpError(404, "NotFound", `Agent pool '${pool}' of cluster '${c.name}' was not found.`);
  return p;
}

/** AKS: one operation per cluster (and its pools) at a time; a deployment writing the cluster counts too. */
function refuseWhileBusy(ctx: SandboxContext, c: ClusterSim, what: string): void {
  const holder = lockHolder(ctx, key(c.id));
  if (holder !== undefined)
    throw new ArmHttpError(
      409,
      "OperationNotAllowed",
      `Operation is not allowed because there's an in progress operation on the managed cluster '${c.name}' (${holder}). Please wait for it to finish before starting ${what}.`,
    );
}

function surgeOf(maxSurge: string | undefined, count: number): number {
  const s = maxSurge ?? "10%";
  const n = s.endsWith("%") ? Math.ceil((count * Number(s.slice(0, -1))) / 100) : Number(s);
  return Math.max(1, Math.min(count, Number.isFinite(n) ? n : 1));
}

function batches(pool: SimPoolVersion): number {
  return Math.ceil(pool.count / surgeOf(pool.maxSurge, pool.count));
}

function start(ctx: SandboxContext, c: ClusterSim, input: Omit<UpgradeOpInput, "record">, seconds: number): TimedOp {
  const m = upgradeModel(ctx, c);
  const now = ctx.clock.now();
  m.history.push({
    kind: input.kind,
    ...(input.pool !== undefined ? { pool: input.pool } : {}),
    target: input.target,
    startedAt: now,
    finishAt: now + seconds * 1000,
  });
  const op = startOp(
    ctx,
    { kind: "clusterUpgrade", target: c.id, lockKey: key(c.id), input: { ...input, record: m.history.length - 1 } },
    seconds,
    CLUSTER_TYPE,
  );
  m.history.at(-1)!.finishAt = op.finishAt;
  return op;
}

function drainFailure(c: ClusterSim, pool: string, pdb: SimPdb): ArmErrorBody {
  const node = `aks-${pool}-vmss000000`;
  const pod = `${pdb.name}-0`;
  return {
    code: "UpgradeFailed",
    message:
      `Drain node ${node} failed when evicting pod ${pod} failed with Too Many Requests error. This is often caused by a restrictive Pod Disruption Budget (PDB) policy. See http://aka.ms/aks/debugdrainfailures. ` +
      `Original error: Cannot evict pod as it would violate the pod's disruption budget.. PDB debug info: ${pdb.namespace}/${pod} blocked by pdb ${pdb.name} with 0 unready pods: [] (cluster ${c.name}).`,
  };
}

/** PUT managedClusters outside a deployment: a control plane version or the Istio revisions (canary) change. */
export function putManagedCluster(
  ctx: SandboxContext,
  rg: string,
  name: string,
  body: unknown,
): { op?: TimedOp; cluster: ClusterSim } {
  const c = clusterByPath(ctx, rg, name);
  const m = upgradeModel(ctx, c);
  const props = obj(obj(body).properties);
  const version = typeof props.kubernetesVersion === "string" ? props.kubernetesVersion : m.controlPlane;
  const requestedRevisions = obj(obj(props.serviceMeshProfile).istio).revisions;
  const revisions = Array.isArray(requestedRevisions) ? requestedRevisions.map(String) : m.istioRevisions;
  const versionChanges = version !== m.controlPlane;
  const meshChanges = JSON.stringify([...revisions].sort()) !== JSON.stringify([...m.istioRevisions].sort());
  if (!versionChanges && !meshChanges) return { cluster: c };
  refuseWhileBusy(ctx, c, "a new operation");
  if (versionChanges && meshChanges)
    throw new ArmHttpError(
      400,
      "BadRequest",
      "Upgrading Kubernetes and the Istio revision in one operation is not supported; do one after the other.",
    );
  if (versionChanges) {
    if (!controlPlaneUpgrades(ctx, m).includes(version))
      throw new ArmHttpError(
        400,
        "UpgradeNotSupported",
        `Upgrade from ${m.controlPlane} to ${version} is not supported; available upgrades: ${controlPlaneUpgrades(ctx, m).join(", ") || "none"}. Minor versions cannot be skipped.`,
      );
    m.provisioningState = "Upgrading";
    delete m.error;
    return {
      cluster: c,
      op: start(
        ctx,
        c,
        { kind: "control-plane", cluster: c.id, target: version },
        ctx.settings.controlPlaneUpgradeSeconds,
      ),
    };
  }
  // Istio: add one revision (canary start), or drop one of two (complete / roll back).
  const known = new Map(ctx.settings.meshRevisions.map((r) => [r.revision, r]));
  const added = revisions.filter((r) => !m.istioRevisions.includes(r));
  if (revisions.length === 0 || revisions.length > 2 || added.length > 1)
    throw new ArmHttpError(
      400,
      "InvalidParameter",
      `serviceMeshProfile.istio.revisions must keep one revision or add one canary revision, got [${revisions.join(", ")}].`,
    );
  if (added.length === 1) {
    const current = m.istioRevisions[0]!;
    if (m.istioRevisions.length !== 1 || !known.get(current)?.upgrades.includes(added[0]!))
      throw new ArmHttpError(
        400,
        "InvalidParameter",
        `Istio revision ${current} cannot be upgraded to ${added[0]!} (see meshUpgradeProfiles).`,
      );
    if (
      !known
        .get(added[0]!)
        ?.compatibleWith.some((x) => x.name === "kubernetes" && x.versions.includes(minor(m.controlPlane)))
    )
      throw new ArmHttpError(
        400,
        "InvalidParameter",
        `Istio revision ${added[0]!} does not support Kubernetes ${m.controlPlane}.`,
      );
  }
  m.provisioningState = "Upgrading";
  return {
    cluster: c,
    op: start(
      ctx,
      c,
      { kind: "mesh", cluster: c.id, target: revisions.join(","), revisions },
      ctx.settings.meshUpgradeSeconds,
    ),
  };
}

/** PUT agentPools: an orchestratorVersion change upgrades the pool node by node (batches of maxSurge). */
export function putAgentPool(
  ctx: SandboxContext,
  rg: string,
  name: string,
  pool: string,
  body: unknown,
): { op?: TimedOp; cluster: ClusterSim } {
  const c = clusterByPath(ctx, rg, name);
  const m = upgradeModel(ctx, c);
  const p = poolOf(m, c, pool);
  const props = obj(obj(body).properties);
  const surge = obj(props.upgradeSettings).maxSurge;
  if (typeof surge === "string") p.maxSurge = surge;
  const version = typeof props.orchestratorVersion === "string" ? props.orchestratorVersion : p.orchestratorVersion;
  if (version === p.orchestratorVersion && p.provisioningState !== "Failed") return { cluster: c };
  refuseWhileBusy(ctx, c, `an upgrade of pool ${pool}`);
  if (compareVersion(version, m.controlPlane) > 0)
    throw new ArmHttpError(
      400,
      "NodePoolMcVersionIncompatible",
      `Node pool version ${version} and control plane version ${m.controlPlane} are incompatible: a pool cannot be newer than the control plane.`,
    );
  return { cluster: c, op: startPoolOp(ctx, c, m, pool, p, "pool", version) };
}

export function upgradeNodeImage(
  ctx: SandboxContext,
  rg: string,
  name: string,
  pool: string,
): { op: TimedOp; cluster: ClusterSim } {
  const c = clusterByPath(ctx, rg, name);
  const m = upgradeModel(ctx, c);
  const p = poolOf(m, c, pool);
  refuseWhileBusy(ctx, c, `a node image upgrade of pool ${pool}`);
  return { cluster: c, op: startPoolOp(ctx, c, m, pool, p, "node-image", ctx.settings.nodeImageVersions.at(-1)!) };
}

function startPoolOp(
  ctx: SandboxContext,
  c: ClusterSim,
  m: ClusterUpgradeSim,
  pool: string,
  p: SimPoolVersion,
  kind: "pool" | "node-image",
  target: string,
): TimedOp {
  const blocked = m.faults.blockedDrain.includes(pool)
    ? m.pdbs.find((x) => x.pods <= x.minAvailable && x.namespace !== "kube-system")
    : undefined;
  p.provisioningState = kind === "pool" ? "Upgrading" : "UpgradingNodeImageVersion";
  delete p.error;
  const seconds = ctx.settings.nodeUpgradeSeconds * (blocked ? 1 : batches(p));
  return start(
    ctx,
    c,
    { kind, cluster: c.id, pool, target, ...(blocked ? { failure: drainFailure(c, pool, blocked) } : {}) },
    seconds,
  );
}

/** The end of an upgrade operation (engine.ts calls it when the op is due). */
export function finishUpgradeOp(ctx: SandboxContext, op: TimedOp): void {
  const input = op.input as UpgradeOpInput;
  const c = ctx.data.clusters[key(input.cluster)];
  if (!c?.upgrade) return;
  const m = c.upgrade;
  const record = m.history[input.record];
  if (input.failure) {
    op.status = "Failed";
    op.error = input.failure;
    if (input.pool !== undefined) {
      m.pools[input.pool]!.provisioningState = "Failed";
      m.pools[input.pool]!.error = input.failure;
    }
    if (record) record.outcome = "Failed";
    return;
  }
  switch (input.kind) {
    case "control-plane":
      m.controlPlane = input.target;
      m.provisioningState = "Succeeded";
      break;
    case "mesh":
      m.istioRevisions = input.revisions ?? m.istioRevisions;
      m.provisioningState = "Succeeded";
      break;
    case "pool":
    case "node-image": {
      const p = m.pools[input.pool!]!;
      if (input.kind === "pool") p.orchestratorVersion = input.target;
      p.nodeImageVersion = ctx.settings.nodeImageVersions.at(-1)!;
      p.provisioningState = "Succeeded";
      if (m.faults.nodeNotReturning.includes(input.pool!)) {
        const node = c.nodes.find((n) => n.pool === input.pool && n.capacityType === "on-demand");
        if (node && !m.notReadyNodes.includes(node.name)) m.notReadyNodes.push(node.name);
      }
      break;
    }
  }
  if (record) record.outcome = "Succeeded";
  op.status = "Succeeded";
}

function minor(v: string): string {
  return v.split(".").slice(0, 2).join(".");
}

function compareVersion(a: string, b: string): number {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** Newer patches of the same minor and the patches of the next minor (AKS never skips a minor). */
function controlPlaneUpgrades(ctx: SandboxContext, m: ClusterUpgradeSim): string[] {
  const [maj, min] = m.controlPlane.split(".").map(Number) as [number, number];
  return ctx.settings.kubernetesVersions.filter((v) => {
    const [a, b] = v.split(".").map(Number) as [number, number];
    return compareVersion(v, m.controlPlane) > 0 && a === maj && (b === min || b === min + 1);
  });
}

// ---- views --------------------------------------------------------------------------------------------

/** What GET managedClusters shows on top of the stored resource: versions, pools, mesh, state, last error. */
export function overlayClusterView(
  ctx: SandboxContext,
  c: ClusterSim,
  view: Record<string, unknown>,
): Record<string, unknown> {
  const m = upgradeModel(ctx, c);
  const props = obj(view.properties);
  const mesh = obj(props.serviceMeshProfile);
  return {
    ...view,
    properties: {
      ...props,
      kubernetesVersion: m.controlPlane,
      currentKubernetesVersion: m.controlPlane,
      provisioningState: m.provisioningState,
      ...(m.error ? { status: { provisioningError: m.error } } : {}),
      agentPoolProfiles: Object.entries(m.pools).map(([name, p]) => ({ name, ...poolProperties(p) })),
      ...(mesh.istio !== undefined
        ? { serviceMeshProfile: { ...mesh, istio: { ...obj(mesh.istio), revisions: m.istioRevisions } } }
        : {}),
    },
  };
}

function poolProperties(p: SimPoolVersion): Record<string, unknown> {
  return {
    mode: p.mode,
    count: p.count,
    orchestratorVersion: p.orchestratorVersion,
    currentOrchestratorVersion: p.orchestratorVersion,
    nodeImageVersion: p.nodeImageVersion,
    provisioningState: p.provisioningState,
    ...(p.maxSurge !== undefined ? { upgradeSettings: { maxSurge: p.maxSurge } } : {}),
    ...(p.error ? { status: { provisioningError: p.error } } : {}),
  };
}

export function agentPoolView(ctx: SandboxContext, rg: string, name: string, pool: string): unknown {
  const c = clusterByPath(ctx, rg, name);
  const p = poolOf(upgradeModel(ctx, c), c, pool);
  return {
    id: `${c.id}/agentPools/${pool}`,
    name: pool,
    type: `${CLUSTER_TYPE}/agentPools`,
    properties: poolProperties(p),
  };
}

export function agentPoolsView(ctx: SandboxContext, rg: string, name: string): unknown[] {
  const c = clusterByPath(ctx, rg, name);
  return Object.keys(upgradeModel(ctx, c).pools).map((p) => agentPoolView(ctx, rg, name, p));
}

export function clusterUpgradeProfile(ctx: SandboxContext, rg: string, name: string): unknown {
  const c = clusterByPath(ctx, rg, name);
  const m = upgradeModel(ctx, c);
  const upgrades = controlPlaneUpgrades(ctx, m).map((kubernetesVersion) => ({ kubernetesVersion }));
  return {
    id: `${c.id}/upgradeProfiles/default`,
    name: "default",
    type: `${CLUSTER_TYPE}/upgradeProfiles`,
    properties: {
      controlPlaneProfile: { kubernetesVersion: m.controlPlane, osType: "Linux", upgrades },
      agentPoolProfiles: Object.entries(m.pools).map(([pool, p]) => ({
        name: pool,
        kubernetesVersion: p.orchestratorVersion,
        osType: "Linux",
        upgrades,
      })),
    },
  };
}

export function poolUpgradeProfile(ctx: SandboxContext, rg: string, name: string, pool: string): unknown {
  const c = clusterByPath(ctx, rg, name);
  const m = upgradeModel(ctx, c);
  const p = poolOf(m, c, pool);
  return {
    id: `${c.id}/agentPools/${pool}/upgradeProfiles/default`,
    name: "default",
    type: `${CLUSTER_TYPE}/agentPools/upgradeProfiles`,
    properties: {
      kubernetesVersion: p.orchestratorVersion,
      osType: "Linux",
      // A pool may go up to the control plane's version.
      upgrades: ctx.settings.kubernetesVersions
        .filter((v) => compareVersion(v, p.orchestratorVersion) > 0 && compareVersion(v, m.controlPlane) <= 0)
        .map((kubernetesVersion) => ({ kubernetesVersion })),
      latestNodeImageVersion: ctx.settings.nodeImageVersions.at(-1),
    },
  };
}

/** `meshUpgradeProfiles/istio` of a cluster: its (oldest) revision, where it can go, and what it runs on. */
export function meshUpgradeProfiles(ctx: SandboxContext, rg: string, name: string): unknown[] {
  const c = clusterByPath(ctx, rg, name);
  const m = upgradeModel(ctx, c);
  const current = ctx.settings.meshRevisions.find((r) => r.revision === m.istioRevisions[0]);
  if (!current) return [];
  return [
    {
      id: `${c.id}/meshUpgradeProfiles/istio`,
      name: "istio",
      type: `${CLUSTER_TYPE}/meshUpgradeProfiles`,
      properties: { revision: current.revision, upgrades: current.upgrades, compatibleWith: current.compatibleWith },
    },
  ];
}

const maintenanceSchema = z.looseObject({
  properties: z.looseObject({
    maintenanceWindow: z.looseObject({
      schedule: z.looseObject({}),
      durationHours: z.number().int().min(4).max(24),
      startTime: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/),
      utcOffset: z
        .string()
        .regex(/^[+-]\d\d:\d\d$/)
        .optional(),
    }),
  }),
});

/** PUT maintenanceConfigurations: only the two AKS-managed names take a `maintenanceWindow`. */
export function putMaintenanceConfiguration(
  ctx: SandboxContext,
  rg: string,
  name: string,
  config: string,
  body: unknown,
): unknown {
  const c = clusterByPath(ctx, rg, name);
  if (!["aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"].includes(config))
    throw new ArmHttpError(
      400,
      "InvalidParameter",
      `The sandbox models only aksManagedAutoUpgradeSchedule and aksManagedNodeOSUpgradeSchedule, not '${config}'.`,
    );
  const parsed = maintenanceSchema.safeParse(body);
  if (!parsed.success)
    throw new ArmHttpError(
      400,
      "InvalidParameter",
      `maintenanceWindow: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`,
    );
  const stored = {
    id: `${c.id}/maintenanceConfigurations/${config}`,
    name: config,
    type: `${CLUSTER_TYPE}/maintenanceConfigurations`,
    properties: parsed.data.properties,
  };
  upgradeModel(ctx, c).maintenanceConfigurations[config] = stored;
  return stored;
}

export function getMaintenanceConfiguration(ctx: SandboxContext, rg: string, name: string, config: string): unknown {
  const c = clusterByPath(ctx, rg, name);
  const stored = upgradeModel(ctx, c).maintenanceConfigurations[config];
  if (!stored)
    throw new ArmHttpError(
      404,
      "NotFound",
      `Maintenance configuration '${config}' of cluster '${c.name}' was not found.`,
    );
  return stored;
}

// ---- inside the cluster (run command) ------------------------------------------------------------------

/** Kubelet version and readiness of a node: pool nodes follow their pool batch by batch, Karpenter nodes the control plane. */
export function nodeState(
  ctx: SandboxContext,
  c: ClusterSim,
  n: SimNode,
): { kubeletVersion: string; ready: boolean; image?: string } {
  const m = upgradeModel(ctx, c);
  const ready = !m.notReadyNodes.includes(n.name);
  if (n.capacityType === "spot") return { kubeletVersion: `v${m.controlPlane}`, ready };
  const p = m.pools[n.pool];
  if (!p) return { kubeletVersion: `v${m.controlPlane}`, ready };
  let version = p.orchestratorVersion;
  const running = m.history.findLast((h) => h.pool === n.pool && h.kind === "pool" && h.outcome === undefined);
  if (running && p.provisioningState === "Upgrading") {
    // Nodes already done in this operation (batches of maxSurge, in node order) run the target.
    const surge = surgeOf(p.maxSurge, p.count);
    const done = Math.floor((ctx.clock.now() - running.startedAt) / (ctx.settings.nodeUpgradeSeconds * 1000)) * surge;
    const index = c.nodes.filter((x) => x.pool === n.pool).indexOf(n);
    if (index < done) version = running.target;
  }
  return { kubeletVersion: `v${version}`, ready, image: p.nodeImageVersion };
}

function deployment(namespace: string, name: string, replicas: number, ready: number): unknown {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { namespace, name },
    spec: { replicas },
    status: { replicas, readyReplicas: ready },
  };
}

function fluxObject(kind: "Kustomization" | "HelmRelease", name: string): unknown {
  const group = kind === "Kustomization" ? "kustomize.toolkit.fluxcd.io/v1" : "helm.toolkit.fluxcd.io/v2";
  return {
    apiVersion: group,
    kind,
    metadata: { namespace: "flux-system", name },
    status: { conditions: [{ type: "Ready", status: "True", reason: "ReconciliationSucceeded" }] },
  };
}

/** Objects of `kubectl get <kinds> -A -o json` that the upgrade gates read (besides nodes and pods). */
export function upgradeObjects(ctx: SandboxContext, c: ClusterSim, kind: string): unknown[] | undefined {
  const m = upgradeModel(ctx, c);
  switch (kind) {
    case "poddisruptionbudgets":
    case "pdb":
      return m.pdbs.map((p) => ({
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: { namespace: p.namespace, name: p.name },
        spec: { minAvailable: p.minAvailable },
        status: {
          expectedPods: p.pods,
          currentHealthy: p.pods,
          desiredHealthy: p.minAvailable,
          disruptionsAllowed: Math.max(0, p.pods - p.minAvailable),
        },
      }));
    case "kustomizations.kustomize.toolkit.fluxcd.io":
    case "kustomizations":
      return ["flux-system", "infrastructure", "apps"].map((n) => fluxObject("Kustomization", n));
    case "helmreleases.helm.toolkit.fluxcd.io":
    case "helmreleases":
      return ["cert-manager", "external-secrets", "reloader"].map((n) => fluxObject("HelmRelease", n));
    case "namespaces":
    case "namespace":
    case "ns":
      return ["default", "kube-system", "flux-system", "aks-istio-system", "aks-istio-ingress", "apps"].map((name) => ({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
          name,
          labels: {
            "kubernetes.io/metadata.name": name,
            ...(m.namespaceRevisions[name] !== undefined ? { "istio.io/rev": m.namespaceRevisions[name] } : {}),
          },
        },
      }));
    case "deployments":
    case "deployment": {
      const canary = m.istioRevisions.length > 1 ? m.istioRevisions.at(-1) : undefined;
      const unhealthy = (rev: string) => m.faults.istioCanaryUnhealthy && rev === canary;
      return [
        ...m.istioRevisions.map((rev) => deployment("aks-istio-system", `istiod-${rev}`, 2, unhealthy(rev) ? 0 : 2)),
        ...(m.istioGateway
          ? m.istioRevisions.map((rev) =>
              deployment("aks-istio-ingress", `aks-istio-ingressgateway-external-${rev}`, 2, unhealthy(rev) ? 0 : 2),
            )
          : []),
        deployment("kube-system", "coredns", 2, 2),
      ];
    }
    default:
      return undefined;
  }
}

/** `kubectl label namespace <ns> istio.io/rev=<rev> --overwrite`: moves a namespace to an Istio revision. */
export function labelNamespace(
  ctx: SandboxContext,
  c: ClusterSim,
  namespace: string,
  labels: string[],
): { exitCode: number; logs: string } {
  const m = upgradeModel(ctx, c);
  for (const l of labels) {
    const [k, v] = l.split("=");
    if (k !== "istio.io/rev" || !v)
      return { exitCode: 1, logs: `error: the sandbox interprets only the istio.io/rev label, got '${l}'\n` };
    if (!m.istioRevisions.includes(v))
      return { exitCode: 0, logs: `namespace/${namespace} labeled (warning: no control plane for revision ${v})\n` };
    m.namespaceRevisions[namespace] = v;
  }
  return { exitCode: 0, logs: `namespace/${namespace} labeled\n` };
}

// ---- faults ---------------------------------------------------------------------------------------------

export const upgradeFaultSchema = z
  .object({
    /** A PodDisruptionBudget allowing no disruption blocks draining this pool's nodes (`null` lifts it). */
    blockedDrain: z
      .object({ pool: z.string(), namespace: z.string().default("apps"), name: z.string().default("payments") })
      .strict()
      .nullable()
      .optional(),
    /** After its upgrade, one node of this pool stays NotReady (`null` brings it back). */
    nodeNotReturning: z.object({ pool: z.string() }).strict().nullable().optional(),
    /** The canary Istio revision's control plane and gateways never become ready. */
    istioCanaryUnhealthy: z.boolean().optional(),
  })
  .strict();

export function setUpgradeFaults(
  ctx: SandboxContext,
  c: ClusterSim,
  input: z.input<typeof upgradeFaultSchema>,
): ClusterUpgradeSim["faults"] {
  const f = upgradeFaultSchema.parse(input);
  const m = upgradeModel(ctx, c);
  if (f.blockedDrain) {
    m.faults.blockedDrain.push(f.blockedDrain.pool);
    m.pdbs.push({ namespace: f.blockedDrain.namespace, name: f.blockedDrain.name, minAvailable: 1, pods: 1 });
  } else if (f.blockedDrain === null) {
    // The fix a person makes: the workload gets a second replica, its PDB allows one disruption again.
    m.faults.blockedDrain = [];
    for (const p of m.pdbs) if (p.pods <= p.minAvailable) p.pods = p.minAvailable + 1;
  }
  if (f.nodeNotReturning) m.faults.nodeNotReturning.push(f.nodeNotReturning.pool);
  else if (f.nodeNotReturning === null) {
    m.faults.nodeNotReturning = [];
    m.notReadyNodes = [];
  }
  if (f.istioCanaryUnhealthy !== undefined) m.faults.istioCanaryUnhealthy = f.istioCanaryUnhealthy;
  return m.faults;
}
