import { createHash, randomUUID } from "node:crypto";
import type { TableEntityResult } from "@azure/data-tables";
import { odata, RestError, type TableClient } from "@azure/data-tables";
import type { HostStorage } from "../azure/context";
import type { NotifyMessage } from "./message";
import { parseNotifyMessage } from "./message";
import { fitMessage } from "./fit";

/**
 * Everything that must survive a restart lives in one Azure table: deliveries that wait (quiet hours, retry after a
 * failure), deliveries that were refused for good (kept for people to inspect, never retried), and digest windows
 * with the events they collect. Webhook URLs are never stored: a delivery names its channel and a fingerprint
 * (SHA-256 prefix) of the URL, resolved against the current settings when it is sent.
 */

export const NOTIFY_TABLE = "notifyoutbox";

const PENDING = "pending";
const REJECTED = "rejected";
const DIGEST = "digest";
const ACK = "ack";
/** Table string properties hold at most 64 KiB (32 K UTF-16 characters); a stored message stays below that. */
const MAX_STORED_MESSAGE_CHARS = 30_000;

export type HoldReason = "quiet-hours" | "retry";

export interface PendingDelivery {
  id: string;
  channel: string;
  /** Fingerprint of the webhook URL (see `urlFingerprint`). */
  target: string;
  reason: HoldReason;
  /** HTTP attempts made so far. */
  attempts: number;
  /** Stored retry rounds so far (each round = one delivery with its in-process retries); drives the backoff. */
  rounds: number;
  dueAt: Date;
  createdAt: Date;
  lastError?: string;
  message: NotifyMessage;
  etag: string;
}

export interface RejectedDelivery {
  id: string;
  channel: string;
  target: string;
  reason: string;
  attempts: number;
  rejectedAt: Date;
  message: NotifyMessage;
}

export interface DigestWindow {
  groupKey: string;
  windowStart: Date;
  windowEnd: Date;
  /** When the event that opened the window (sent on its own) happened. */
  firstOccurredAt: string;
  etag: string;
}

export interface DigestItem {
  rowKey: string;
  message: NotifyMessage;
}

/** Identifies a webhook URL without storing it. */
export function urlFingerprint(url: string): string {
  return createHash("sha256").update(url).digest("hex").slice(0, 20);
}

export interface StoreConnection {
  /** The Functions host's storage, from the process's Azure context (connection string or identity-based). */
  storage: HostStorage;
  tableName?: string;
}

/** A table of the app's storage account (through the host storage of the process's Azure context), created when missing. */
export async function openTable(connection: StoreConnection, tableName: string): Promise<TableClient> {
  const client = connection.storage.table(tableName);
  await client.createTable();
  return client;
}

export class NotifyStore {
  private readonly pending: string;
  private readonly rejected: string;
  private readonly digest: string;
  private readonly ack: string;

  private constructor(
    private readonly table: TableClient,
    /** The environment whose outbox this is: its rows live in their own partitions (`<environment>:pending`, …). */
    readonly environment: string | undefined,
  ) {
    const scoped = (partition: string) => (environment === undefined ? partition : `${environment}:${partition}`);
    this.pending = scoped(PENDING);
    this.rejected = scoped(REJECTED);
    this.digest = scoped(DIGEST);
    this.ack = scoped(ACK);
  }

  /**
   * Opens (and creates when missing) the table; with `environment`, the outbox of that environment only, so one
   * environment's retries, quiet hours and digests never pick up another's messages.
   */
  static async open(connection: StoreConnection, environment?: string): Promise<NotifyStore> {
    return new NotifyStore(await openTable(connection, connection.tableName ?? NOTIFY_TABLE), environment);
  }

  async addPending(entry: Omit<PendingDelivery, "id" | "etag" | "createdAt">, now: Date): Promise<void> {
    await this.table.createEntity({
      partitionKey: this.pending,
      rowKey: randomUUID(),
      channel: entry.channel,
      target: entry.target,
      reason: entry.reason,
      attempts: entry.attempts,
      rounds: entry.rounds,
      dueAt: entry.dueAt,
      createdAt: now,
      ...(entry.lastError === undefined ? {} : { lastError: entry.lastError }),
      message: storedMessage(entry.message),
    });
  }

