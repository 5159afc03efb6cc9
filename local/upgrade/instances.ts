import type { UpgradeInstances } from "../../lib/api/upgrades";
import { Orchestrations } from "../../lib/function-names";
import type { DurableDriver } from "../durable/driver";

/** The upgrade API's view of Durable Functions over the local driver (CLI, tests). */
export function driverUpgradeInstances(driver: DurableDriver): UpgradeInstances {
  return {
    async get(instanceId) {
      const s = await driver.getStatus(instanceId, { showInput: true });
      return s && { ...s, runtimeStatus: s.runtimeStatus };
    },
    async start(instanceId, input) {
      await driver.startNew(Orchestrations.upgradePlatform, { instanceId, input });
    },
    raiseEvent: (instanceId, eventName, data) => driver.raiseEvent(instanceId, eventName, data),
    terminate: (instanceId, reason) => driver.terminate(instanceId, reason),
    managementUrls: () => ({}),
  };
}
