import { randomUUID } from "node:crypto";
import { key, parseResourceId } from "./ids";

/**
 * The subscription's Resources events (`Microsoft.Resources.ResourceWriteSuccess`, `ResourceDeleteSuccess`,
 * `ResourceActionSuccess`), as the Event Grid system topic of a subscription delivers them: Event Grid schema,
 * `data` shaped like `@azure/eventgrid`'s `ResourceWriteSuccessEventData` with the caller's object id in `claims`
 * (azure-notes.md, "Resources events"). Delivered at least once, by HTTP POST with `aeg-event-type: Notification`,
 * to every registered endpoint (the local host's `/runtime/webhooks/eventgrid?functionName=…`).
 */

/** Who made a request: the token's identity (its `oid` claim in Azure). */
export interface SandboxCaller {
  objectId: string;
  /** A display name (a user's UPN, or the app's name). */
  name: string;
}

export type ResourceEventKind = "write" | "delete" | "action";

export const RESOURCE_EVENT_TYPES: Record<ResourceEventKind, string> = {
  write: "Microsoft.Resources.ResourceWriteSuccess",
  delete: "Microsoft.Resources.ResourceDeleteSuccess",
  action: "Microsoft.Resources.ResourceActionSuccess",
};

/** Claim URI of the caller's object id, as Resources events carry it. */
export const OBJECT_ID_CLAIM = "http://schemas.microsoft.com/identity/claims/objectidentifier";

export interface EventSubscription {
  id: string;
  endpoint: string;
  /** Only events of resources in these groups (case-insensitive); all when absent. */
  resourceGroups?: string[];
}

export interface EmittedEvent {
  endpoint: string;
  event: Record<string, unknown>;
  delivered: boolean;
  attempts: number;
  lastError?: string;
}

const DELIVERY_ATTEMPTS = 5;

export class ResourceEvents {
  private readonly subscriptions = new Map<string, EventSubscription>();
  private readonly emitted: EmittedEvent[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly identity: { subscriptionId: string; tenantId: string }) {}

  subscribe(input: { endpoint: string; resourceGroups?: string[] }): EventSubscription {
    const url = new URL(input.endpoint);
    if (url.protocol !== "https:" && !["127.0.0.1", "localhost", "[::1]"].includes(url.hostname))
      throw new Error(`event subscription endpoint ${url.host}: only https or a loopback http endpoint`);
    const sub: EventSubscription = {
      id: randomUUID(),
      endpoint: input.endpoint,
      ...(input.resourceGroups ? { resourceGroups: input.resourceGroups } : {}),
    };
    this.subscriptions.set(sub.id, sub);
    return sub;
  }

  unsubscribe(id: string): boolean {
    return this.subscriptions.delete(id);
  }

  list(): EventSubscription[] {
    return [...this.subscriptions.values()];
  }

  /** Every event handed to an endpoint so far, with its delivery state (newest last). */
  history(): EmittedEvent[] {
    return this.emitted.map((e) => ({ ...e }));
  }

  /** Resolves once every delivery started so far has succeeded or given up. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  emit(
    kind: ResourceEventKind,
    resourceId: string,
    input: { caller: SandboxCaller; correlationId: string; method: string; at: number; action?: string },
  ): void {
    if (this.subscriptions.size === 0) return;
    const parsed = parseResourceId(resourceId);
    const group = parsed?.resourceGroup;
    const provider = parsed?.type?.split("/")[0] ?? "Microsoft.Resources";
    const operation =
      kind === "action"
        ? `${parsed?.type ?? "Microsoft.Resources/resourceGroups"}/${input.action ?? "action"}/action`
        : `${parsed?.type ?? "Microsoft.Resources/resourceGroups"}/${kind}`;
    const event = {
      id: randomUUID(),
      topic: `/subscriptions/${this.identity.subscriptionId}`,
      subject: resourceId,
      eventType: RESOURCE_EVENT_TYPES[kind],
      eventTime: new Date(input.at).toISOString(),
      dataVersion: "2",
      metadataVersion: "1",
      data: {
        tenantId: this.identity.tenantId,
        subscriptionId: this.identity.subscriptionId,
        resourceGroup: group ?? "",
        resourceProvider: provider,
        resourceUri: resourceId,
        operationName: operation,
        status: "Succeeded",
        authorization: { scope: resourceId, action: operation, evidence: { role: "Contributor" } },
        claims: { [OBJECT_ID_CLAIM]: input.caller.objectId, name: input.caller.name },
        correlationId: input.correlationId,
        httpRequest: {
          clientRequestId: randomUUID(),
          clientIpAddress: "127.0.0.1",
          method: input.method,
          url: `https://management.azure.com${resourceId}`,
        },
      },
    };
    for (const sub of this.subscriptions.values()) {
      if (sub.resourceGroups && !sub.resourceGroups.some((g) => group !== undefined && key(g) === key(group))) continue;
      const record: EmittedEvent = { endpoint: sub.endpoint, event, delivered: false, attempts: 0 };
      this.emitted.push(record);
      const delivery = this.deliver(record).finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
  }

  /** Event Grid retries a failed delivery with backoff; here a handful of attempts, quickly. */
  private async deliver(record: EmittedEvent): Promise<void> {
    for (let attempt = 1; attempt <= DELIVERY_ATTEMPTS; attempt++) {
      record.attempts = attempt;
      try {
        const res = await fetch(record.endpoint, {
          method: "POST",
          headers: { "content-type": "application/json", "aeg-event-type": "Notification" },
          body: JSON.stringify([record.event]),
        });
        if (res.ok) {
          record.delivered = true;
          return;
        }
        record.lastError = `HTTP ${res.status}`;
      } catch (err) {
        record.lastError = err instanceof Error ? err.message : String(err);
      }
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
    }
  }
}
