import { describe, expect, it } from "vitest";
import type { TeardownResult } from "../../lib/api/clusters";
import { parseNotifyMessage } from "../../lib/notify";
import { teardownMessage } from "../../orchestrations/teardown/activities/notifyTeardownResult";

/** The one message of a cancelled teardown: a warning naming who cancelled, what is gone, what is left, how to finish. */
describe("teardown message of a cancelled teardown", () => {
  const result: TeardownResult = {
    environment: "k8s-demo",
    cluster: "app2",
    succeeded: false,
    startedAt: "2026-11-24T05:00:00.000Z",
    endedAt: "2026-11-24T05:03:00.000Z",
    steps: [
      { what: "peering peer-mgmt-to-app2 of vnet-mgmt", id: "/p1", state: "deleted" },
      { what: "resource group rg-k8s-demo-app2", id: "/rg", state: "pending" },
    ],
    kept: [],
    forgottenDeployments: ["k8s-demo-aks-app2"],
    canceled: {
      requestedAt: "2026-11-24T05:02:00.000Z",
      request: "POST /api/environments/k8s-demo/clusters/app2/teardown/cancel",
      requestedBy: "ops@example.com",
      deleted: ["peering peer-mgmt-to-app2 of vnet-mgmt"],
      left: ["resource group rg-k8s-demo-app2"],
    },
  };

  it("says cancelled (not 'left resources behind'), by whom, what is gone and left, and how to finish", () => {
    const message = parseNotifyMessage(teardownMessage({ result, correlationId: "teardown:k8s-demo:app2" }), "test");
    expect(message.severity).toBe("warning");
    expect(message.title).toBe("Teardown of cluster app2 cancelled");
    expect(message.summary).toContain("ops@example.com");
    expect(message.lines).toEqual([
      "deleted: peering peer-mgmt-to-app2 of vnet-mgmt",
      "left: resource group rg-k8s-demo-app2",
    ]);
    expect(message.nextStep).toContain("DELETE /api/environments/k8s-demo/clusters/app2");
    expect(message.runbook).toBe("OPS-1");
  });
});