  async listPending(dueBy?: Date): Promise<PendingDelivery[]> {
    const filter = dueBy
      ? odata`PartitionKey eq ${this.pending} and dueAt le ${dueBy}`
      : odata`PartitionKey eq ${this.pending}`;
    const out: PendingDelivery[] = [];
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } }))
      out.push(toPending(e, this.pending));
    return out.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
  }

  /** Takes a due delivery for this process by pushing its due time to `until`; undefined when another took it. */
  async claim(entry: PendingDelivery, until: Date): Promise<PendingDelivery | undefined> {
    try {
      const res = await this.table.updateEntity(
        { partitionKey: this.pending, rowKey: entry.id, dueAt: until },
        "Merge",
        {
          etag: entry.etag,
        },
      );
      return { ...entry, dueAt: until, etag: res.etag ?? entry.etag };
    } catch (err) {
      if (isStatus(err, 412) || isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  async reschedule(
    entry: PendingDelivery,
    next: { dueAt: Date; attempts: number; rounds: number; lastError: string },
  ): Promise<void> {
    await this.table.updateEntity(
      {
        partitionKey: this.pending,
        rowKey: entry.id,
        dueAt: next.dueAt,
        attempts: next.attempts,
        rounds: next.rounds,
        lastError: next.lastError,
        reason: "retry",
      },
      "Merge",
      { etag: entry.etag },
    );
  }

  /**
   * Records that message `messageId` reached the endpoint `target`: it answered 2xx (`httpStatus`), or the request went
   * out and no answer came in time (no status). A later send of the same message to it (a retried activity, a
   * stored retry racing another process) is skipped.
   */
  async recordSent(messageId: string, target: string, at: Date, httpStatus?: number): Promise<void> {
    await this.table.upsertEntity(
      {
        partitionKey: this.ack,
        rowKey: `${messageId}-${target}`,
        at,
        ...(httpStatus !== undefined ? { httpStatus } : {}),
      },
      "Replace",
    );
  }

  /** When `messageId` reached `target` (and its answer, when one came in time), or undefined. */
  async sentAt(messageId: string, target: string): Promise<{ at: Date; httpStatus?: number } | undefined> {
    try {
      const e = await this.table.getEntity<Record<string, unknown>>(this.ack, `${messageId}-${target}`);
      const httpStatus = e["httpStatus"];
      return { at: date(e, "at"), ...(typeof httpStatus === "number" ? { httpStatus } : {}) };
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  /**
   * Forgets the sends recorded before `before` (a notify activity is run again within minutes, a stored retry within
   * hours), so the record does not grow forever. Returns how many were removed.
   */
  async forgetSentBefore(before: Date): Promise<number> {
    const filter = odata`PartitionKey eq ${this.ack} and at lt ${before}`;
    let removed = 0;
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      await this.deleteQuietly(this.ack, str(e, "rowKey"));
      removed++;
    }
    return removed;
  }

  async remove(entry: PendingDelivery): Promise<void> {
    await this.deleteQuietly(this.pending, entry.id);
  }

  /** Keeps a delivery that cannot succeed (permanent 4xx, blocked host, channel gone) for people to inspect. */
  async reject(
    entry: { id?: string; channel: string; target: string; attempts: number; message: NotifyMessage },
    reason: string,
    now: Date,
  ): Promise<void> {
    await this.table.upsertEntity({
      partitionKey: this.rejected,
      rowKey: entry.id ?? randomUUID(),
      channel: entry.channel,
      target: entry.target,
      reason,
      attempts: entry.attempts,
      rejectedAt: now,
      message: storedMessage(entry.message),
    });
    if (entry.id) await this.deleteQuietly(this.pending, entry.id);
  }

  async listRejected(): Promise<RejectedDelivery[]> {
    const out: RejectedDelivery[] = [];
    const filter = odata`PartitionKey eq ${this.rejected}`;
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      out.push({
        id: str(e, "rowKey"),
        channel: str(e, "channel"),
        target: str(e, "target"),
        reason: str(e, "reason"),
        attempts: num(e, "attempts"),
        rejectedAt: date(e, "rejectedAt"),
        message: parseNotifyMessage(JSON.parse(str(e, "message")), `notify store row ${this.rejected}/${e.rowKey}`),
      });
    }
    return out;
  }

  /** Opens a digest window for `groupKey`; undefined when one is already open (insert conflict = someone was first). */
  async openDigestWindow(
    groupKey: string,
    windowStart: Date,
    windowEnd: Date,
    firstOccurredAt: string,
  ): Promise<DigestWindow | undefined> {
    try {
      const res = await this.table.createEntity({
        partitionKey: this.digest,
        rowKey: keyHash(groupKey),
        groupKey,
        windowStart,
        windowEnd,
        firstOccurredAt,
      });
      return { groupKey, windowStart, windowEnd, firstOccurredAt, etag: res.etag ?? "" };
    } catch (err) {
      if (isStatus(err, 409)) return undefined;
      throw err;
    }
  }

  async getDigestWindow(groupKey: string): Promise<DigestWindow | undefined> {
    try {
      return toWindow(await this.table.getEntity<Record<string, unknown>>(this.digest, keyHash(groupKey)));
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  async listDigestWindows(endedBy?: Date): Promise<DigestWindow[]> {
    const filter = endedBy
      ? odata`PartitionKey eq ${this.digest} and windowEnd le ${endedBy}`
      : odata`PartitionKey eq ${this.digest}`;
    const out: DigestWindow[] = [];
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } }))
      out.push(toWindow(e));
    return out;
  }

  async addDigestItem(window: DigestWindow, message: NotifyMessage): Promise<void> {
    await this.table.createEntity({
      partitionKey: this.itemsPartition(window),
      rowKey: `${message.occurredAt}~${randomUUID()}`,
      message: storedMessage(message),
    });
  }

  async listDigestItems(window: DigestWindow): Promise<DigestItem[]> {
    const partition = this.itemsPartition(window);
    const out: DigestItem[] = [];
    const filter = odata`PartitionKey eq ${partition}`;
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      out.push({
        rowKey: str(e, "rowKey"),
        message: parseNotifyMessage(JSON.parse(str(e, "message")), `notify store row ${partition}/${e.rowKey}`),
      });
    }
    return out;
  }

  /** Removes the window's items, then the window itself; the next event of the group opens a new window. */
  async closeDigestWindow(window: DigestWindow, items: readonly DigestItem[]): Promise<void> {
    const partition = this.itemsPartition(window);
    for (const item of items) await this.deleteQuietly(partition, item.rowKey);
    await this.deleteQuietly(this.digest, keyHash(window.groupKey));
  }

  /**
   * Deletes this environment's whole outbox (kept deliveries, rejected ones, digest windows and their items) when
   * the environment is forgotten: nothing would flush it, and its channels leave with its spec. Returns how many
   * messages were dropped (kept deliveries and digest items).
   */
  async discardAll(): Promise<number> {
    if (this.environment === undefined) throw new Error("notify store: only an environment's outbox can be discarded");
    // Every partition of the environment starts with `<environment>:`; `;` is the character after `:`.
    const filter = odata`PartitionKey ge ${`${this.environment}:`} and PartitionKey lt ${`${this.environment};`}`;
    let messages = 0;
    for await (const row of this.table.listEntities({ queryOptions: { filter, select: ["PartitionKey", "RowKey"] } })) {
      const partition = row.partitionKey!;
      if (partition === this.pending || partition.startsWith(`${this.digest}-`)) messages++;
      await this.deleteQuietly(partition, row.rowKey!);
    }
    return messages;
  }

  private itemsPartition(window: DigestWindow): string {
    return `${this.digest}-${keyHash(window.groupKey)}-${window.windowStart.getTime()}`;
  }

  private async deleteQuietly(partitionKey: string, rowKey: string): Promise<void> {
    try {
      await this.table.deleteEntity(partitionKey, rowKey);
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
  }
}

