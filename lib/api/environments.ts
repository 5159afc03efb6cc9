import type { EnvironmentRecord, WorkEnded } from "../environments";
import { defaultSpec, validateSpec, type PlatformSpec } from "../spec";
import { driftWatchInstanceId } from "../drift";
import { upgradeInstanceId } from "../upgrade";
import {
  buildInstanceId,
  isActiveStatus,
  restoreInstanceId,
  teardownInstanceId,
  whatIfInstanceId,
} from "./instance-ids";
import { methodNotAllowed, problem, routeNames, type ApiRequest, type ApiResponse } from "./http";

/**
 * `GET /environments` lists the registry; `DELETE /environments/{env}` forgets one (never while anything of it
 * runs). `findEnvironmentOr404` is the one way every endpoint turns a URL's environment into its spec.
 */

/** What the API reads and writes of the registry (lib/environments' EnvironmentRegistry). */
export interface Environments {
  find(name: string): Promise<EnvironmentRecord | undefined>;
  list(): Promise<EnvironmentRecord[]>;
  /** The list and the stored rows that no longer read as an environment (reported, never silently skipped). */
  listAll(): Promise<{ records: EnvironmentRecord[]; unreadable: { environment: string; message: string }[] }>;
  recordWorkEnded(spec: PlatformSpec, work: WorkEnded): Promise<boolean>;
  remove(name: string): Promise<boolean>;
}

/** The runtime status of a Durable instance (with when it ended), undefined when there is none. */
export interface InstanceStatuses {
  get(
    instanceId: string,
  ): Promise<{ runtimeStatus: string; output?: unknown; lastUpdatedTime?: string; createdTime?: string } | undefined>;
  /** The ids of every instance of the task hub that still runs (Pending, Running, ContinuedAsNew, Suspended). */
  active(): Promise<string[]>;
}

export type EnvironmentLookup =
  { ok: true; record: EnvironmentRecord; spec: PlatformSpec } | { ok: false; response: ApiResponse };

/** The environment a URL names, or a 404 naming the known ones. */
export async function findEnvironmentOr404(
  environments: Pick<Environments, "find" | "list">,
  name: string,
): Promise<EnvironmentLookup> {
  const record = await environments.find(name);
  if (record) return { ok: true, record, spec: record.spec };
  const known = (await environments.list()).map((r) => r.name);
  return {
    ok: false,
    response: problem(404, `unknown environment ${name} (known: ${known.join(", ") || "none"})`, {
      environments: known,
    }),
  };
}

/**
 * The environment of a route's `{env}`: a name by the spec's rules (400 naming the value otherwise) that the
 * registry knows (404 naming the known ones otherwise). Every route taking `{env}` answers this way first, except
 * the build's `POST`, which is how a new environment is registered.
 */
export async function routeEnvironment(
  request: ApiRequest,
  environments: Pick<Environments, "find" | "list">,
): Promise<EnvironmentLookup> {
  const route = routeNames(request, ["env"]);
  if (!route.ok) return route;
  return findEnvironmentOr404(environments, route.names.env);
}

/**
 * The fallback for a build that ended without recording it: its orchestration records every end it reaches
 * (recordEnvironmentState), but a build terminated through the Durable management API, or one whose orchestrator
 * crashed, never gets there, and its record would say `building` for ever.
 */
export async function settleUnrecordedBuild(
  record: EnvironmentRecord,
  environments: Environments,
  instances: InstanceStatuses,
): Promise<EnvironmentRecord> {
  if (record.state !== "building") return record;
  const build = await instances.get(buildInstanceId(record.name));
  if (!build || isActiveStatus(build.runtimeStatus)) return record;
  const text = typeof build.output === "string" ? build.output : JSON.stringify(build.output ?? "");
  await environments.recordWorkEnded(record.spec, {
    kind: "build",
    outcome: build.runtimeStatus === "Completed" ? "succeeded" : "failed",
    ...(build.runtimeStatus !== "Completed" ? { error: `${build.runtimeStatus}: ${text.slice(0, 500)}` } : {}),
    startedAt: build.createdTime ?? record.lastBuildAt ?? new Date(0).toISOString(),
    endedAt: build.lastUpdatedTime ?? new Date().toISOString(),
  });
  return (await environments.find(record.name)) ?? record;
}

