import {
  BACKUP_INSTANCE_TYPE,
  adhocBackup,
  checkProtectionChange,
  getJob,
  listJobs,
  listRecoveryPoints,
  triggerRestore,
  validateRestore,
} from "./backup";
import {
  DEPLOYMENT_TYPE,
  asyncStatusOf,
  cancelDeployment,
  deleteDeployment,
  deploymentOperationsView,
  deploymentView,
  getStoredDeployment,
  lockHolder,
  lockKeyFor,
  submitDeployment,
  validateDeployment,
  whatIfDeployment,
  type DeploymentTarget,
} from "./deployments";
import { getOp, startOp } from "./engine";
import type { SandboxCaller } from "./events";
import { ArmHttpError, type Reply } from "./http";
import { listRoleAssignments } from "./roleAssignments";
import { key, parseResourceId } from "./ids";
import { latencySecondsForType } from "../../lib/plan/latency";
import { commitResource } from "./resources";
import { commitNetworkManager, effectiveConnectivity, listNetworkManagerDeploymentStatus } from "./networkManager";
import {
  findResource,
  resourceView,
  type ResourceRequest,
  type SandboxContext,
  type StoredResourceGroup,
  type TimedOp,
} from "./state";
import {
  agentPoolView,
  agentPoolsView,
  CLUSTER_TYPE,
  clusterUpgradeProfile,
  getMaintenanceConfiguration,
  meshUpgradeProfiles,
  overlayClusterView,
  poolUpgradeProfile,
  putAgentPool,
  putMaintenanceConfiguration,
  putManagedCluster,
  upgradeNodeImage,
} from "./upgrade";

/** The subset of the ARM REST API the app uses, routed by path (case-insensitive, as ARM is). */

export interface ArmRequest {
  method: string;
  path: string;
  url: URL;
  /** `https://host:port` as the client addressed us; Location headers point back here. */
  base: string;
  body: unknown;
  correlationId: string;
  /** The identity of the request's token. */
  caller: SandboxCaller;
}

type Handler = (ctx: SandboxContext, req: ArmRequest, m: string[]) => Reply;

const S = "/subscriptions/([^/]+)";
const RG = `${S}/resourcegroups/([^/]+)`;
const DEP = "/providers/microsoft\\.resources/deployments/([^/]+)";
const AKS = `${RG}/providers/microsoft\\.containerservice/managedclusters/([^/]+)`;
const NETWORK_MANAGER = `${RG}/providers/microsoft\\.network/networkmanagers/([^/]+)`;
const VAULT = `${RG}/providers/microsoft\\.dataprotection/backupvaults/([^/]+)`;

function retryAfter(ctx: SandboxContext, finishAt: number): string {
  return String(Math.min(15, Math.max(1, Math.ceil(ctx.clock.realMsUntil(finishAt) / 1000))));
}

/**
 * Retry-After of a template deployment, in simulated seconds: ARM's usual 15 s polling pace, or less when the
 * deployment ends sooner. Its status is polled by a durable orchestration whose timers run on the same simulated
 * clock (the SDK's LRO pollers, which follow the PUT's Azure-AsyncOperation, sleep real seconds: `retryAfter`).
 */
function deploymentPollAfter(ctx: SandboxContext, finishAt: number): string {
  return String(Math.min(15, Math.max(1, Math.ceil((finishAt - ctx.clock.now()) / 1000))));
}

function apiVersion(req: ArmRequest): string {
  return req.url.searchParams.get("api-version") ?? "";
}

function withApi(req: ArmRequest, path: string): string {
  return `${req.base}${path}?api-version=${encodeURIComponent(apiVersion(req))}`;
}

/** One page of a list, with a `nextLink` that keeps the query (api-version, $filter) and adds $skipToken. */
function page(ctx: SandboxContext, req: ArmRequest, items: unknown[]): Reply {
  const start = Number(req.url.searchParams.get("$skipToken") ?? "0") || 0;
  const size = ctx.settings.pageSize;
  const value = items.slice(start, start + size);
  const body: Record<string, unknown> = { value };
  if (start + size < items.length) {
    // ARM writes `$skipToken` unencoded; keep the rest of the query (api-version, $filter) as sent.
    const query = req.url.search
      .replace(/^\?/, "")
      .split("&")
      .filter((p) => p && !/^(\$|%24)skipToken=/i.test(p));
    body.nextLink = `${req.base}${req.path}?${[...query, `$skipToken=${start + size}`].join("&")}`;
  }
  return { status: 200, body };
}

