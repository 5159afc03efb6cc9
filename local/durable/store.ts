// Instance state in Azure Storage (Azurite locally): one blob per instance holds the whole document (history,
// inbox, pending work), and one table row per instance indexes it for listing and filtering.
import { odata, type TableClient } from "@azure/data-tables";
import type { ContainerClient } from "@azure/storage-blob";
import { storageFromConnectionString, type HostStorage } from "../../lib/azure";
import { readBlobText } from "../../lib/azure/blob-text";
import type { HistoryEvent, WireRetryOptions } from "./history";

export type RuntimeStatus = "Pending" | "Running" | "Completed" | "ContinuedAsNew" | "Failed" | "Terminated";

export const TERMINAL_STATUSES: readonly RuntimeStatus[] = ["Completed", "Failed", "Terminated"];

/** Work the driver dispatched and whose completion has not reached the inbox yet (re-dispatched on resume). */
export type PendingWork =
  | { kind: "activity"; id: number; name: string; input: unknown }
  | { kind: "timer"; id: number; fireAt: string }
  | { kind: "subOrchestration"; id: number; name: string; instanceId: string; input: unknown };

/** A flattened action the orchestrator produced, as recorded the first time (replays must produce the same). */
export interface TrackedAction {
  actionType: number;
  /** Activity / orchestration / event name; empty for timers. */
  name: string;
  /** Sequence id of the first attempt (null for external events, which take none). */
  id: number | null;
  retry?: { options: WireRetryOptions; failures: number; firstAttemptAt: string; input: unknown; instanceId?: string };
}

/** What a sequence id stands for, so an incoming completion can be matched to its action. */
export interface IdRole {
  action: number;
  role: "attempt" | "retryTimer" | "timer";
}

export interface InstanceDocument {
  instanceId: string;
  name: string;
  executionId: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  parent?: { instanceId: string; executionId: string; taskId: number };
  history: HistoryEvent[];
  inbox: HistoryEvent[];
  pending: PendingWork[];
  actions: TrackedAction[];
  ids: Record<string, IdRole>;
  nextEventId: number;
}

export interface InstanceFilter {
  runtimeStatus?: readonly RuntimeStatus[];
  createdTimeFrom?: Date;
  createdTimeTo?: Date;
}

interface IndexRow {
  partitionKey: string;
  rowKey: string;
  instanceId: string;
  name: string;
  runtimeStatus: string;
  createdTime: string;
  lastUpdatedTime: string;
}

const PARTITION = "instances";
/** Blob metadata naming the document's runtimeStatus (metadata names are C# identifiers; Azure keeps them lower-case). */
const STATUS_METADATA = "runtimestatus";

/** Table names allow letters and digits only; blob containers lower-case letters, digits and dashes. */
function storageNames(taskHub: string): { table: string; container: string } {
  const clean = taskHub.replace(/[^A-Za-z0-9]/g, "");
  if (!/^[A-Za-z][A-Za-z0-9]{2,40}$/.test(clean)) {
    throw new RangeError(`task hub name "${taskHub}" must start with a letter and hold 3-40 letters or digits`);
  }
  return { table: `${clean}Instances`, container: `${clean.toLowerCase()}-instances` };
}

export class InstanceStore {
  private readonly table: TableClient;
  private readonly container: ContainerClient;

  /** `storage`: a connection string (Azurite's development account), or the host storage of an Azure context. */
  constructor(storage: string | HostStorage, taskHub: string) {
    const names = storageNames(taskHub);
    const clients = typeof storage === "string" ? storageFromConnectionString(storage) : storage;
    this.table = clients.table(names.table);
    this.container = clients.blobService().getContainerClient(names.container);
  }

  async init(): Promise<void> {
    await this.table.createTable();
    await this.container.createIfNotExists();
  }

  private blobName(instanceId: string): string {
    return `${encodeURIComponent(instanceId)}.json`;
  }

  /** One GET of the whole blob (readBlobText): a save beside it never tears the document. */
  async load(instanceId: string): Promise<InstanceDocument | undefined> {
    const body = await readBlobText(this.container.getBlobClient(this.blobName(instanceId)));
    return body === undefined ? undefined : (JSON.parse(body) as InstanceDocument);
  }

