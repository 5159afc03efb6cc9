import { createHash } from "node:crypto";
import { isBackupInstance, registerBackupInstance, removeBackupInstance } from "./backup";
import { addAgentPool, createClusterSim, removeClusterSim } from "./cluster";
import { ArmHttpError } from "./http";
import { guidFrom, key, parentId, parseResourceId } from "./ids";
import { resourceView, type ResourceRequest, type SandboxContext, type StoredResource } from "./state";

/**
 * Simulated resources: what Azure adds to a resource when it is created (ids, endpoints, principal ids),
 * the `list*()` values templates may read, and the side effects on the cluster and backup simulations.
 */

function obj(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

const lower = (s: string) => s.toLowerCase();

function shortName(r: { name: string }): string {
  return r.name.split("/").pop()!;
}

/** Azure-computed properties by resource type (beyond provisioningState). */
function computedProperties(ctx: SandboxContext, r: StoredResource): Record<string, unknown> {
  const props = obj(r.request.properties);
  const name = shortName(r);
  const location = typeof r.request.location === "string" ? r.request.location : "unknown";
  const tenantId = ctx.settings.tenantId;
  switch (lower(r.type)) {
    case "microsoft.managedidentity/userassignedidentities":
      return { principalId: guidFrom(`${key(r.id)}:principal`), clientId: guidFrom(`${key(r.id)}:client`), tenantId };
    case "microsoft.containerservice/managedclusters": {
      const nodeResourceGroup =
        typeof props.nodeResourceGroup === "string"
          ? props.nodeResourceGroup
          : `MC_${r.resourceGroup ?? ""}_${name}_${location}`;
      const nodeRgIdentities = `/subscriptions/${ctx.settings.subscriptionId}/resourcegroups/${nodeResourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`;
      // A kubelet identity given in the request is the one AKS uses; otherwise AKS creates one in the node group.
      const requestedKubelet = obj(obj(props.identityProfile).kubeletidentity).resourceId;
      const kubeletId =
        typeof requestedKubelet === "string" ? requestedKubelet : `${nodeRgIdentities}/${name}-agentpool`;
      const addonIdentity = (id: string) => ({
        resourceId: id,
        clientId: guidFrom(`${key(id)}:client`),
        objectId: guidFrom(`${key(id)}:principal`),
      });
      const privateCluster = obj(props.apiServerAccessProfile).enablePrivateCluster === true;
      const dns = `${name}-${guidFrom(r.id).slice(0, 8)}`;
      return {
        nodeResourceGroup,
        currentKubernetesVersion: typeof props.kubernetesVersion === "string" ? props.kubernetesVersion : "1.33.2",
        powerState: { code: "Running" },
        ...(privateCluster
          ? { privateFQDN: `${dns}.privatelink.${location}.azmk8s.io` }
          : { fqdn: `${dns}.hcp.${location}.azmk8s.io` }),
        ...(obj(props.oidcIssuerProfile).enabled === true
          ? {
              oidcIssuerProfile: {
                issuerURL: `https://${location}.oic.prod-aks.azure.com/${tenantId}/${guidFrom(`${key(r.id)}:oidc`)}/`,
              },
            }
          : {}),
        identityProfile: { kubeletidentity: addonIdentity(kubeletId) },
        // Enabled add-ons (omsagent, azureKeyvaultSecretsProvider, …) get a managed identity in the node group.
        addonProfiles: Object.fromEntries(
          Object.entries(obj(props.addonProfiles))
            .filter(([, addon]) => obj(addon).enabled === true)
            .map(([addon]) => [
              addon,
              { identity: addonIdentity(`${nodeRgIdentities}/${addon.toLowerCase()}-${name}`) },
            ]),
        ),
      };
    }
    case "microsoft.kubernetesconfiguration/extensions":
      // Cluster extensions run under an identity AKS creates for them (e.g. the backup extension's).
      return {
        aksAssignedIdentity: {
          type: "SystemAssigned",
          principalId: guidFrom(`${key(r.id)}:extension-principal`),
          tenantId,
        },
      };
    case "microsoft.keyvault/vaults":
      return { vaultUri: `https://${name}.vault.azure.net/` };
    case "microsoft.containerregistry/registries":
      return { loginServer: `${name}.azurecr.io` };
    case "microsoft.operationalinsights/workspaces":
      return { customerId: guidFrom(`${key(r.id)}:customer`) };
    case "microsoft.insights/components": {
      const ikey = guidFrom(`${key(r.id)}:ikey`);
      return {
        InstrumentationKey: ikey,
        ConnectionString: `InstrumentationKey=${ikey};IngestionEndpoint=https://${location}.in.applicationinsights.azure.com/`,
      };
    }
    case "microsoft.monitor/accounts":
      return {
        metrics: {
          prometheusQueryEndpoint: `https://${name}.${location}.prometheus.monitor.azure.com`,
          internalId: guidFrom(r.id),
        },
      };
    case "microsoft.storage/storageaccounts":
      return {
        primaryEndpoints: {
          blob: `https://${name}.blob.core.windows.net/`,
          queue: `https://${name}.queue.core.windows.net/`,
          table: `https://${name}.table.core.windows.net/`,
        },
      };
    case "microsoft.network/publicipaddresses": {
      const h = createHash("sha256").update(r.id).digest();
      return { ipAddress: `20.${h[0]! % 200}.${h[1]}.${(h[2]! % 254) + 1}` };
    }
    case "microsoft.network/dnszones":
      return {
        nameServers: [
          "ns1-01.azure-dns.com.",
          "ns2-01.azure-dns.net.",
          "ns3-01.azure-dns.org.",
          "ns4-01.azure-dns.info.",
        ],
      };
    case "microsoft.dataprotection/backupvaults/backupinstances":
      return { protectionStatus: { status: "ProtectionConfigured" }, currentProtectionState: "ProtectionConfigured" };
    default:
      return {};
  }
}

/** System-assigned principal and user-assigned identity details, as ARM fills them in. */
function computedIdentity(ctx: SandboxContext, r: StoredResource): Record<string, unknown> | undefined {
  const identity = obj(r.request.identity);
  const type = typeof identity.type === "string" ? identity.type.toLowerCase() : "";
  if (!type || type === "none") return undefined;
  const out: Record<string, unknown> = {};
  if (type.includes("systemassigned")) {
    out.principalId = guidFrom(`${key(r.id)}:system-principal`);
    out.tenantId = ctx.settings.tenantId;
  }
  const uai = obj(identity.userAssignedIdentities);
  if (Object.keys(uai).length) {
    out.userAssignedIdentities = Object.fromEntries(
      Object.keys(uai).map((id) => [
        id,
        { principalId: guidFrom(`${key(id)}:principal`), clientId: guidFrom(`${key(id)}:client`) },
      ]),
    );
  }
  return out;
}

/** Creates or updates a resource (a deployment step finished); returns whether anything changed. */
export function commitResource(
  ctx: SandboxContext,
  r: { id: string; type: string; name: string; apiVersion: string; resourceGroup?: string; request: ResourceRequest },
  /** The deployment that wrote it; none for a direct PUT. */
  deploymentId?: string,
): boolean {
  const now = new Date(ctx.clock.now()).toISOString();
  if (lower(r.type) === "microsoft.resources/resourcegroups") {
    const location = typeof r.request.location === "string" ? r.request.location : "unknown";
    ctx.data.resourceGroups[key(r.name)] = {
      id: `/subscriptions/${ctx.settings.subscriptionId}/resourceGroups/${r.name}`,
      name: r.name,
      location,
      ...(r.request.tags ? { tags: r.request.tags as Record<string, string> } : {}),
      provisioningState: "Succeeded",
    };
    return true;
  }
  const existing = ctx.data.resources[key(r.id)];
  const stored: StoredResource = {
    id: existing?.id ?? r.id,
    type: r.type,
    name: r.name,
    apiVersion: r.apiVersion,
    ...(r.resourceGroup !== undefined ? { resourceGroup: r.resourceGroup } : {}),
    request: r.request,
    computed: { properties: {} },
    createdAt: existing?.createdAt ?? now,
    changedAt: now,
    ...(deploymentId !== undefined ? { deployment: deploymentId } : {}),
  };
  stored.computed.properties = { provisioningState: "Succeeded", ...computedProperties(ctx, stored) };
  const identity = computedIdentity(ctx, stored);
  if (identity) stored.computed.identity = identity;
  ctx.data.resources[key(r.id)] = stored;
  const type = lower(r.type);
  if (type === "microsoft.containerservice/managedclusters") {
    createClusterSim(ctx, stored, stored.computed.properties.nodeResourceGroup as string);
  } else if (type === "microsoft.containerservice/managedclusters/agentpools") {
    addAgentPool(ctx, parentId(r.id) ?? "", stored);
  } else if (isBackupInstance(stored)) {
    registerBackupInstance(ctx, stored, existing === undefined);
  }
  return JSON.stringify(existing?.request) !== JSON.stringify(stored.request);
}

/** Deletes a resource and its children (and extension resources applied to it). */
export function deleteResourceTree(ctx: SandboxContext, id: string): string[] {
  const prefix = key(id);
  const removed: string[] = [];
  for (const [k, r] of Object.entries(ctx.data.resources)) {
    if (k === prefix || k.startsWith(prefix + "/")) {
      delete ctx.data.resources[k];
      removed.push(r.id);
      if (lower(r.type) === "microsoft.containerservice/managedclusters") removeClusterSim(ctx, r.id);
      if (isBackupInstance(r)) removeBackupInstance(ctx, r.id);
    }
  }
  return removed;
}

/** `reference()` for the ARM engine: the stored resource (full) or its properties. */
export function referenceResource(ctx: SandboxContext, resourceId: string, full: boolean): unknown {
  const parsed = parseResourceId(resourceId);
  if (parsed && !parsed.type && parsed.resourceGroup) {
    const rg = ctx.data.resourceGroups[key(parsed.resourceGroup)];
    if (rg)
      return full
        ? { ...rg, properties: { provisioningState: rg.provisioningState } }
        : { provisioningState: rg.provisioningState };
  }
  const r = ctx.data.resources[key(resourceId)];
  if (!r) throw new ArmHttpError(404, "ResourceNotFound", `The Resource '${resourceId}' was not found (reference()).`);
  const view = resourceView(r);
  return full ? { ...view, apiVersion: r.apiVersion } : view.properties;
}

function derivedSecret(id: string, label: string): string {
  return createHash("sha256")
    .update(`${key(id)}:${label}`)
    .digest("base64");
}

/** `list*()` for the ARM engine: only the functions the sandbox simulates, else a clear error. */
export function listResource(ctx: SandboxContext, resourceId: string, functionName: string): unknown {
  const r = ctx.data.resources[key(resourceId)];
  if (!r)
    throw new ArmHttpError(404, "ResourceNotFound", `The Resource '${resourceId}' was not found (${functionName}()).`);
  const type = lower(r.type);
  const fn = lower(functionName);
  if (type === "microsoft.storage/storageaccounts" && fn === "listkeys") {
    return {
      keys: ["key1", "key2"].map((keyName) => ({ keyName, value: derivedSecret(r.id, keyName), permissions: "FULL" })),
    };
  }
  if (type === "microsoft.operationalinsights/workspaces" && (fn === "listkeys" || fn === "sharedkeys")) {
    return { primarySharedKey: derivedSecret(r.id, "primary"), secondarySharedKey: derivedSecret(r.id, "secondary") };
  }
  throw new ArmHttpError(400, "SandboxUnsupported", `The sandbox does not simulate ${functionName}() on ${r.type}.`);
}
