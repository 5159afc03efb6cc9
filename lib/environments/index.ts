import { RestError, type TableClient } from "@azure/data-tables";
import { z } from "zod";
import { openTable, type StoreConnection } from "../notify/store";
import { defaultSpec, UNSET_SUBSCRIPTION_ID, validateSpec, type PlatformSpec } from "../spec";

/**
 * The registry of environments: for each one, the validated spec it was last submitted with, its subscription,
 * its state and when it was built, in one table of the app's storage account. A build accepted by the API writes
 * it; every trigger, timer and command reads it through `findEnvironment` / `listEnvironments`, so an environment
 * built from a posted spec gets the same day-2 care as the seed. The seed default is not stored until it is built:
 * it is the first entry a fresh install offers (`POST` with an empty body), with `AKS_PLATFORM_SUBSCRIPTION_ID`.
 */

export const ENVIRONMENTS_TABLE = "environments";
/** The app setting naming the subscription of a spec that names none (the seed default's placeholder). */
export const SUBSCRIPTION_SETTING = "AKS_PLATFORM_SUBSCRIPTION_ID";
const PARTITION = "environment";

/**
 * `offered`: the seed default on an install that never built it; `building`: a build was accepted and runs;
 * `built`: the last build succeeded; `failed`: the last build failed (or could not start); `canceled`: a person
 * cancelled the last build (what it had deployed stays).
 */
export const ENVIRONMENT_STATES = ["offered", "building", "built", "failed", "canceled"] as const;
export type EnvironmentState = (typeof ENVIRONMENT_STATES)[number];

/**
 * The end of a piece of an environment's work, as its orchestration records it (with the orchestration's own
 * clock, so recording it again on a replay or a retried activity writes the same row).
 */
export const workEndedSchema = z.strictObject({
  kind: z.enum(["build", "teardown", "restore"]),
  /** The cluster a teardown or restore was about. */
  cluster: z.string().min(1).optional(),
  outcome: z.enum(["succeeded", "failed", "canceled"]),
  /** Why it failed or what the cancel left (no secrets: ARM's error text and resource names). */
  error: z.string().optional(),
  startedAt: z.iso.datetime(),
  endedAt: z.iso.datetime(),
});
export type WorkEnded = z.infer<typeof workEndedSchema>;

export interface EnvironmentRecord {
  name: string;
  spec: PlatformSpec;
  /** The subscription the environment lives in; the all-zero placeholder when none is known (sandbox). */
  subscriptionId: string;
  state: EnvironmentState;
  /** When a build of it was first accepted; absent for the offered seed. */
  registeredAt?: string;
  /** When its last build was accepted. */
  lastBuildAt?: string;
  /** When its last successful build ended. */
  builtAt?: string;
  /** Why its last build failed. */
  lastError?: string;
  /** Clusters torn down (RG-1) since its last successful build. */
  tornDownClusters: string[];
  /** The last build, teardown or restore of it that ended. */
  lastWork?: WorkEnded;
}

/** Row properties as stored; the spec is JSON text, validated again on every read (it may predate a schema change). */
const rowSchema = z.object({
  rowKey: z.string(),
  spec: z.string(),
  subscriptionId: z.string(),
  state: z.enum(ENVIRONMENT_STATES),
  registeredAt: z.string().optional(),
  lastBuildAt: z.string().optional(),
  builtAt: z.string().optional(),
  lastError: z.string().optional(),
  tornDownClusters: z.string().default("[]"),
  lastWork: z.string().optional(),
});

/** A stored row that no longer reads as a valid environment: reported, never silently skipped. */
export class EnvironmentRecordError extends Error {
  override readonly name = "EnvironmentRecordError";
  constructor(
    readonly environment: string,
    problem: string,
  ) {
    super(`environment ${environment}: the registry's record is not valid (${problem})`);
  }
}

/**
 * A spec with its subscription: one that names none (the all-zero placeholder) gets `AKS_PLATFORM_SUBSCRIPTION_ID`
 * when that is set. A value that is not a subscription GUID is refused naming the setting.
 */
export function withSubscription(
  spec: PlatformSpec,
  env: Readonly<Record<string, string | undefined>> = process.env,
): PlatformSpec {
  const subscription = env[SUBSCRIPTION_SETTING]?.trim();
  if (!subscription || spec.subscriptionId !== UNSET_SUBSCRIPTION_ID) return spec;
  if (!/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(subscription))
    throw new Error(`${SUBSCRIPTION_SETTING} is not a subscription GUID`);
  return { ...spec, subscriptionId: subscription };
}