/**
 * The kinds of work whose Durable instance ids carry the environment as their second `:`-separated part
 * (lib/api/instance-ids, lib/upgrade, lib/drift, the nightly verification), and what each is called.
 */
const WORK_KINDS: Readonly<Record<string, string>> = {
  build: "build",
  whatif: "what-if",
  restore: "restore",
  teardown: "teardown",
  upgrade: "upgrade",
  "drift-watch": "drift check",
  "drift-sweep": "drift check",
  "backup-verify": "nightly backup verification",
};

/** What an instance id says it is, when it is work of `environment`: "restore of app1", "build", … */
export function workOf(instanceId: string, environment: string): string | undefined {
  const [kind, env, ...rest] = instanceId.split(":");
  const what = kind !== undefined ? WORK_KINDS[kind] : undefined;
  if (what === undefined || env !== environment) return undefined;
  // A build's sub-orchestrations (`build:<env>:<run>:<group>`) are the build; a restore or teardown names its cluster.
  return (kind === "restore" || kind === "teardown") && rest[0] ? `${what} of ${rest[0]}` : what;
}

/**
 * The Durable instances of an environment that are running now, by what they are: its own ids, and whatever the
 * task hub lists as running under its kinds (sub-builds, drift sweeps, nightly runs, whose ids hold a run or a
 * time). Each is confirmed by its own status: the task hub's list may lag behind an instance that just ended.
 */
export async function runningWork(
  record: EnvironmentRecord,
  instances: InstanceStatuses,
): Promise<{ instanceId: string; what: string }[]> {
  const own = [
    buildInstanceId(record.name),
    whatIfInstanceId(record.name),
    upgradeInstanceId(record.name),
    driftWatchInstanceId(record.name),
    ...record.spec.clusters.flatMap((c) => [
      restoreInstanceId(record.name, c.name),
      teardownInstanceId(record.name, c.name),
    ]),
  ];
  const running: { instanceId: string; what: string }[] = [];
  for (const instanceId of [...new Set([...own, ...(await instances.active()).sort()])]) {
    const what = workOf(instanceId, record.name);
    if (what === undefined || running.some((r) => r.what === what)) continue;
    if (isActiveStatus((await instances.get(instanceId))?.runtimeStatus)) running.push({ instanceId, what });
  }
  return running;
}

/** What the list shows of an environment (the spec itself is `GET …/plan`'s business). */
export function environmentSummary(record: EnvironmentRecord, running: { instanceId: string; what: string }[]) {
  return {
    name: record.name,
    state: record.state,
    subscriptionId: record.subscriptionId,
    location: record.spec.location,
    clusters: record.spec.clusters.map((c) => c.name),
    ...(record.tornDownClusters.length > 0 ? { tornDownClusters: record.tornDownClusters } : {}),
    ...(record.registeredAt !== undefined ? { registeredAt: record.registeredAt } : {}),
    ...(record.lastBuildAt !== undefined ? { lastBuildAt: record.lastBuildAt } : {}),
    ...(record.builtAt !== undefined ? { builtAt: record.builtAt } : {}),
    ...(record.lastError !== undefined ? { lastError: record.lastError } : {}),
    running: running.map((r) => r.what),
  };
}

export type EnvironmentSummary = ReturnType<typeof environmentSummary>;

/**
 * `GET /environments`: every environment with its state; `DELETE /environments/{env}`: forget one, with the
 * messages its outbox still kept (`discardKeptMessages` answers how many there were).
 */
