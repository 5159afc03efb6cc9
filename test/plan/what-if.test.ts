import { describe, expect, it } from "vitest";
import { MASKED, plannedChanges, renderTargetPlanText, targetPlan } from "../../lib/plan/what-if";

const rg = "/subscriptions/s/resourceGroups/rg/providers";

describe("plan per resource from what-if", () => {
  it("maps what-if change types to + ~ - = and leaves Ignore out", () => {
    const changes = plannedChanges([
      { resourceId: `${rg}/Microsoft.Network/virtualNetworks/a`, changeType: "Create", delta: [] },
      { resourceId: `${rg}/Microsoft.Network/virtualNetworks/b`, changeType: "Delete", delta: [] },
      { resourceId: `${rg}/Microsoft.Network/virtualNetworks/c`, changeType: "NoChange", delta: [] },
      { resourceId: `${rg}/Microsoft.Network/virtualNetworks/d`, changeType: "Ignore", delta: [] },
      { resourceId: `${rg}/Microsoft.Web/sites/e`, changeType: "Deploy", delta: [] },
    ]);
    expect(changes.map((c) => c.action)).toEqual(["create", "delete", "unchanged", "modify"]);
  });

  it("a Modify whose every change is what-if noise is unchanged (drift's filter)", () => {
    const [change] = plannedChanges([
      {
        resourceId: `${rg}/Microsoft.ContainerService/managedClusters/aks`,
        changeType: "Modify",
        delta: [
          {
            path: "properties.provisioningState",
            propertyChangeType: "Modify",
            before: "Updating",
            after: "Succeeded",
          },
          {
            path: "properties.currentKubernetesVersion",
            propertyChangeType: "Modify",
            before: "1.30.1",
            after: "1.30",
          },
          { path: "location", propertyChangeType: "Modify", before: "KoreaCentral", after: "koreacentral" },
          { path: "properties.dnsPrefix", propertyChangeType: "Modify", before: "a", after: "[reference('x').y]" },
        ],
      },
    ]);
    expect(change).toEqual({ resourceId: `${rg}/Microsoft.ContainerService/managedClusters/aks`, action: "unchanged" });
  });

  it("keeps the paths that change, before → after, and masks secrets", () => {
    const [change] = plannedChanges([
      {
        resourceId: `${rg}/Microsoft.Compute/virtualMachines/jump`,
        changeType: "Modify",
        delta: [
          {
            path: "properties.hardwareProfile.vmSize",
            propertyChangeType: "Modify",
            before: "Standard_B2s",
            after: "Standard_D2s_v5",
          },
          {
            path: "properties.osProfile.adminPassword",
            propertyChangeType: "Modify",
            before: "old-secret",
            after: "new-secret",
          },
          { path: "tags.owner", propertyChangeType: "Create", after: "platform" },
        ],
      },
    ]);
    expect(change!.action).toBe("modify");
    expect(change!.changes).toEqual([
      { path: "properties.hardwareProfile.vmSize", action: "modify", before: "Standard_B2s", after: "Standard_D2s_v5" },
      { path: "properties.osProfile.adminPassword", action: "modify", before: MASKED, after: MASKED },
      { path: "tags.owner", action: "create", after: "platform" },
    ]);
    const text = renderTargetPlanText(
      targetPlan(
        "env",
        "sandbox",
        [
          {
            name: "unit",
            phase: "network",
            state: "succeeded",
            whatIf: { create: 0, modify: 1, delete: 0, noChange: 0, ignore: 0, changes: [], resources: [change!] },
          },
          { name: "other", phase: "network", state: "failed", error: { code: "InvalidTemplate", message: "bad" } },
        ],
        () => "InvalidTemplate: bad",
      ),
    );
    expect(text).toContain("  ~ Microsoft.Compute/virtualMachines jump  (modify)");
    expect(text).toContain('      ~ properties.hardwareProfile.vmSize: "Standard_B2s" → "Standard_D2s_v5"');
    expect(text).toContain('      ~ properties.osProfile.adminPassword: "(sensitive)" → "(sensitive)"');
    expect(text).not.toContain("secret");
    expect(text).toContain('      + tags.owner: "platform"');
    expect(text).toContain("  ! could not be evaluated: InvalidTemplate: bad");
    expect(text).toContain(
      "Plan: 0 to add, 1 to change, 0 to destroy (0 unchanged). 1 deployment(s) could not be evaluated.",
    );
  });
});
