import { defaultSpec, parseSpecText, validateSpec, type PlatformSpec } from "../spec";
import type { BuildAcceptance } from "./environments";
import {
  failureCauses,
  type BuildCancellation,
  type BuildInput,
  type BuildMode,
  type BuildResult,
  type BuildStatus,
  type DeploymentProgress,
} from "../plan/progress";
import { cancelRequestFrom } from "./cancel-request";
import { reachCancelTree } from "./cancel-tree";
import { methodNotAllowed, problem, readBody, routeNames, type ApiRequest, type ApiResponse } from "./http";
import {
  buildInstanceId,
  isActiveStatus,
  restoreInstanceId,
  teardownInstanceId,
  whatIfInstanceId,
} from "./instance-ids";
import { upgradeRunBlocker } from "./upgrade-runs";

/** What the build API needs from Durable Functions (the durable client in Azure, the local driver outside). */
export interface BuildInstances {
  get(instanceId: string): Promise<InstanceView | undefined>;
  /**
   * Starts the build under `instanceId`; rejects when an instance of that id is still running (host.json's
   * `overridableExistingInstanceStates: NonRunningStates` in Azure, the driver's own check locally).
   */
  start(instanceId: string, input: BuildInput): Promise<void>;
  terminate(instanceId: string, reason: string): Promise<void>;
  /** Raises an external event (the build's `cancel`) on a running instance. */
  raise(instanceId: string, eventName: string, data: unknown): Promise<void>;
  /** Management URLs of an instance (status, terminate, raise event) for the 202 answer. */
  managementUrls(instanceId: string): Record<string, string>;
}

export interface InstanceView {
  instanceId: string;
  runtimeStatus: string;
  input?: unknown;
  customStatus?: unknown;
  output?: unknown;
  createdTime?: string;
  lastUpdatedTime?: string;
}

export function isActive(view: InstanceView | undefined): boolean {
  return isActiveStatus(view?.runtimeStatus);
}

export { buildInstanceId };

/** The instance id a build of `mode` runs under: a what-if is never "the build" of the environment. */
export function buildModeInstanceId(env: string, mode: BuildMode): string {
  return mode === "whatif" ? whatIfInstanceId(env) : buildInstanceId(env);
}

/**
 * `POST /environments/{env}/provision` starts a build; `GET` reports its progress. `acceptance` is the registry:
 * the seed it offers for an empty body, the check that the build can start at all, and the record of it.
 */
