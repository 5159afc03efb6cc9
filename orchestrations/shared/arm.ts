import { azureContext, DeploymentsAdapter, type ArmConnection, type ArmFailure } from "../../lib/azure";
import type { ArmErrorInfo } from "../../lib/plan/progress";
import type { DeploymentRef as AdapterRef } from "../../lib/azure";
import type { DeploymentRef } from "../build/contracts";

/** The process's ARM connection: the ARM part of its Azure context (public cloud, sovereign cloud or the sandbox). */
export function armConnection(): ArmConnection {
  return azureContext().arm;
}

export function deploymentsFor(subscriptionId: string): DeploymentsAdapter {
  return new DeploymentsAdapter(armConnection(), subscriptionId);
}

export function adapterRef(ref: Pick<DeploymentRef, "name" | "scope" | "resourceGroup">): AdapterRef {
  if (ref.scope === "subscription") return { name: ref.name, scope: "subscription" };
  if (ref.resourceGroup === undefined)
    throw new Error(`deployment ${ref.name}: a resource-group deployment needs a resource group`);
  return { name: ref.name, scope: "resourceGroup", resourceGroup: ref.resourceGroup };
}

/** An ARM failure as the build reports it: code, message, target and nested details, nothing else. */
export function toErrorInfo(
  failure: Pick<ArmFailure, "code" | "message" | "details"> & { target?: string },
): ArmErrorInfo {
  return {
    code: failure.code,
    message: failure.message,
    ...(failure.target !== undefined ? { target: failure.target } : {}),
    ...(failure.details.length > 0
      ? { details: failure.details.map((d) => toErrorInfo({ ...d, details: d.details ?? [] })) }
      : {}),
  };
}