function rgView(rg: StoredResourceGroup): unknown {
  return {
    id: rg.id,
    name: rg.name,
    type: "Microsoft.Resources/resourceGroups",
    location: rg.location,
    ...(rg.tags ? { tags: rg.tags } : {}),
    properties: { provisioningState: rg.provisioningState },
  };
}

function requireRg(ctx: SandboxContext, name: string): StoredResourceGroup {
  const rg = ctx.data.resourceGroups[key(name)];
  if (!rg) throw new ArmHttpError(404, "ResourceGroupNotFound", `Resource group '${name}' could not be found.`);
  return rg;
}

function lroLocation(ctx: SandboxContext, req: ArmRequest, op: TimedOp, path: string): Reply {
  return { status: 202, headers: { location: withApi(req, path), "retry-after": retryAfter(ctx, op.finishAt) } };
}

function opResultsPath(ctx: SandboxContext, op: TimedOp): string {
  return `/subscriptions/${ctx.settings.subscriptionId}/operationresults/${op.id}`;
}

function managerPath(m: string[]): string {
  return `/subscriptions/${m[1]!}/resourceGroups/${m[2]!}/providers/Microsoft.Network/networkManagers/${m[3]!}`;
}

function target(kind: "subscription" | "resourceGroup", m: string[]): DeploymentTarget {
  return kind === "subscription" ? { kind, name: m[2]! } : { kind, resourceGroup: m[2]!, name: m[3]! };
}

function deploymentRoutes(kind: "subscription" | "resourceGroup", prefix: string): [string, string, Handler][] {
  const base = `${prefix}${DEP}`;
  const ops: Handler = (ctx, req, m) =>
    page(ctx, req, deploymentOperationsView(ctx, getStoredDeployment(ctx, target(kind, m))));
  return [
    [
      "PUT",
      `${base}$`,
      (ctx, req, m) => {
        const d = submitDeployment(ctx, target(kind, m), req.body, req.correlationId, req.caller);
        return {
          status: 201,
          body: deploymentView(ctx, d),
          headers: {
            "azure-asyncoperation": withApi(req, `${d.id}/operationStatuses/${d.asyncOperationId}`),
            "retry-after": retryAfter(ctx, Math.max(d.startedAt, ...d.steps.map((s) => s.finish))),
          },
        };
      },
    ],
    [
      "GET",
      `${base}$`,
      (ctx, _req, m) => {
        const d = getStoredDeployment(ctx, target(kind, m));
        const running = d.provisioningState === "Accepted" || d.provisioningState === "Running";
        const end = Math.max(d.startedAt, ...d.steps.map((s) => s.finish));
        return {
          status: 200,
          body: deploymentView(ctx, d),
          ...(running ? { headers: { "retry-after": deploymentPollAfter(ctx, end) } } : {}),
        };
      },
    ],
    [
      "HEAD",
      `${base}$`,
      (ctx, _req, m) => {
        getStoredDeployment(ctx, target(kind, m));
        return { status: 204 };
      },
    ],
    [
      "DELETE",
      `${base}$`,
      (ctx, _req, m) => {
        deleteDeployment(ctx, target(kind, m));
        return { status: 204 };
      },
    ],
    [
      "GET",
      `${base}/operationstatuses/([^/]+)$`,
      (ctx, _req, m) => {
        const d = getStoredDeployment(ctx, target(kind, m));
        const status = asyncStatusOf(d);
        const end = Math.max(d.startedAt, ...d.steps.map((s) => s.finish));
        return {
          status: 200,
          body: status,
          ...(status.status === "Running" ? { headers: { "retry-after": retryAfter(ctx, end) } } : {}),
        };
      },
    ],
    [
      "POST",
      `${base}/validate$`,
      (ctx, req, m) => ({ status: 200, body: validateDeployment(ctx, target(kind, m), req.body) }),
    ],
    [
      "POST",
      `${base}/whatif$`,
      (ctx, req, m) => {
        const result = whatIfDeployment(ctx, target(kind, m), req.body);
        const op = startOp(
          ctx,
          { kind: "whatIf", target: m[kind === "subscription" ? 2 : 3]!, result },
          5,
          DEPLOYMENT_TYPE,
        );
        return lroLocation(ctx, req, op, opResultsPath(ctx, op));
      },
    ],
    [
      "POST",
      `${base}/cancel$`,
      (ctx, _req, m) => {
        cancelDeployment(ctx, target(kind, m));
        return { status: 204 };
      },
    ],
    ["GET", `${base}/operations$`, ops],
    ...(kind === "resourceGroup"
      ? ([["GET", `${RG}/deployments/([^/]+)/operations$`, ops]] as [string, string, Handler][])
      : []),
    [
      "GET",
      `${prefix}/providers/microsoft\\.resources/deployments$`,
      (ctx, req, m) => {
        const scopeId =
          kind === "subscription"
            ? `/subscriptions/${m[1]!}/providers/`
            : `/subscriptions/${m[1]!}/resourcegroups/${m[2]!}/providers/`;
        const items = Object.values(ctx.data.deployments)
          .filter((d) => key(d.id).startsWith(scopeId.toLowerCase()))
          .map((d) => deploymentView(ctx, d));
        return page(ctx, req, items);
      },
    ],
  ];
}