  /**
   * Writes the document, then its index row (a reader never finds a row whose document is older). The document
   * carries its status in its blob's metadata: the instances to resume are read from the documents themselves, not
   * from the index, which a process killed between the two writes leaves behind (a new instance without a row), as
   * does an Azurite that exits before saving its table and blob data alike.
   */
  async save(doc: InstanceDocument): Promise<void> {
    const body = JSON.stringify(doc);
    await this.container.getBlockBlobClient(this.blobName(doc.instanceId)).upload(body, Buffer.byteLength(body), {
      blobHTTPHeaders: { blobContentType: "application/json" },
      metadata: { [STATUS_METADATA]: doc.runtimeStatus },
    });
    const row: IndexRow = {
      partitionKey: PARTITION,
      rowKey: encodeURIComponent(doc.instanceId),
      instanceId: doc.instanceId,
      name: doc.name,
      runtimeStatus: doc.runtimeStatus,
      createdTime: doc.createdTime,
      lastUpdatedTime: doc.lastUpdatedTime,
    };
    await this.table.upsertEntity(row, "Replace");
  }

  async delete(instanceId: string): Promise<boolean> {
    const existed = await this.container.getBlobClient(this.blobName(instanceId)).deleteIfExists();
    try {
      await this.table.deleteEntity(PARTITION, encodeURIComponent(instanceId));
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    }
    return existed.succeeded;
  }

  /** The latest `lastUpdatedTime` of any instance (written by the driver's clock), if there is one. */
  async latestUpdate(): Promise<Date | undefined> {
    let latest = "";
    const rows = this.table.listEntities<IndexRow>({
      queryOptions: { filter: odata`PartitionKey eq ${PARTITION}`, select: ["lastUpdatedTime"] },
    });
    for await (const row of rows) if (row.lastUpdatedTime > latest) latest = row.lastUpdatedTime;
    return latest ? new Date(latest) : undefined;
  }

  /** Ids of the instances whose document says they have not finished (see `save`), whatever the index says. */
  async unfinished(): Promise<string[]> {
    // A document saved before its status went into metadata: its row says, or (no row) the document itself.
    const indexed = new Map<string, string>();
    const rows = this.table.listEntities<IndexRow>({
      queryOptions: { filter: odata`PartitionKey eq ${PARTITION}`, select: ["instanceId", "runtimeStatus"] },
    });
    for await (const row of rows) indexed.set(row.instanceId, row.runtimeStatus);
    const ids: string[] = [];
    for await (const blob of this.container.listBlobsFlat({ includeMetadata: true })) {
      if (!blob.name.endsWith(".json")) continue;
      const instanceId = decodeURIComponent(blob.name.slice(0, -".json".length));
      const status =
        blob.metadata?.[STATUS_METADATA] ?? indexed.get(instanceId) ?? (await this.load(instanceId))?.runtimeStatus;
      if (status !== undefined && !TERMINAL_STATUSES.includes(status as RuntimeStatus)) ids.push(instanceId);
    }
    return ids;
  }

  /** Instance ids matching the filter, oldest first. */
  async list(filter: InstanceFilter = {}): Promise<string[]> {
    const clauses = [odata`PartitionKey eq ${PARTITION}`];
    if (filter.createdTimeFrom) clauses.push(odata`createdTime ge ${filter.createdTimeFrom.toISOString()}`);
    if (filter.createdTimeTo) clauses.push(odata`createdTime le ${filter.createdTimeTo.toISOString()}`);
    if (filter.runtimeStatus && filter.runtimeStatus.length > 0) {
      clauses.push(`(${filter.runtimeStatus.map((s) => odata`runtimeStatus eq ${s}`).join(" or ")})`);
    }
    const rows: IndexRow[] = [];
    for await (const row of this.table.listEntities<IndexRow>({ queryOptions: { filter: clauses.join(" and ") } })) {
      rows.push(row);
    }
    return rows.sort((a, b) => a.createdTime.localeCompare(b.createdTime)).map((r) => r.instanceId);
  }
}