export async function handleProvision(
  request: ApiRequest,
  instances: BuildInstances,
  acceptance?: BuildAcceptance,
): Promise<ApiResponse> {
  const route = routeNames(request, ["env"]);
  if (!route.ok) return route.response;
  const { env } = route.names;
  const mode = modeOf(request);
  if (!mode.ok) return mode.response;
  const modeParam = mode.mode;
  const statusUrl = friendlyStatusUrl(request.url, modeParam);
  if (request.method === "GET") return buildStatusResponse(env, modeParam, instances);
  if (request.method !== "POST") return methodNotAllowed(request.method, ["GET", "POST"]);

  const body = await readBody(request);
  if (!body.ok) return body.response;
  const parsed = specFromBody(env, body.text, request.headers.get("content-type"), acceptance?.offered());
  if (!parsed.ok) return parsed.response;
  const spec = { ok: true, spec: acceptance ? acceptance.prepare(parsed.spec) : parsed.spec } as const;

  const instanceId = buildModeInstanceId(env, modeParam);
  const running = async () => {
    const busy = await busyInstance(instanceId, instances);
    return (
      busy &&
      problem(
        409,
        `a ${modeParam === "whatif" ? "what-if" : "build"} of environment ${env} is already running (${busy.instanceId}, ${busy.runtimeStatus}); follow it at ${statusUrl}`,
        {
          instanceId: busy.instanceId,
          runtimeStatus: busy.runtimeStatus,
          statusUrl,
        },
      )
    );
  };
  const conflict = await running();
  if (conflict) return conflict;
  if (modeParam === "deploy") {
    // Nor the clusters of a running upgrade run (a what-if changes nothing: it may run beside one).
    const upgrading = await upgradeRunBlocker(env, `build ${env}`, (id) => instances.get(id));
    if (upgrading) return problem(409, upgrading.reason, { instanceId: upgrading.instanceId, runId: upgrading.runId });
    // A cluster being restored or torn down must not be rebuilt under it.
    for (const cluster of spec.spec.clusters) {
      for (const [id, what] of [
        [restoreInstanceId(env, cluster.name), "restore"],
        [teardownInstanceId(env, cluster.name), "teardown"],
      ] as const) {
        if (isActive(await instances.get(id))) {
          return problem(409, `a ${what} of cluster ${cluster.name} is running; build ${env} after it ends`, {
            instanceId: id,
          });
        }
      }
    }
  }
  const cause = await acceptance?.cannotStart(spec.spec);
  if (cause !== undefined) {
    await acceptance!.refused(spec.spec, cause);
    return problem(422, `the build of ${env} cannot start: ${cause}`, { environment: env, cause });
  }
  try {
    await instances.start(instanceId, { spec: spec.spec, mode: modeParam satisfies BuildMode });
  } catch (err) {
    // Several POSTs raced past the check: the start itself refuses all but one (the instance is running now).
    const lost = await running();
    if (lost) return lost;
    throw err;
  }
  // A what-if changes nothing in Azure, so it registers nothing either.
  if (modeParam === "deploy") await acceptance?.accepted(spec.spec);
  const urls = instances.managementUrls(instanceId);
  return {
    status: 202,
    headers: { Location: statusUrl, "Retry-After": "10" },
    jsonBody: { instanceId, environment: env, mode: modeParam, statusUrl, management: urls },
  };
}

/**
 * `POST /environments/{env}/provision/cancel` cancels the build as a tree: the build and each of its
 * sub-orchestrations get the cancel event (the Durable extension's terminate does not reach sub-orchestrations,
 * azure-functions-durable-extension#153 and durabletask#446, and would leave deployments running in ARM). Each then
 * starts nothing new, asks ARM to cancel the deployments it has running, waits for them to end, and the build ends
 * with `canceled` naming what was cancelled or awaited. `?mode=whatif` stops the environment's what-if instead
 * (never its build): a what-if writes nothing to ARM, so its instances are simply terminated.
 */
export async function handleCancel(request: ApiRequest, instances: BuildInstances): Promise<ApiResponse> {
  if (request.method !== "POST") return methodNotAllowed(request.method, ["POST"]);
  const route = routeNames(request, ["env"]);
  if (!route.ok) return route.response;
  const { env } = route.names;
  const mode = modeOf(request);
  if (!mode.ok) return mode.response;
  const instanceId = buildModeInstanceId(env, mode.mode);
  const statusUrl = friendlyStatusUrl(request.url.replace(/\/cancel(?=$|\?)/, ""), mode.mode);
  const tree = await buildTree(instanceId, instances);
  if (!tree.some(isActive)) {
    const what = mode.mode === "whatif" ? "what-if" : "build";
    const last = tree[0] && (cancellationOf(tree[0]) ? "Canceled" : tree[0].runtimeStatus);
    return problem(
      409,
      `no ${what} of environment ${env} is running${last ? ` (the last one ended ${last}; see ${statusUrl})` : ""}`,
      { runtimeStatus: last ?? "none", statusUrl },
    );
  }
  if (mode.mode === "whatif") {
    const terminated: string[] = [];
    for (const view of tree.filter(isActive)) {
      await instances.terminate(view.instanceId, `cancelled by ${cancelRequestFrom(request).request}`);
      terminated.push(view.instanceId);
    }
    return { status: 202, headers: { Location: statusUrl }, jsonBody: { instanceId, terminated, statusUrl } };
  }
  // The build lists its sub-orchestrations in its status as it starts them: keep reaching them until it has heard
  // the cancel (`cancelRequestedAt`), after which it starts nothing new.
  const { reached, unreached, heard } = await reachCancelTree(
    instanceId,
    instances,
    (root) => {
      const rootStatus = root.customStatus as Partial<BuildStatus> | undefined;
      return {
        heard: rootStatus?.cancelRequestedAt !== undefined,
        children: (rootStatus?.children ?? []).map((c) => c.instanceId),
      };
    },
    cancelRequestFrom(request),
  );
  const status = tree[0] && (await mergedStatus(tree[0], instances));
  const running = status?.deployments.filter((d) => d.state === "running").map((d) => d.name) ?? [];
  return {
    status: 202,
    headers: { Location: statusUrl },
    jsonBody: {
      instanceId,
      cancelling: reached,
      deploymentsBeingCancelledInArm: running,
      statusUrl,
      // Listed children that never appeared, or a build busy past the deadline: post the cancel again (it is idempotent).
      ...(unreached.length > 0 ? { notYetStarted: unreached } : {}),
      ...(heard ? {} : { notYetHeard: true }),
    },
  };
}

