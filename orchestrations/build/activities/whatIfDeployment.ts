import { DeferredValue, expandTemplate } from "../../../lib/arm";
import { Activities } from "../../../lib/function-names";
import { PLAN_TENANT_ID } from "../../../lib/plan";
import { isMissingOutput, type WhatIfSummary } from "../../../lib/plan/progress";
import { deploymentRequestSchema, type DeploymentRequest, type WhatIfResult } from "../contracts";
import { registerActivity } from "../../shared/boundary";
import { plannedChanges } from "../../../lib/plan/what-if";
import { adapterRef, deploymentsFor, toErrorInfo } from "../../shared/arm";
import { readTemplate } from "../../shared/templates";

/** ARM what-if for one deployment: what it would create, modify or delete. Nothing changes. */
export async function whatIfDeployment(request: DeploymentRequest, signal: AbortSignal): Promise<WhatIfResult> {
  const { unit } = request;
  const template = await readTemplate(unit.template);
  const waitingFor = Object.values(request.parameters).filter(isMissingOutput);
  if (waitingFor.length > 0) {
    // Its inputs come from deployments that do not exist yet: ARM cannot what-if it, the offline expansion can.
    const why = `needs ${waitingFor.map((m) => m.$deferred).join(", ")}`;
    return { kind: "whatif", summary: creationsOf(request, template, why) };
  }
  const deployments = deploymentsFor(request.subscriptionId);
  const result = await deployments.whatIf(
    {
      ...adapterRef(unit),
      ...(unit.scope === "subscription" ? { location: request.location } : {}),
      template,
      parameters: request.parameters,
    },
    { abortSignal: signal },
  );
  if (!result.ok) {
    // ARM cannot what-if into a resource group that an earlier deployment of the same build creates: everything
    // this deployment holds would be created, and the offline expansion says exactly what that is.
    if (result.error.code === "ResourceGroupNotFound" && unit.resourceGroup !== undefined) {
      return {
        kind: "whatif",
        summary: creationsOf(request, template, `resource group ${unit.resourceGroup} does not exist yet`),
      };
    }
    return { kind: "failed", error: toErrorInfo(result.error) };
  }
  const summary: WhatIfSummary = {
    create: 0,
    modify: 0,
    delete: 0,
    noChange: 0,
    ignore: 0,
    changes: [],
    resources: plannedChanges(result.value),
  };
  for (const change of result.value) {
    const type = change.changeType.toLowerCase();
    if (type === "create") summary.create++;
    else if (type === "modify" || type === "deploy") summary.modify++;
    else if (type === "delete") summary.delete++;
    else if (type === "nochange") summary.noChange++;
    else summary.ignore++;
    if (type !== "nochange" && type !== "ignore") summary.changes.push(`${change.changeType}: ${change.resourceId}`);
  }
  const existing = await deployments.status(adapterRef(unit), { abortSignal: signal });
  const outputs = existing.ok && existing.value.state === "succeeded" ? { outputs: existing.value.outputs } : {};
  return { kind: "whatif", summary, ...outputs };
}

/** Everything the deployment holds, as creations, from the offline expansion (outputs not known yet stay deferred). */
function creationsOf(request: DeploymentRequest, template: unknown, why: string): WhatIfSummary {
  const { unit } = request;
  const parameters = Object.fromEntries(
    Object.entries(request.parameters).map(([k, v]) => [
      k,
      isMissingOutput(v) ? new DeferredValue(v.$deferred, "not deployed yet") : v,
    ]),
  );
  const { resources } = expandTemplate(template, {
    parameters,
    scope: {
      kind: unit.scope,
      subscriptionId: request.subscriptionId,
      tenantId: PLAN_TENANT_ID,
      ...(unit.resourceGroup !== undefined ? { resourceGroup: unit.resourceGroup } : {}),
      location: request.location,
      deploymentName: unit.name,
    },
    templateName: unit.template,
  });
  return {
    create: resources.length,
    modify: 0,
    delete: 0,
    noChange: 0,
    ignore: 0,
    changes: [`(${why}: everything below is created)`, ...resources.map((r) => `Create: ${r.id}`)],
    resources: resources.map((r) => ({ resourceId: r.id, action: "create" })),
  };
}

registerActivity(Activities.whatIfDeployment, deploymentRequestSchema, (input, signal) =>
  whatIfDeployment(input, signal),
);
