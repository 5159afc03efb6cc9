import { NETWORK_MANAGER_COMMIT_SECONDS } from "../../lib/plan/latency";
import { startOp } from "./engine";
import { ArmHttpError } from "./http";
import { key } from "./ids";
import { findResource, type NetworkManagerCommitRecord, type SandboxContext, type TimedOp } from "./state";

/**
 * Azure Virtual Network Manager in the sandbox: network groups and connectivity configurations are ordinary
 * template resources (validated against the NRP schema like any other), but nothing is in effect until a commit
 * names the configurations for a region ("changes made to network groups, connectivity, and security admin
 * configuration won't take effect unless a deployment has been committed",
 * learn.microsoft.com/azure/virtual-network-manager/concept-deployments). A commit replaces what the region had
 * for that commit type (an empty list removes it) once applied, NETWORK_MANAGER_COMMIT_SECONDS later (until then
 * the previous commit stays in effect), and is refused when a configuration it names does not exist. A VNet sees its mesh only through a committed configuration.
 */

export const NETWORK_MANAGER_TYPE = "Microsoft.Network/networkManagers";
const CONNECTIVITY_TYPE = "Microsoft.Network/networkManagers/connectivityConfigurations";
const STATIC_MEMBER_TYPE = "Microsoft.Network/networkManagers/networkGroups/staticMembers";
const COMMIT_TYPES = new Set(["Connectivity", "SecurityAdmin", "SecurityUser", "Routing"]);

function managerOf(ctx: SandboxContext, id: string) {
  const manager = findResource(ctx, id);
  if (!manager || manager.type.toLowerCase() !== NETWORK_MANAGER_TYPE.toLowerCase())
    throw new ArmHttpError(404, "ResourceNotFound", `The Resource '${NETWORK_MANAGER_TYPE}' '${id}' was not found.`);
  return manager;
}

const recordKey = (managerId: string, region: string, commitType: string) =>
  `${key(managerId)}|${region.toLowerCase()}|${commitType.toLowerCase()}`;

function stringArray(value: unknown, field: string, allowEmpty: boolean): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string") || (!allowEmpty && value.length === 0))
    throw new ArmHttpError(
      400,
      "InvalidRequestFormat",
      `'${field}' must be ${allowEmpty ? "an" : "a non-empty"} array of strings.`,
    );
  return value as string[];
}

/** POST …/networkManagers/{name}/commit: refuses unknown configurations, then applies them after a while. */
export function commitNetworkManager(ctx: SandboxContext, managerId: string, body: unknown): TimedOp {
  const manager = managerOf(ctx, managerId);
  const input = (body ?? {}) as { commitType?: unknown; targetLocations?: unknown; configurationIds?: unknown };
  if (typeof input.commitType !== "string" || !COMMIT_TYPES.has(input.commitType))
    throw new ArmHttpError(400, "InvalidRequestFormat", `'commitType' must be one of ${[...COMMIT_TYPES].join(", ")}.`);
  const regions = stringArray(input.targetLocations, "targetLocations", false);
  const configurationIds = stringArray(input.configurationIds ?? [], "configurationIds", true);
  for (const id of configurationIds) {
    const configuration = findResource(ctx, id);
    if (!configuration || !key(id).startsWith(`${key(manager.id)}/`))
      throw new ArmHttpError(
        400,
        "InvalidConfigurationId",
        `The configuration '${id}' does not exist under network manager '${manager.name}': deploy it before committing it.`,
      );
  }
  const records = (ctx.data.networkManagerCommits ??= {});
  const commitTime = new Date(ctx.clock.now()).toISOString();
  for (const region of regions) {
    const previous = records[recordKey(manager.id, region, input.commitType)];
    const record: NetworkManagerCommitRecord = {
      applied: previous?.applied ?? [],
      networkManagerId: manager.id,
      region: region.toLowerCase(),
      commitType: input.commitType,
      configurationIds,
      status: "Deploying",
      commitTime,
    };
    records[recordKey(manager.id, region, input.commitType)] = record;
  }
  return startOp(
    ctx,
    { kind: "networkManagerCommit", target: manager.id, input: { regions, commitType: input.commitType } },
    NETWORK_MANAGER_COMMIT_SECONDS,
    NETWORK_MANAGER_TYPE,
  );
}

