import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { activitySignal } from "../../lib/activity-signal";
import { Activities } from "../../lib/function-names";
import type { WhatIfSummary } from "../../lib/plan/progress";
import type { DeploymentRequest, WhatIfResult } from "./contracts";
import { adapterRef, deploymentsFor, toErrorInfo } from "./shared/arm";
import { readTemplate } from "./shared/templates";

/** ARM what-if for one deployment: what it would create, modify or delete. Nothing changes. */
export async function whatIfDeployment(request: DeploymentRequest, signal: AbortSignal): Promise<WhatIfResult> {
  const { unit } = request;
  const template = await readTemplate(unit.template);
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
  if (!result.ok) return { kind: "failed", error: toErrorInfo(result.error) };
  const summary: WhatIfSummary = { create: 0, modify: 0, delete: 0, noChange: 0, ignore: 0, changes: [] };
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

df.app.activity(Activities.whatIfDeployment, {
  handler: (input: DeploymentRequest, context: InvocationContext) => whatIfDeployment(input, activitySignal(context)),
});
