import type { RestoreInstances } from "../../lib/api/restore";
import { Orchestrations } from "../../lib/function-names";
import type { LocalRuntime } from "../../local/build/runner";

/** The restore API's view of Durable Functions over a test platform's local driver (functions/restoreCluster.ts in Azure). */
export function restoreInstances(runtime: Pick<LocalRuntime, "driver" | "instances">): RestoreInstances {
  return {
    get: (id) => runtime.instances.get(id),
    start: async (id, input) => {
      await runtime.driver.startNew(Orchestrations.restoreCluster, { instanceId: id, input });
    },
    managementUrls: (id) => ({
      statusQueryGetUri: `http://localhost:7071/runtime/webhooks/durabletask/instances/${encodeURIComponent(id)}`,
    }),
    raise: (id, eventName, data) => runtime.driver.raiseEvent(id, eventName, data),
  };
}
