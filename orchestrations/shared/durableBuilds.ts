import type { DurableClient } from "durable-functions";
import type { BuildInstances, InstanceView } from "../../lib/api/builds";
import { Orchestrations } from "../../lib/function-names";

/** The build API's view of Durable Functions, over the durable client binding. */
export function durableBuildInstances(client: DurableClient): BuildInstances {
  return {
    async get(instanceId) {
      try {
        const s = await client.getStatus(instanceId, { showInput: true });
        const view: InstanceView = {
          instanceId,
          runtimeStatus: String(s.runtimeStatus),
          input: s.input,
          customStatus: s.customStatus,
          output: s.output,
          createdTime: new Date(s.createdTime).toISOString(),
          lastUpdatedTime: new Date(s.lastUpdatedTime).toISOString(),
        };
        return view;
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
