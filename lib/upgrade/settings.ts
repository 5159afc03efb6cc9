import type { MaintenanceWindowSpec, PlatformSpec } from "../spec";

/** The spec's `upgrades` section with every default filled in. */
export interface UpgradeSettings {
  stages: { name: string; clusters: string[]; soakMinutes: number }[];
  approval: { kubernetesMinor: boolean; kubernetesPatch: boolean; nodeImage: boolean; istioRevision: boolean };
  maintenanceWindows: Record<string, MaintenanceWindowSpec>;
  maxSurge: string;
  maxPendingPods: number;
}

export const DEFAULT_SOAK_MINUTES = 30;

export function upgradeSettings(spec: Pick<PlatformSpec, "clusters" | "upgrades">): UpgradeSettings {
  const u = spec.upgrades;
  return {
    // Default: the clusters in spec order, one per stage (the seed's mgmt → app1 → app2).
    stages:
      u?.stages?.map((s) => ({ name: s.name, clusters: [...s.clusters], soakMinutes: s.soakMinutes })) ??
      spec.clusters.map((c) => ({ name: c.name, clusters: [c.name], soakMinutes: DEFAULT_SOAK_MINUTES })),
    approval: {
      kubernetesMinor: u?.approval?.kubernetesMinor ?? true,
      kubernetesPatch: u?.approval?.kubernetesPatch ?? false,
      nodeImage: u?.approval?.nodeImage ?? false,
      istioRevision: u?.approval?.istioRevision ?? true,
    },
    maintenanceWindows: { ...(u?.maintenanceWindows ?? {}) },
    maxSurge: u?.maxSurge ?? "33%",
    maxPendingPods: u?.maxPendingPods ?? 0,
  };
}