export async function handleEnvironments(
  request: ApiRequest,
  environments: Environments,
  instances: InstanceStatuses,
  discardKeptMessages: (environment: string) => Promise<number>,
): Promise<ApiResponse> {
  const name = request.params["env"];
  if (name === undefined || name === "") {
    if (request.method !== "GET") return methodNotAllowed(request.method, ["GET"]);
    const out: EnvironmentSummary[] = [];
    const { records, unreadable } = await environments.listAll();
    for (const stored of records) {
      const record = await settleUnrecordedBuild(stored, environments, instances);
      out.push(environmentSummary(record, record.state === "offered" ? [] : await runningWork(record, instances)));
    }
    return {
      status: 200,
      jsonBody: {
        environments: out,
        ...(unreadable.length > 0
          ? { unreadable: unreadable.map((e) => ({ name: e.environment, error: e.message })) }
          : {}),
      },
    };
  }
  if (request.method !== "DELETE") return methodNotAllowed(request.method, ["DELETE"]);
  const found = await routeEnvironment(request, environments);
  if (!found.ok) return found.response;
  if (found.record.state === "offered")
    return problem(404, `environment ${name} is not registered: it is only offered as the seed default`);
  const running = await runningWork(found.record, instances);
  if (running.length > 0)
    return problem(
      409,
      `environment ${name} cannot be removed while its ${running.map((r) => r.what).join(", ")} runs`,
      {
        running: running.map((r) => r.instanceId),
      },
    );
  await environments.remove(name);
  // Nothing flushes the outbox of an environment no timer knows, and its channels went with its spec.
  const discarded = await discardKeptMessages(name);
  return {
    status: 200,
    jsonBody: {
      removed: name,
      discardedMessages: discarded,
      note: "the registry no longer lists it; its Azure resources were not touched (tear its clusters down first to remove them); its backup and drift reports are kept",
    },
  };
}

/** What a build's acceptance asks of the registry (functions/provision wires it to the registry and ARM). */
export interface BuildAcceptance {
  /** The spec of an empty-body POST: the seed default with `AKS_PLATFORM_SUBSCRIPTION_ID` applied. */
  offered(): PlatformSpec;
  /** The spec as it is built: `AKS_PLATFORM_SUBSCRIPTION_ID` for a spec that names no subscription. */
  prepare(spec: PlatformSpec): PlatformSpec;
  /** Why a build of this spec cannot start at all (no subscription, one ARM does not know), or undefined. */
  cannotStart(spec: PlatformSpec): Promise<string | undefined>;
  /** The build was started: the registry records the spec, its subscription and `building`. */
  accepted(spec: PlatformSpec): Promise<void>;
  /** The build could not start: recorded as failed and said once on the environment's channels. */
  refused(spec: PlatformSpec, cause: string): Promise<void>;
}

/**
 * Environments as the build records hold them, for a process without the app's registry (the CLI's own local
 * runs): the validated spec of an environment's last build input, else the seed for the seed's name.
 */
export function buildRecordEnvironments(
  builds: { get(instanceId: string): Promise<{ input?: unknown; runtimeStatus: string } | undefined> },
  seed: PlatformSpec = defaultSpec,
): Pick<Environments, "find" | "list"> {
  const find = async (name: string): Promise<EnvironmentRecord | undefined> => {
    const view = await builds.get(buildInstanceId(name));
    const input = view?.input as { spec?: unknown } | undefined;
    const validated = input?.spec !== undefined ? validateSpec(input.spec) : undefined;
    if (view && validated?.ok && validated.spec.name === name) {
      const state = isActiveStatus(view.runtimeStatus)
        ? "building"
        : view.runtimeStatus === "Completed"
          ? "built"
          : "failed";
      return {
        name,
        spec: validated.spec,
        subscriptionId: validated.spec.subscriptionId,
        state,
        tornDownClusters: [],
      };
    }
    if (name !== seed.name) return undefined;
    return { name, spec: seed, subscriptionId: seed.subscriptionId, state: "offered", tornDownClusters: [] };
  };
  return {
    find,
    async list() {
      const seedRecord = await find(seed.name);
      return seedRecord ? [seedRecord] : [];
    },
  };
}