function storedMessage(message: NotifyMessage): string {
  const fitted = fitMessage(
    message,
    (m) => m,
    (m) => JSON.stringify(m).length <= MAX_STORED_MESSAGE_CHARS,
  );
  return JSON.stringify(fitted.rendered);
}

function keyHash(key: string): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 32);
}

function isStatus(err: unknown, status: number): boolean {
  return err instanceof RestError && err.statusCode === status;
}

function str(e: Record<string, unknown>, name: string): string {
  const v = e[name];
  if (typeof v !== "string") throw new Error(`notify store: row property ${name} is not a string`);
  return v;
}

function num(e: Record<string, unknown>, name: string): number {
  const v = e[name];
  if (typeof v !== "number") throw new Error(`notify store: row property ${name} is not a number`);
  return v;
}

function date(e: Record<string, unknown>, name: string): Date {
  const v = e[name];
  const d = v instanceof Date ? v : typeof v === "string" ? new Date(v) : undefined;
  if (!d || Number.isNaN(d.getTime())) throw new Error(`notify store: row property ${name} is not a date`);
  return d;
}

function toPending(e: TableEntityResult<Record<string, unknown>>, partition: string): PendingDelivery {
  const reason = str(e, "reason");
  if (reason !== "quiet-hours" && reason !== "retry")
    throw new Error(`notify store: row ${partition}/${e.rowKey} has reason ${reason}`);
  const lastError = e["lastError"];
  return {
    id: str(e, "rowKey"),
    channel: str(e, "channel"),
    target: str(e, "target"),
    reason,
    attempts: num(e, "attempts"),
    rounds: num(e, "rounds"),
    dueAt: date(e, "dueAt"),
    createdAt: date(e, "createdAt"),
    ...(typeof lastError === "string" ? { lastError } : {}),
    message: parseNotifyMessage(JSON.parse(str(e, "message")), `notify store row ${partition}/${e.rowKey}`),
    etag: e.etag,
  };
}

function toWindow(e: TableEntityResult<Record<string, unknown>>): DigestWindow {
  return {
    groupKey: str(e, "groupKey"),
    windowStart: date(e, "windowStart"),
    windowEnd: date(e, "windowEnd"),
    firstOccurredAt: str(e, "firstOccurredAt"),
    etag: e.etag,
  };
}