/** `?mode=` of the provision routes: `deploy` (the default) or `whatif`. */
function modeOf(request: ApiRequest): { ok: true; mode: BuildMode } | { ok: false; response: ApiResponse } {
  const mode = request.query.get("mode") ?? "deploy";
  if (mode === "deploy" || mode === "whatif") return { ok: true, mode };
  return { ok: false, response: problem(400, `query parameter mode must be 'deploy' or 'whatif', not '${mode}'`) };
}

/** The build and the sub-orchestrations its status lists (the tree a cancel must reach and a new build must wait for). */
async function buildTree(instanceId: string, instances: BuildInstances): Promise<InstanceView[]> {
  const root = await instances.get(instanceId);
  if (!root) return [];
  const children = (root.customStatus as Partial<BuildStatus> | undefined)?.children ?? [];
  const views = await Promise.all(children.map((c) => instances.get(c.instanceId)));
  return [root, ...views.filter((v): v is InstanceView => v !== undefined)];
}

/** The first instance of a build's tree that still runs, if any. */
async function busyInstance(instanceId: string, instances: BuildInstances): Promise<InstanceView | undefined> {
  return (await buildTree(instanceId, instances)).find(isActive);
}

/** `GET …/provision` (with `?mode=whatif` for the what-if): where a person follows the work, without the key. */
function friendlyStatusUrl(url: string, mode: BuildMode): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}${mode === "whatif" ? "?mode=whatif" : ""}`;
}

async function buildStatusResponse(env: string, mode: BuildMode, instances: BuildInstances): Promise<ApiResponse> {
  const instanceId = buildModeInstanceId(env, mode);
  const view = await instances.get(instanceId);
  if (!view)
    return problem(404, `no ${mode === "whatif" ? "what-if" : "build"} of environment ${env} has been started`);
  const progress = await mergedStatus(view, instances);
  const answer = instanceStatusResponse(view, progress);
  const causes = failureCauses(progress?.deployments ?? []);
  return {
    ...answer,
    jsonBody: {
      ...(answer.jsonBody as object),
      ...(causes.length > 0 ? { causes } : {}),
    },
  };
}

/**
 * What a cancel left of a workflow (a build, a teardown) that ended cancelled. Durable has no Canceled status of
 * its own: a cancelled workflow completes with `canceled` in its result, and every reader (the API, the ops page)
 * shows it as `Canceled`.
 */
export function cancellationOf<T = BuildCancellation>(view: InstanceView): T | undefined {
  const output = view.output as { canceled?: T } | null | undefined;
  return view.runtimeStatus === "Completed" ? (output?.canceled ?? undefined) : undefined;
}

/**
 * `GET` of a long-running operation: its runtime status (`Canceled` for one a person cancelled, with what the
 * cancel did), progress, and its result or failure once it ended.
 */
export function instanceStatusResponse(view: InstanceView, progress: unknown): ApiResponse {
  const canceled = cancellationOf<unknown>(view);
  return {
    status: 200,
    jsonBody: {
      instanceId: view.instanceId,
      runtimeStatus: canceled ? "Canceled" : view.runtimeStatus,
      ...(canceled ? { canceled } : {}),
      createdTime: view.createdTime,
      lastUpdatedTime: view.lastUpdatedTime,
      ...(progress !== undefined && progress !== null ? { progress } : {}),
      ...(view.runtimeStatus === "Failed" ? { failure: view.output } : {}),
      ...(view.runtimeStatus === "Completed" ? { result: view.output } : {}),
    },
  };
}

/**
 * The build's own status plus the live progress its cluster sub-orchestrations report, so a caller sees every
 * deployment while the clusters are still being built.
 */
export async function mergedStatus(view: InstanceView, instances: BuildInstances): Promise<BuildStatus | undefined> {
  const status = view.customStatus as BuildStatus | undefined;
  if (!status || !Array.isArray(status.deployments)) return undefined;
  // A completed build's output has every deployment in full (a what-if's per-resource changes among them); the
  // custom status keeps their polled form only, within Durable's 16 KB cap.
  const finished = (view.output as Partial<BuildResult> | null | undefined)?.deployments;
  if (view.runtimeStatus === "Completed" && Array.isArray(finished)) {
    // Every deployment is there: none is left unlisted.
    const { unlistedDeployments: _unlisted, ...listed } = status;
    return { ...listed, deployments: finished };
  }
  const byName = new Map<string, DeploymentProgress>(status.deployments.map((d) => [d.name, d]));
  for (const child of status.children ?? []) {
    const childView = await instances.get(child.instanceId);
    const childStatus = childView?.customStatus as { deployments?: DeploymentProgress[] } | undefined;
    for (const d of childStatus?.deployments ?? []) {
      const known = byName.get(d.name);
      // The parent's record wins once it has it (it is written when the child finishes).
      if (!known || known.state === "pending" || (known.state === "running" && d.state !== "pending"))
        byName.set(d.name, d);
    }
  }
  return { ...status, deployments: [...byName.values()] };
}

type SpecOutcome = { ok: true; spec: PlatformSpec } | { ok: false; response: ApiResponse };

/** Media types a YAML spec may be sent as (application/yaml is RFC 9512's; the x- and text/ forms are common). */
const YAML_MEDIA_TYPES = new Set(["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"]);

/**
 * An empty body means the seed default (as the registry offers it); a spec must name the environment of the URL. JSON by default, YAML with a
 * YAML content type (the CLI reads either).
 */
export function specFromBody(
  env: string,
  text: string,
  contentType: string | null = null,
  seed: PlatformSpec = defaultSpec,
): SpecOutcome {
  if (text.trim() === "") {
    if (env === seed.name) return { ok: true, spec: seed };
    return {
      ok: false,
      response: problem(
        400,
        `no spec in the body, and environment ${env} is not the default (${defaultSpec.name}): send a spec`,
      ),
    };
  }
  const mediaType = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  let parsed: unknown;
  if (YAML_MEDIA_TYPES.has(mediaType)) {
    try {
      parsed = parseSpecText(text, { source: "body", format: "yaml" });
    } catch (err) {
      return { ok: false, response: problem(400, err instanceof Error ? err.message : String(err)) };
    }
  } else {
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return {
        ok: false,
        response: problem(
          400,
          `body is not valid JSON: ${err instanceof Error ? err.message : String(err)} (send a YAML spec with Content-Type: application/yaml)`,
        ),
      };
    }
  }
  const result = validateSpec(parsed);
  if (!result.ok) {
    return { ok: false, response: problem(400, "the spec is not valid", { problems: result.problems }) };
  }
  if (result.spec.name !== env) {
    return {
      ok: false,
      response: problem(400, `the spec is for environment ${result.spec.name}, but the URL names ${env}`, {
        problems: [{ path: "name", message: `must be ${env} to match the URL` }],
      }),
    };
  }
  return { ok: true, spec: result.spec };
}
