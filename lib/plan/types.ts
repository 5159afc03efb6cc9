/**
 * The plan: a spec turned into ARM deployments grouped in phases. `units.ts` (spec → deployment units) and
 * `plan.ts` (units → expanded plan, critical path, renderers) share these types.
 */

export const PHASES = ["resourceGroups", "network", "sharedServices", "clusters", "addons"] as const;
export type PhaseName = (typeof PHASES)[number];

/** A parameter whose value is only known once another deployment of the same build has finished. */
export interface OutputReference {
  deployment: string;
  output: string;
}

export interface DeploymentUnit {
  /** Deterministic ARM deployment name (≤ 64 chars): a re-run addresses the same deployment. */
  name: string;
  phase: PhaseName;
  scope: "subscription" | "resourceGroup";
  /** Target group for resource-group-scope deployments. */
  resourceGroup?: string;
  /** Set on per-cluster units (cluster name of the spec). */
  cluster?: string;
  /** Template file relative to `templates/arm/`. */
  template: string;
  /** Plain parameter values (what `az deployment … --parameters` would get). */
  parameters: Record<string, unknown>;
  /** Parameters filled at run time from earlier deployments' outputs. */
  outputParameters: Record<string, OutputReference>;
  /** Names of deployments that must have succeeded first. */
  dependsOn: string[];
  /**
   * How long the deployment is expected to take under the latency model (set by the build's planning step from
   * the expanded template): it paces status polling and scales the deployment's timeout.
   */
  expectedSeconds?: number;
  /**
   * Set on a unit whose resources take effect only once committed (Azure Virtual Network Manager): after the
   * deployment succeeds the build posts the commit of the configuration the named output holds, and polls it.
   */
  commit?: NetworkManagerCommitSpec;
}

export interface NetworkManagerCommitSpec {
  networkManager: string;
  commitType: "Connectivity";
  /** The unit's output holding the configuration's resource id. */
  configurationOutput: string;
  targetLocations: string[];
}
