import { describe, expect, it } from "vitest";
import {
  DEFAULT_LATENCY_SECONDS,
  deploymentLatencySeconds,
  FALLBACK_LATENCY_SECONDS,
  latencySecondsForType,
} from "../../lib/plan/latency";

describe("latency model", () => {
  it("uses azure-notes timings by type, case-insensitively, with overrides", () => {
    expect(latencySecondsForType("microsoft.containerservice/MANAGEDCLUSTERS")).toBe(600);
    expect(latencySecondsForType("Microsoft.Network/bastionHosts")).toBe(600);
    expect(latencySecondsForType("Microsoft.KubernetesConfiguration/extensions")).toBe(240);
    expect(latencySecondsForType("Microsoft.Something/else")).toBe(FALLBACK_LATENCY_SECONDS);
    expect(
      latencySecondsForType("Microsoft.ContainerService/managedClusters", {
        "microsoft.containerservice/managedclusters": 5,
      }),
    ).toBe(5);
    expect(Object.values(DEFAULT_LATENCY_SECONDS).every((s) => s > 0 && s <= 600)).toBe(true);
  });

  it("takes the longest dependsOn chain, not the sum", () => {
    const id = (n: string) => `/subscriptions/s/resourceGroups/rg/providers/${n}`;
    const resources = [
      {
        type: "Microsoft.ManagedIdentity/userAssignedIdentities",
        id: id("Microsoft.ManagedIdentity/userAssignedIdentities/a"),
      },
      {
        type: "Microsoft.ContainerService/managedClusters",
        id: id("Microsoft.ContainerService/managedClusters/c"),
        dependsOn: [id("Microsoft.ManagedIdentity/userAssignedIdentities/a")],
      },
      {
        type: "Microsoft.KubernetesConfiguration/extensions",
        id: id("x"),
        dependsOn: [id("Microsoft.ContainerService/managedClusters/c"), "/not/in/list"],
      },
      { type: "Microsoft.Network/bastionHosts" },
    ];
    expect(deploymentLatencySeconds(resources)).toBe(30 + 600 + 240);
    expect(deploymentLatencySeconds([])).toBe(0);
  });

  it("names the resource on a dependsOn cycle", () => {
    expect(() =>
      deploymentLatencySeconds([
        { type: "A/b", id: "x", dependsOn: ["y"] },
        { type: "A/b", id: "y", dependsOn: ["x"] },
      ]),
    ).toThrow(/cycle through resource [xy]/);
  });
});
