import { ResourceManagementClient } from "@azure/arm-resources";
import type { ArmConnection } from "./connection";
import { armCall, type ArmResult } from "./errors";
import type { CallOptions } from "./deployments";

/** Resource groups through the real `@azure/arm-resources` client. */

export interface ResourceGroupInfo {
  name: string;
  location: string;
  provisioningState: string;
  tags: Record<string, string>;
}

export class ResourceGroupsAdapter {
  private readonly client: ResourceManagementClient;

  constructor(connection: ArmConnection, subscriptionId: string) {
    this.client = connection.client(ResourceManagementClient, subscriptionId);
  }

  async ensure(
    name: string,
    location: string,
    tags: Record<string, string> = {},
    options: CallOptions = {},
  ): Promise<ArmResult<ResourceGroupInfo>> {
    return armCall("create resource group", name, async () =>
      toInfo(
        await this.client.resourceGroups.createOrUpdate(name, { location, tags }, { abortSignal: options.abortSignal }),
      ),
    );
  }

  /** The group, or `undefined` when it does not exist (absence is an answer, not a failure). */
  async get(name: string, options: CallOptions = {}): Promise<ArmResult<ResourceGroupInfo | undefined>> {
    const result = await armCall("get resource group", name, async () =>
      toInfo(await this.client.resourceGroups.get(name, { abortSignal: options.abortSignal })),
    );
    return !result.ok && result.error.kind === "notFound" ? { ok: true, value: undefined } : result;
  }

  async list(options: CallOptions = {}): Promise<ArmResult<ResourceGroupInfo[]>> {
    return armCall("list resource groups", "subscription", async () => {
      const out: ResourceGroupInfo[] = [];
      for await (const rg of this.client.resourceGroups.list({ abortSignal: options.abortSignal }))
        out.push(toInfo(rg));
      return out;
    });
  }

  /** Deletes the group and waits for the long-running delete to finish (polling on Retry-After). */
  async delete(name: string, options: CallOptions & { updateIntervalInMs?: number } = {}): Promise<ArmResult<void>> {
    return armCall("delete resource group", name, async () => {
      await this.client.resourceGroups.delete(name, {
        abortSignal: options.abortSignal,
        ...(options.updateIntervalInMs !== undefined ? { updateIntervalInMs: options.updateIntervalInMs } : {}),
      });
    });
  }
}

function toInfo(rg: {
  name?: string;
  location: string;
  tags?: Record<string, string>;
  properties?: { provisioningState?: string };
}): ResourceGroupInfo {
  return {
    name: rg.name ?? "",
    location: rg.location,
    provisioningState: rg.properties?.provisioningState ?? "Unknown",
    tags: rg.tags ?? {},
  };
}
