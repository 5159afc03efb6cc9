import type { DurableClient, DurableOrchestrationStatus } from "durable-functions";
import type { BuildInstances, InstanceView } from "../../lib/api/builds";
import { Orchestrations } from "../../lib/function-names";

/** An instance's status as the APIs read it (times as ISO strings). */
export function instanceView(
  s: DurableOrchestrationStatus,
): InstanceView & { createdTime: string; lastUpdatedTime: string } {
  return {
    instanceId: s.instanceId,
    runtimeStatus: String(s.runtimeStatus),
    input: s.input,
    customStatus: s.customStatus,
    output: s.output,
    createdTime: new Date(s.createdTime).toISOString(),
    lastUpdatedTime: new Date(s.lastUpdatedTime).toISOString(),
  };
}

/** The build API's view of Durable Functions, over the durable client binding. */
export function durableBuildInstances(client: DurableClient): BuildInstances {
  return {
    async get(instanceId) {
      try {
        return instanceView(await client.getStatus(instanceId, { showInput: true }));
      } catch (err) {
        // The durable client reports an unknown instance only as an HTTP 404 error.
        if (err instanceof Error && /HTTP 404/.test(err.message)) return undefined;
        throw err;
      }
    },
    async start(instanceId, input) {
      // host.json sets overridableExistingInstanceStates to NonRunningStates: without it the extension would
      // replace a running instance of this id instead of refusing the second start (learn.microsoft.com:
      // Microsoft.Azure.WebJobs.Extensions.DurableTask.OverridableStates).
      await client.startNew(Orchestrations.provisionPlatform, { instanceId, input });
    },
    terminate: (instanceId, reason) => client.terminate(instanceId, reason),
    raise: (instanceId, eventName, data) => client.raiseEvent(instanceId, eventName, data),
    managementUrls(instanceId) {
      return { ...client.createHttpManagementPayload(instanceId) };
    },
  };
}