/** The seed default as a fresh install offers it (an empty-body POST): `AKS_PLATFORM_SUBSCRIPTION_ID` applied. */
export function offeredSeed(env: Readonly<Record<string, string | undefined>> = process.env): PlatformSpec {
  return withSubscription(defaultSpec, env);
}

export class EnvironmentRegistry {
  private constructor(
    private readonly table: TableClient,
    private readonly env: Readonly<Record<string, string | undefined>>,
  ) {}

  /** Opens the registry table (created when missing); `env` supplies `AKS_PLATFORM_SUBSCRIPTION_ID` for the seed. */
  static async open(
    connection: StoreConnection,
    env: Readonly<Record<string, string | undefined>> = process.env,
  ): Promise<EnvironmentRegistry> {
    return new EnvironmentRegistry(await openTable(connection, connection.tableName ?? ENVIRONMENTS_TABLE), env);
  }

  /** The registered environment, or the offered seed for the seed's name; undefined for any other name. */
  async find(name: string): Promise<EnvironmentRecord | undefined> {
    try {
      return toRecord(await this.table.getEntity<Record<string, unknown>>(PARTITION, name));
    } catch (err) {
      if (!(err instanceof RestError && err.statusCode === 404)) throw err;
    }
    return name === defaultSpec.name ? this.seed() : undefined;
  }

  /** Every registered environment by name, plus the offered seed while it is not registered. */
  async list(): Promise<EnvironmentRecord[]> {
    return (await this.listAll()).records;
  }

  /**
   * The list and the rows that no longer read as an environment: one bad row must not stop every other
   * environment's timers, so readers skip it and the list endpoint reports it.
   */
  async listAll(): Promise<{ records: EnvironmentRecord[]; unreadable: EnvironmentRecordError[] }> {
    const records: EnvironmentRecord[] = [];
    const unreadable: EnvironmentRecordError[] = [];
    for await (const row of this.table.listEntities<Record<string, unknown>>({
      queryOptions: { filter: `PartitionKey eq '${PARTITION}'` },
    })) {
      try {
        records.push(toRecord(row));
      } catch (err) {
        if (!(err instanceof EnvironmentRecordError)) throw err;
        unreadable.push(err);
      }
    }
    const known = new Set([...records.map((r) => r.name), ...unreadable.map((e) => e.environment)]);
    if (!known.has(defaultSpec.name)) records.push(this.seed());
    return { records: records.sort((a, b) => a.name.localeCompare(b.name)), unreadable };
  }

  /** Environments that exist in Azure (a build was accepted): what timers and event classification care for. */
  async registered(): Promise<EnvironmentRecord[]> {
    return (await this.list()).filter((r) => r.state !== "offered");
  }

  /** A build of `spec` was accepted: the spec, its subscription and `building` are recorded. */
  async recordBuildAccepted(spec: PlatformSpec, now: Date): Promise<EnvironmentRecord> {
    const before = await this.find(spec.name);
    const at = now.toISOString();
    const record: EnvironmentRecord = {
      name: spec.name,
      spec,
      subscriptionId: spec.subscriptionId,
      state: "building",
      registeredAt: before?.registeredAt ?? at,
      lastBuildAt: at,
      ...(before?.builtAt !== undefined ? { builtAt: before.builtAt } : {}),
      tornDownClusters: before?.tornDownClusters ?? [],
    };
    await this.table.upsertEntity(toRow(record), "Replace");
    return record;
  }

