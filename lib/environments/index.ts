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
 * `built`: the last build succeeded; `failed`: the last build failed or was cancelled.
 */
export const ENVIRONMENT_STATES = ["offered", "building", "built", "failed"] as const;
export type EnvironmentState = (typeof ENVIRONMENT_STATES)[number];

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

  /** A build ended: `built` (clusters torn down before are back) or `failed` with why. */
  async recordBuildEnded(name: string, outcome: { succeeded: boolean; error?: string }, now: Date): Promise<void> {
    const record = await this.stored(name);
    if (!record) return;
    const { lastError: _previous, ...rest } = record;
    const next: EnvironmentRecord = outcome.succeeded
      ? { ...rest, state: "built", builtAt: now.toISOString(), tornDownClusters: [] }
      : { ...rest, state: "failed", ...(outcome.error !== undefined ? { lastError: outcome.error } : {}) };
    await this.table.upsertEntity(toRow(next), "Replace");
  }

  /** A teardown of one cluster succeeded: the environment keeps its spec, the cluster is listed as removed. */
  async recordClusterTornDown(name: string, cluster: string): Promise<void> {
    const record = await this.stored(name);
    if (!record || record.tornDownClusters.includes(cluster)) return;
    await this.table.upsertEntity(
      toRow({ ...record, tornDownClusters: [...record.tornDownClusters, cluster] }),
      "Replace",
    );
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
  try {
    specJson = JSON.parse(r.spec);
    torn = JSON.parse(r.tornDownClusters);
  } catch {
    throw new EnvironmentRecordError(name, "spec or tornDownClusters is not JSON");
  }
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
  };
}
