import { TransientArmError } from "../../../lib/azure";
import { Activities } from "../../../lib/function-names";
import { deploymentRequestSchema, type DeploymentRequest, type StartDeploymentResult } from "../contracts";
import { registerActivity } from "../../shared/boundary";
import { adapterRef, deploymentsFor, toErrorInfo } from "../../shared/arm";
import { INPUT_DIGEST_TAG, inputDigest, readTemplate } from "../../shared/templates";

/**
 * Starts one ARM deployment under its deterministic name, unless a deployment of that name with the same template
 * and parameters already succeeded (a re-run redoes nothing) or is still running (a resumed build polls it).
 */
export async function startDeployment(request: DeploymentRequest, signal: AbortSignal): Promise<StartDeploymentResult> {
  const { unit } = request;
  const template = await readTemplate(unit.template);
  const digest = inputDigest(template, request.parameters);
  const deployments = deploymentsFor(request.subscriptionId);
  const ref = adapterRef(unit);

  const existing = await deployments.status(ref, { abortSignal: signal });
  if (existing.ok && existing.value.tags?.[INPUT_DIGEST_TAG] === digest && !request.redeploy) {
    const correlation =
      existing.value.correlationId !== undefined ? { correlationId: existing.value.correlationId } : {};
    if (existing.value.state === "succeeded")
      return { kind: "reused", outputs: existing.value.outputs, ...correlation };
    if (existing.value.state === "running")
      return { kind: "accepted", retryAfterSeconds: existing.value.retryAfterSeconds ?? 10, ...correlation };
  } else if (existing.ok && request.redeploy && existing.value.state === "running") {
    // A deployment of this unit is still running (a build): poll it rather than overwrite it.
    const correlation =
      existing.value.correlationId !== undefined ? { correlationId: existing.value.correlationId } : {};
    return { kind: "accepted", retryAfterSeconds: existing.value.retryAfterSeconds ?? 10, ...correlation };
  } else if (!existing.ok && existing.error.kind !== "notFound") {
    return { kind: "failed", error: toErrorInfo(existing.error) };
  }

  const started = await deployments.start(
    {
      ...ref,
      ...(unit.scope === "subscription" ? { location: request.location } : {}),
      template,
      parameters: request.parameters,
      tags: { [INPUT_DIGEST_TAG]: digest },
    },
    { abortSignal: signal },
  );
  if (!started.ok) {
    // Another write to the same resource (or an older run's deployment of this name) is still in progress:
    // wait and try again, as ARM expects, rather than failing the build.
    if (started.error.kind === "conflict") {
      throw new TransientArmError(
        "start deployment",
        unit.name,
        started.error.code,
        started.error.status,
        started.error.correlationId,
        undefined,
        started.error,
      );
    }
    return { kind: "failed", error: toErrorInfo(started.error) };
  }
  return {
    kind: "accepted",
    retryAfterSeconds: started.value.retryAfterSeconds ?? 10,
    ...(started.value.correlationId !== undefined ? { correlationId: started.value.correlationId } : {}),
  };
}

registerActivity(Activities.startDeployment, deploymentRequestSchema, (input, signal) =>
  startDeployment(input, signal),
);