const routes: [string, string, Handler][] = [
  [
    "GET",
    `${S}$`,
    (ctx) => ({
      status: 200,
      body: {
        id: `/subscriptions/${ctx.settings.subscriptionId}`,
        subscriptionId: ctx.settings.subscriptionId,
        tenantId: ctx.settings.tenantId,
        displayName: "sandbox",
        state: "Enabled",
      },
    }),
  ],
  ["GET", `${S}/resourcegroups$`, (ctx, req) => page(ctx, req, Object.values(ctx.data.resourceGroups).map(rgView))],
  [
    "PUT",
    `${RG}$`,
    (ctx, _req, m) => {
      const body = _req.body as { location?: unknown; tags?: unknown } | undefined;
      if (typeof body?.location !== "string")
        throw new ArmHttpError(400, "LocationRequired", "The location property is required for this definition.");
      const existing = ctx.data.resourceGroups[key(m[2]!)];
      if (existing?.provisioningState === "Deleting")
        throw new ArmHttpError(
          409,
          "ResourceGroupBeingDeleted",
          `The resource group '${m[2]!}' is in deprovisioning state and cannot perform this operation.`,
        );
      const rg: StoredResourceGroup = {
        id: `/subscriptions/${ctx.settings.subscriptionId}/resourceGroups/${existing?.name ?? m[2]!}`,
        name: existing?.name ?? m[2]!,
        location: body.location,
        ...(body.tags && typeof body.tags === "object" ? { tags: body.tags as Record<string, string> } : {}),
        provisioningState: "Succeeded",
      };
      ctx.data.resourceGroups[key(rg.name)] = rg;
      ctx.counters.markModified(rg.id);
      return { status: existing ? 200 : 201, body: rgView(rg) };
    },
  ],
  ["GET", `${RG}$`, (ctx, _req, m) => ({ status: 200, body: rgView(requireRg(ctx, m[2]!)) })],
  ["HEAD", `${RG}$`, (ctx, _req, m) => ({ status: ctx.data.resourceGroups[key(m[2]!)] ? 204 : 404 })],
  [
    "DELETE",
    `${RG}$`,
    (ctx, req, m) => {
      const rg = requireRg(ctx, m[2]!);
      if (rg.provisioningState === "Deleting") {
        const running = Object.values(ctx.data.ops).find(
          (o) => o.kind === "deleteResourceGroup" && o.status === "InProgress" && key(o.target) === key(rg.name),
        );
        if (running) return lroLocation(ctx, req, running, opResultsPath(ctx, running));
      }
      rg.provisioningState = "Deleting";
      const prefix = key(rg.id) + "/";
      const slowest = Object.values(ctx.data.resources)
        .filter((r) => key(r.id).startsWith(prefix))
        .reduce((max, r) => Math.max(max, latencySecondsForType(r.type, ctx.settings.latencyOverrides) / 2), 5);
      const op = startOp(
        ctx,
        { kind: "deleteResourceGroup", target: rg.name },
        slowest,
        "Microsoft.Resources/resourceGroups",
      );
      return lroLocation(ctx, req, op, opResultsPath(ctx, op));
    },
  ],
  ...deploymentRoutes("subscription", S),
  ...deploymentRoutes("resourceGroup", RG),
  [
    "POST",
    `${NETWORK_MANAGER}/commit$`,
    (ctx, req, m) => {
      const op = commitNetworkManager(ctx, managerPath(m), req.body);
      return lroLocation(ctx, req, op, opResultsPath(ctx, op));
    },
  ],
  [
    "POST",
    `${NETWORK_MANAGER}/listdeploymentstatus$`,
    (ctx, req, m) => ({ status: 200, body: listNetworkManagerDeploymentStatus(ctx, managerPath(m), req.body) }),
  ],
  [
    "POST",
    `${RG}/providers/microsoft\\.network/virtualnetworks/([^/]+)/listnetworkmanagereffectiveconnectivityconfigurations$`,
    (ctx, _req, m) => ({
      status: 200,
      body: effectiveConnectivity(
        ctx,
        `/subscriptions/${m[1]!}/resourceGroups/${m[2]!}/providers/Microsoft.Network/virtualNetworks/${m[3]!}`,
      ),
    }),
  ],
  [
    "GET",
    `${S}/operationresults/([^/]+)$`,
    (ctx, req, m) => {
      const op = getOp(ctx, m[2]!);
      if (op.status === "InProgress") return lroLocation(ctx, req, op, opResultsPath(ctx, op));
      if (op.status === "Failed")
        throw new ArmHttpError(400, op.error?.code ?? "OperationFailed", op.error?.message ?? "The operation failed.");
      return { status: 200, ...(op.result !== undefined ? { body: op.result } : {}) };
    },
  ],
  [
    "GET",
    `${S}/providers/([^/]+)/locations/([^/]+)/operationstatuses/([^/]+)$`,
    (ctx, req, m) => {
      const op = getOp(ctx, m[4]!);
      const body = {
        id: req.path,
        name: op.id,
        status: op.status,
        startTime: new Date(op.startedAt).toISOString(),
        ...(op.status !== "InProgress" ? { endTime: new Date(op.finishAt).toISOString() } : {}),
        ...(op.error ? { error: op.error } : {}),
        ...(op.result !== undefined
          ? { properties: { objectType: "OperationJobExtendedInfo", ...(op.result as object) } }
          : {}),
      };
      return {
        status: 200,
        body,
        ...(op.status === "InProgress" ? { headers: { "retry-after": retryAfter(ctx, op.finishAt) } } : {}),
      };
    },
  ],
  [
    "GET",
    `${S}/providers/microsoft\\.containerservice/locations/([^/]+)/meshrevisionprofiles$`,
    (ctx, req, m) => page(ctx, req, [meshProfile(ctx, m[2]!)]),
  ],
  [
    "GET",
    `${S}/providers/microsoft\\.containerservice/locations/([^/]+)/meshrevisionprofiles/([^/]+)$`,
    (ctx, _req, m) => {
      if (m[3]!.toLowerCase() !== "istio")
        throw new ArmHttpError(404, "NotFound", `Mesh mode '${m[3]!}' is not supported; use 'istio'.`);
      return { status: 200, body: meshProfile(ctx, m[2]!) };
    },
  ],
  [
    "POST",
    `${AKS}/runcommand$`,
    (ctx, req, m) => {
      const clusterId = `/subscriptions/${m[1]!}/resourceGroups/${m[2]!}/providers/Microsoft.ContainerService/managedClusters/${m[3]!}`;
      const cluster = findResource(ctx, clusterId);
      if (!cluster)
        throw new ArmHttpError(
          404,
          "ResourceNotFound",
          `The Resource 'Microsoft.ContainerService/managedClusters/${m[3]!}' under resource group '${m[2]!}' was not found.`,
        );
      const body = req.body as { command?: unknown } | undefined;
      if (typeof body?.command !== "string" || !body.command.trim())
        throw new ArmHttpError(400, "InvalidParameter", "runCommand needs a non-empty 'command'.");
      const props = cluster.request.properties as { apiServerAccessProfile?: { disableRunCommand?: unknown } };
      if (props.apiServerAccessProfile?.disableRunCommand === true)
        throw new ArmHttpError(
          400,
          "RunCommandDisabled",
          "Run command is disabled on this cluster (apiServerAccessProfile.disableRunCommand).",
        );
      const op = startOp(
        ctx,
        { kind: "runCommand", target: cluster.id, input: body.command },
        ctx.settings.runCommandSeconds,
        cluster.type,
      );
      ctx.events.emit("action", cluster.id, {
        caller: req.caller,
        correlationId: req.correlationId,
        method: "POST",
        at: ctx.clock.now(),
        action: "runCommand",
      });
      return lroLocation(ctx, req, op, `${cluster.id}/commandResults/${op.id}`);
    },
  ],
  [
    "GET",
    `${AKS}/commandresults/([^/]+)$`,
    (ctx, req, m) => {
      const op = getOp(ctx, m[4]!);
      const view = (state: string, extra: object) => ({
        id: op.id,
        properties: { provisioningState: state, startedAt: new Date(op.startedAt).toISOString(), ...extra },
      });
      if (op.status === "InProgress")
        return {
          status: 202,
          body: view("Running", {}),
          headers: { location: withApi(req, req.path), "retry-after": retryAfter(ctx, op.finishAt) },
        };
      if (op.status === "Failed")
        throw new ArmHttpError(404, op.error?.code ?? "ResourceNotFound", op.error?.message ?? "The command failed.");
      return {
        status: 200,
        body: view("Succeeded", { finishedAt: new Date(op.finishAt).toISOString(), ...(op.result as object) }),
      };
    },
  ],
  [
    "GET",
    `${VAULT}/backupinstances$`,
    (ctx, req, m) => {
      const prefix = key(
        `/subscriptions/${m[1]!}/resourceGroups/${m[2]!}/providers/Microsoft.DataProtection/backupVaults/${m[3]!}/backupInstances/`,
      );
      return page(
        ctx,
        req,
        Object.values(ctx.data.resources)
          .filter((r) => key(r.id).startsWith(prefix))
          .map(resourceView),
      );
    },
  ],
  [
    "GET",
    `${VAULT}/backupinstances/([^/]+)/recoverypoints$`,
    (ctx, req) => page(ctx, req, listRecoveryPoints(ctx, req.path.replace(/\/recoveryPoints$/i, ""))),
  ],
  ["GET", `${VAULT}/backupjobs$`, (ctx, req) => page(ctx, req, listJobs(ctx, req.path.replace(/\/backupJobs$/i, "")))],
  [
    "GET",
    `${VAULT}/backupjobs/([^/]+)$`,
    (ctx, req, m) => ({ status: 200, body: getJob(ctx, req.path.replace(/\/backupJobs\/[^/]+$/i, ""), m[4]!) }),
  ],
  [
    "POST",
    `${VAULT}/backupinstances/([^/]+)/backup$`,
    (ctx, req) => {
      const biId = req.path.replace(/\/backup$/i, "");
      const result = adhocBackup(ctx, biId);
      return dataProtectionLro(
        ctx,
        req,
        startOp(ctx, { kind: "adhocBackup", target: biId, result }, 10, BACKUP_INSTANCE_TYPE),
      );
    },
  ],
  ...(["stopProtection", "suspendBackups"] as const).map((kind): [string, string, Handler] => [
    "POST",
    `${VAULT}/backupinstances/([^/]+)/${kind.toLowerCase()}$`,
    (ctx, req) => {
      const biId = req.path.replace(new RegExp(`/${kind}$`, "i"), "");
      checkProtectionChange(ctx, biId, kind === "stopProtection" ? "stop" : "suspend");
      return dataProtectionLro(ctx, req, startOp(ctx, { kind, target: biId }, 20, BACKUP_INSTANCE_TYPE));
    },
  ]),
  [
    "POST",
    `${VAULT}/backupinstances/([^/]+)/validaterestore$`,
    (ctx, req) => {
      const biId = req.path.replace(/\/validateRestore$/i, "");
      validateRestore(ctx, biId, req.body);
      return dataProtectionLro(
        ctx,
        req,
        startOp(ctx, { kind: "validateRestore", target: biId }, 30, BACKUP_INSTANCE_TYPE),
      );
    },
  ],
  [
    "POST",
    `${VAULT}/backupinstances/([^/]+)/restore$`,
    (ctx, req) => {
      const biId = req.path.replace(/\/restore$/i, "");
      const result = triggerRestore(ctx, biId, req.body);
      return dataProtectionLro(
        ctx,
        req,
        startOp(ctx, { kind: "restore", target: biId, result }, 10, BACKUP_INSTANCE_TYPE),
      );
    },
  ],
  [
    "GET",
    `${S}(?:/.*)?/providers/microsoft\\.authorization/roleassignments$`,
    (ctx, req) => page(ctx, req, listRoleAssignments(ctx, req.path, req.url.searchParams.get("$filter"))),
  ],
  ...upgradeRoutes(),
  ["GET", `${S}/(?:resourcegroups/[^/]+/)?providers/.+$`, (ctx, req) => getById(ctx, req)],
  ["PUT", `${S}/resourcegroups/[^/]+/providers/.+$`, (ctx, req) => putById(ctx, req)],
  ["DELETE", `${S}/(?:resourcegroups/[^/]+/)?providers/.+$`, (ctx, req) => deleteById(ctx, req)],
];