  /**
   * A build, teardown or restore ended (written by its orchestration, or for a build that could not start by the
   * API). A build sets the state (`built` brings torn-down clusters back); a teardown that succeeded lists its
   * cluster as removed, a restore that succeeded brings it back. A build registers an environment it finds
   * missing. An end older than the environment's last accepted build is stale (a retried write of earlier work)
   * and changes nothing. Returns whether it was written.
   */
  async recordWorkEnded(spec: PlatformSpec, work: WorkEnded): Promise<boolean> {
    const stored = await this.stored(spec.name);
    if (stored?.lastBuildAt !== undefined && stored.lastBuildAt > work.endedAt) return false;
    if (!stored && work.kind !== "build") return false;
    const { lastError: _previous, ...base }: EnvironmentRecord = stored ?? {
      name: spec.name,
      spec,
      subscriptionId: spec.subscriptionId,
      state: "building",
      registeredAt: work.startedAt,
      lastBuildAt: work.startedAt,
      tornDownClusters: [],
    };
    const next: EnvironmentRecord = { ...base, lastWork: work };
    if (work.kind === "build") {
      next.state = work.outcome === "succeeded" ? "built" : work.outcome;
      if (work.outcome === "succeeded") {
        next.builtAt = work.endedAt;
        next.tornDownClusters = [];
      } else if (work.error !== undefined) next.lastError = work.error;
    } else if (work.outcome === "succeeded" && work.cluster !== undefined) {
      const others = base.tornDownClusters.filter((c) => c !== work.cluster);
      next.tornDownClusters = work.kind === "teardown" ? [...others, work.cluster] : others;
    }
    if (stored?.lastError !== undefined && work.kind !== "build") next.lastError = stored.lastError;
    await this.table.upsertEntity(toRow(next), "Replace");
    return true;
  }

  /** Forgets an environment (its Azure resources stay); false when it was not registered. */
  async remove(name: string): Promise<boolean> {
    try {
      await this.table.deleteEntity(PARTITION, name);
      return true;
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return false;
      throw err;
    }
  }

  private async stored(name: string): Promise<EnvironmentRecord | undefined> {
    const record = await this.find(name);
    return record?.state === "offered" ? undefined : record;
  }

  private seed(): EnvironmentRecord {
    const spec = offeredSeed(this.env);
    return { name: spec.name, spec, subscriptionId: spec.subscriptionId, state: "offered", tornDownClusters: [] };
  }
}

function toRow(record: EnvironmentRecord): Record<string, string> & { partitionKey: string; rowKey: string } {
  return {
    partitionKey: PARTITION,
    rowKey: record.name,
    spec: JSON.stringify(record.spec),
    subscriptionId: record.subscriptionId,
    state: record.state,
    ...(record.registeredAt !== undefined ? { registeredAt: record.registeredAt } : {}),
    ...(record.lastBuildAt !== undefined ? { lastBuildAt: record.lastBuildAt } : {}),
    ...(record.builtAt !== undefined ? { builtAt: record.builtAt } : {}),
    ...(record.lastError !== undefined ? { lastError: record.lastError.slice(0, 4000) } : {}),
    tornDownClusters: JSON.stringify(record.tornDownClusters),
    ...(record.lastWork !== undefined ? { lastWork: JSON.stringify(record.lastWork) } : {}),
  };
}

function toRecord(row: Record<string, unknown>): EnvironmentRecord {
  const name = typeof row["rowKey"] === "string" ? row["rowKey"] : "(unnamed)";
  const parsed = rowSchema.safeParse(row);
  if (!parsed.success)
    throw new EnvironmentRecordError(name, parsed.error.issues.map((i) => i.path.join(".")).join(", "));
  const r = parsed.data;
  let specJson: unknown;
  let torn: unknown;
  let lastWork: unknown;
  try {
    specJson = JSON.parse(r.spec);
    torn = JSON.parse(r.tornDownClusters);
    lastWork = r.lastWork !== undefined ? JSON.parse(r.lastWork) : undefined;
  } catch {
    throw new EnvironmentRecordError(name, "spec, tornDownClusters or lastWork is not JSON");
  }
  const work = workEndedSchema.safeParse(lastWork);
  const spec = validateSpec(specJson);
  if (!spec.ok) throw new EnvironmentRecordError(name, spec.problems.map((p) => `${p.path}: ${p.message}`).join("; "));
  if (spec.spec.name !== name) throw new EnvironmentRecordError(name, `its spec is for ${spec.spec.name}`);
  return {
    name,
    spec: spec.spec,
    subscriptionId: r.subscriptionId,
    state: r.state,
    ...(r.registeredAt !== undefined ? { registeredAt: r.registeredAt } : {}),
    ...(r.lastBuildAt !== undefined ? { lastBuildAt: r.lastBuildAt } : {}),
    ...(r.builtAt !== undefined ? { builtAt: r.builtAt } : {}),
    ...(r.lastError !== undefined ? { lastError: r.lastError } : {}),
    tornDownClusters: z.array(z.string()).catch([]).parse(torn),
    // Only what it last did: a row written by an older version without it (or with another shape) still reads.
    ...(work.success ? { lastWork: work.data } : {}),
  };
}
