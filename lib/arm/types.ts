/** Where a template is deployed. */
export interface DeploymentScope {
  kind: "subscription" | "resourceGroup";
  subscriptionId: string;
  tenantId: string;
  /** Required for resource-group scope. */
  resourceGroup?: string;
  /** Deployment location (subscription scope) or the resource group's location. */
  location: string;
  deploymentName: string;
}

/** Optional hooks for values only Azure knows; without them those values stay DeferredValue markers. */
export interface ArmRuntime {
  reference?(resourceId: string, apiVersion: string | undefined, full: boolean): unknown;
  list?(resourceId: string, apiVersion: string, functionName: string): unknown;
  newGuid?(): string;
  utcNow?(format?: string): string;
}

export interface ExpandOptions {
  /** Parameter values (not the `{ value }` wrapper); values may be DeferredValue instances. */
  parameters?: Record<string, unknown>;
  scope: DeploymentScope;
  /** Label used in error messages (usually the file name). */
  templateName?: string;
  runtime?: ArmRuntime;
}

export interface ExpandedResource {
  id: string;
  type: string;
  apiVersion: string;
  /** Full name, `parent/child` for child resources. */
  name: string;
  resourceGroup?: string;
  location?: unknown;
  sku?: unknown;
  kind?: unknown;
  identity?: unknown;
  zones?: unknown;
  tags?: unknown;
  properties: unknown;
  /** Full resource ids of resources in this expansion that must be deployed first. */
  dependsOn: string[];
  /** Resource id an extension resource is applied to. */
  scope?: string;
}

export interface ExpandedDeployment {
  resources: ExpandedResource[];
  outputs: Record<string, { type: string; value: unknown }>;
}