function dataProtectionLro(ctx: SandboxContext, req: ArmRequest, op: TimedOp): Reply {
  const location = ctx.data.resources[key(op.target)]?.request.location;
  const status = `/subscriptions/${ctx.settings.subscriptionId}/providers/Microsoft.DataProtection/locations/${typeof location === "string" ? location : "global"}/operationStatuses/${op.id}`;
  return {
    status: 202,
    headers: {
      "azure-asyncoperation": withApi(req, status),
      location: withApi(req, opResultsPath(ctx, op)),
      "retry-after": retryAfter(ctx, op.finishAt),
    },
  };
}

function meshProfile(ctx: SandboxContext, location: string): unknown {
  return {
    id: `/subscriptions/${ctx.settings.subscriptionId}/providers/Microsoft.ContainerService/locations/${location}/meshRevisionProfiles/istio`,
    name: "istio",
    type: "Microsoft.ContainerService/locations/meshRevisionProfiles",
    properties: { meshRevisions: ctx.settings.meshRevisions },
  };
}

function getById(ctx: SandboxContext, req: ArmRequest): Reply {
  const id = req.path;
  const r = findResource(ctx, id);
  if (!r) {
    const parsed = parseResourceId(id);
    throw new ArmHttpError(
      404,
      "ResourceNotFound",
      `The Resource '${parsed?.type ?? "resource"}/${parsed?.name ?? id}' under resource group '${parsed?.resourceGroup ?? ""}' was not found.`,
    );
  }
  const cluster = r.type.toLowerCase() === CLUSTER_TYPE.toLowerCase() ? ctx.data.clusters[key(r.id)] : undefined;
  return { status: 200, body: cluster ? overlayClusterView(ctx, cluster, resourceView(r)) : resourceView(r) };
}