/** The commit is applied: its configurations are in effect (one deleted meanwhile fails the region). */
export function finishNetworkManagerCommit(ctx: SandboxContext, op: TimedOp): void {
  const { regions, commitType } = op.input as { regions: string[]; commitType: string };
  for (const region of regions) {
    const record = ctx.data.networkManagerCommits?.[recordKey(op.target, region, commitType)];
    if (!record || record.status !== "Deploying") continue;
    const missing = record.configurationIds.filter((id) => !findResource(ctx, id));
    if (missing.length > 0) {
      record.status = "Failed";
      record.errorMessage = `configuration ${missing.join(", ")} no longer exists`;
    } else {
      record.status = "Deployed";
      record.applied = record.configurationIds;
    }
  }
}

/** POST …/listDeploymentStatus: what each asked region has for each asked commit type. */
export function listNetworkManagerDeploymentStatus(ctx: SandboxContext, managerId: string, body: unknown): unknown {
  const manager = managerOf(ctx, managerId);
  const input = (body ?? {}) as { regions?: unknown; deploymentTypes?: unknown };
  const regions = stringArray(input.regions ?? [], "regions", true);
  const types = stringArray(input.deploymentTypes ?? [...COMMIT_TYPES], "deploymentTypes", true);
  const value = Object.values(ctx.data.networkManagerCommits ?? {})
    .filter((r) => key(r.networkManagerId) === key(manager.id))
    .filter((r) => regions.length === 0 || regions.some((g) => g.toLowerCase() === r.region))
    .filter((r) => types.some((t) => t.toLowerCase() === r.commitType.toLowerCase()))
    .map((r) => ({
      commitTime: r.commitTime,
      region: r.region,
      deploymentStatus: r.status,
      configurationIds: r.configurationIds,
      deploymentType: r.commitType,
      ...(r.errorMessage ? { errorMessage: r.errorMessage } : {}),
    }));
  return { value };
}

/**
 * POST …/virtualNetworks/{vnet}/listNetworkManagerEffectiveConnectivityConfigurations: the applied
 * connectivity configurations whose groups hold this VNet as a static member; nothing before the commit.
 */
export function effectiveConnectivity(ctx: SandboxContext, vnetId: string): unknown {
  const vnet = findResource(ctx, vnetId);
  if (!vnet) throw new ArmHttpError(404, "ResourceNotFound", `The virtual network '${vnetId}' was not found.`);
  const groupsOfVnet = new Set(
    Object.values(ctx.data.resources)
      .filter((r) => r.type.toLowerCase() === STATIC_MEMBER_TYPE.toLowerCase())
      .filter((r) => {
        const member = (r.request.properties as { resourceId?: unknown } | undefined)?.resourceId;
        return typeof member === "string" && key(member) === key(vnet.id);
      })
      .map((r) => key(r.id).replace(/\/staticmembers\/[^/]+$/, "")),
  );
  const value = Object.values(ctx.data.networkManagerCommits ?? {})
    .filter((r) => r.commitType === "Connectivity")
    .flatMap((r) => r.applied)
    .map((id) => findResource(ctx, id))
    .filter((c) => c !== undefined && c.type.toLowerCase() === CONNECTIVITY_TYPE.toLowerCase())
    .filter((c) =>
      ((c!.request.properties as { appliesToGroups?: { networkGroupId?: string }[] })?.appliesToGroups ?? []).some(
        (g) => groupsOfVnet.has(key(g.networkGroupId ?? "")),
      ),
    )
    .map((c) => ({ id: c!.id, properties: c!.request.properties }));
  return { value };
}