/**
 * AKS upgrades outside deployments (./upgrade.ts): cluster and agent pool PUTs that change versions or Istio
 * revisions answer at once with an Azure-AsyncOperation; the resource shows `Upgrading` until the operation ends.
 */
function upgradeRoutes(): [string, string, Handler][] {
  const lro = (ctx: SandboxContext, req: ArmRequest, started: { op?: TimedOp }, body: unknown): Reply => {
    const op = started.op;
    if (!op) return { status: 200, body };
    const status = `/subscriptions/${ctx.settings.subscriptionId}/providers/Microsoft.ContainerService/locations/${typeof (body as { location?: unknown }).location === "string" ? (body as { location: string }).location : "global"}/operationStatuses/${op.id}`;
    return {
      status: 200,
      body,
      headers: { "azure-asyncoperation": withApi(req, status), "retry-after": retryAfter(ctx, op.finishAt) },
    };
  };
  const clusterView = (ctx: SandboxContext, req: ArmRequest) =>
    getById(ctx, { ...req, path: req.path.replace(/\/agentpools\/.*$/i, "") }).body;
  const POOL = `${AKS}/agentpools/([^/]+)`;
  return [
    [
      "PUT",
      `${AKS}$`,
      (ctx, req, m) => {
        if (!findResource(ctx, req.path))
          throw new ArmHttpError(400, "SandboxUnsupported", "The sandbox creates clusters through deployments only.");
        const started = putManagedCluster(ctx, m[2]!, m[3]!, req.body);
        return lro(ctx, req, started, clusterView(ctx, req));
      },
    ],
    ["GET", `${AKS}/agentpools$`, (ctx, req, m) => page(ctx, req, agentPoolsView(ctx, m[2]!, m[3]!))],
    ["GET", `${POOL}$`, (ctx, _req, m) => ({ status: 200, body: agentPoolView(ctx, m[2]!, m[3]!, m[4]!) })],
    [
      "PUT",
      `${POOL}$`,
      (ctx, req, m) => {
        const started = putAgentPool(ctx, m[2]!, m[3]!, m[4]!, req.body);
        const view = agentPoolView(ctx, m[2]!, m[3]!, m[4]!);
        return lro(ctx, req, started, {
          ...(view as object),
          location: (clusterView(ctx, req) as { location?: unknown }).location,
        });
      },
    ],
    [
      "POST",
      `${POOL}/upgradenodeimageversion$`,
      (ctx, req, m) => {
        const { op } = upgradeNodeImage(ctx, m[2]!, m[3]!, m[4]!);
        return lroLocation(ctx, req, op, opResultsPath(ctx, op));
      },
    ],
    [
      "GET",
      `${POOL}/upgradeprofiles/default$`,
      (ctx, _req, m) => ({ status: 200, body: poolUpgradeProfile(ctx, m[2]!, m[3]!, m[4]!) }),
    ],
    [
      "GET",
      `${AKS}/upgradeprofiles/default$`,
      (ctx, _req, m) => ({ status: 200, body: clusterUpgradeProfile(ctx, m[2]!, m[3]!) }),
    ],
    ["GET", `${AKS}/meshupgradeprofiles$`, (ctx, req, m) => page(ctx, req, meshUpgradeProfiles(ctx, m[2]!, m[3]!))],
    [
      "GET",
      `${AKS}/meshupgradeprofiles/([^/]+)$`,
      (ctx, _req, m) => {
        const profile = meshUpgradeProfiles(ctx, m[2]!, m[3]!).find(() => m[4]!.toLowerCase() === "istio");
        if (!profile)
          throw new ArmHttpError(404, "NotFound", `No mesh upgrade profile '${m[4]!}' on cluster '${m[3]!}'.`);
        return { status: 200, body: profile };
      },
    ],
    [
      "PUT",
      `${AKS}/maintenanceconfigurations/([^/]+)$`,
      (ctx, req, m) => ({ status: 200, body: putMaintenanceConfiguration(ctx, m[2]!, m[3]!, m[4]!, req.body) }),
    ],
    [
      "GET",
      `${AKS}/maintenanceconfigurations/([^/]+)$`,
      (ctx, _req, m) => ({ status: 200, body: getMaintenanceConfiguration(ctx, m[2]!, m[3]!, m[4]!) }),
    ],
  ];
}

function deleteById(ctx: SandboxContext, req: ArmRequest): Reply {
  const r = findResource(ctx, req.path);
  if (!r) return { status: 204 };
  const lockKey = lockKeyFor(r.id);
  if (lockKey !== undefined && lockHolder(ctx, lockKey) !== undefined) {
    throw new ArmHttpError(
      409,
      "AnotherOperationInProgress",
      `Another operation is in progress on '${r.id}'. Please retry later.`,
    );
  }
  const op = startOp(
    ctx,
    {
      kind: "deleteResource",
      target: r.id,
      caller: req.caller,
      correlationId: req.correlationId,
      ...(lockKey !== undefined ? { lockKey } : {}),
    },
    latencySecondsForType(r.type, ctx.settings.latencyOverrides) / 2,
    r.type,
  );
  return lroLocation(ctx, req, op, opResultsPath(ctx, op));
}

/**
 * A direct PUT of one resource (what `az` or the portal does, outside any deployment): the body replaces what the
 * resource asks for (read-only fields such as `id`, `etag` and `provisioningState` are dropped, as ARM ignores them),
 * and a `ResourceWriteSuccess` event names the caller.
 */
function putById(ctx: SandboxContext, req: ArmRequest): Reply {
  const parsed = parseResourceId(req.path);
  if (!parsed?.type || !parsed.name || !parsed.resourceGroup)
    throw new ArmHttpError(400, "InvalidResourceId", `'${req.path}' is not a resource id.`);
  requireRg(ctx, parsed.resourceGroup);
  const body = req.body as Record<string, unknown> | undefined;
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new ArmHttpError(400, "InvalidRequestContent", "The request content must be a JSON object.");
  const existing = findResource(ctx, req.path);
  const lockKey = lockKeyFor(req.path);
  if (lockKey !== undefined && lockHolder(ctx, lockKey) !== undefined)
    throw new ArmHttpError(
      409,
      "AnotherOperationInProgress",
      `Another operation is in progress on '${req.path}'. Please retry later.`,
    );
  const readOnly = new Set(["provisioningState", ...Object.keys(existing?.computed.properties ?? {})]);
  const properties = Object.fromEntries(
    Object.entries((body.properties ?? {}) as Record<string, unknown>).filter(([k]) => !readOnly.has(k)),
  );
  const request: ResourceRequest = { properties };
  for (const f of ["location", "sku", "kind", "identity", "zones", "tags"] as const)
    if (body[f] !== undefined) request[f] = body[f];
  if (request.location === undefined && existing?.request.location !== undefined)
    request.location = existing.request.location;
  const id = existing?.id ?? req.path;
  commitResource(ctx, {
    id,
    type: existing?.type ?? parsed.type,
    name: existing?.name ?? parsed.name,
    apiVersion: apiVersion(req),
    resourceGroup: parsed.resourceGroup,
    request,
  });
  ctx.counters.markModified(id);
  ctx.events.emit("write", id, {
    caller: req.caller,
    correlationId: req.correlationId,
    method: "PUT",
    at: ctx.clock.now(),
  });
  return { status: existing ? 200 : 201, body: resourceView(findResource(ctx, id)!) };
}

const compiled = routes.map(([method, pattern, handler]) => ({ method, re: new RegExp(`^${pattern}`, "i"), handler }));

export function routeArm(ctx: SandboxContext, req: ArmRequest): Reply {
  const subscription = /^\/subscriptions\/([^/]+)/i.exec(req.path)?.[1];
  if (subscription !== undefined && subscription.toLowerCase() !== ctx.settings.subscriptionId.toLowerCase()) {
    throw new ArmHttpError(404, "SubscriptionNotFound", `The subscription '${subscription}' could not be found.`);
  }
  let pathMatched = false;
  for (const r of compiled) {
    const m = r.re.exec(req.path);
    if (!m) continue;
    pathMatched = true;
    if (r.method === req.method) return r.handler(ctx, req, [...m]);
  }
  if (pathMatched)
    throw new ArmHttpError(405, "MethodNotAllowed", `The sandbox does not support ${req.method} on '${req.path}'.`);
  throw new ArmHttpError(404, "InvalidResourceType", `The sandbox does not serve '${req.path}'.`);
}
