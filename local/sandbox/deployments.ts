import { randomUUID } from "node:crypto";
import { z } from "zod";
import {
  ArmTemplateError,
  expandTemplate,
  formatDateTime,
  type ArmRuntime,
  type DeploymentScope,
  type ExpandedResource,
} from "../../lib/arm";
import { latencySecondsForType, resourceFinishTimes } from "../../lib/plan/latency";
import { ArmHttpError, isoDuration, type ArmErrorBody } from "./http";
import { key, parseResourceId } from "./ids";
import { commitResource, listResource, referenceResource } from "./resources";
import { nextId, type DeploymentStep, type ResourceRequest, type SandboxContext, type StoredDeployment } from "./state";
import type { SandboxCaller } from "./events";
import { whatIfChanges } from "./whatif";

/**
 * Template deployments: validated and expanded with lib/arm at submission, then run on the simulated clock.
 * Each resource starts when its dependsOn finished and takes its type's latency; writes to one cluster,
 * identity or VNet never overlap (409 AnotherOperationInProgress, as ARM/AKS reject them); once every
 * resource exists the template is expanded again with reference()/list*() resolved against the simulated
 * state, which gives the stored resources and the outputs their real values.
 */

export const DEPLOYMENT_TYPE = "Microsoft.Resources/deployments";

/** Top-level types whose writes ARM serializes: a second concurrent write to one of them is rejected. */
const EXCLUSIVE_TYPES = new Set([
  "microsoft.containerservice/managedclusters",
  "microsoft.managedidentity/userassignedidentities",
  "microsoft.network/virtualnetworks",
]);
/**
 * Per-cluster serialization of the KubernetesConfiguration resources: cluster extensions write into the cluster
 * (one extension operation at a time, and not during a write to the cluster itself or its children, an agent pool
 * among them: azure-notes "two extensions on one cluster" and "one operation at a time per cluster and per agent
 * pool"; an extension install writes the cluster's `managedclusters/extensionaddons` through the AKS provider and
 * fails with Conflict beside another one, github.com/Azure/AKS-Construction/pull/390; AKS answers a second operation
 * with OperationNotAllowed, learn.microsoft.com/troubleshoot/azure/azure-kubernetes/create-upgrade-delete/
 * operationnotallowed), so they take the cluster's own lock. A Flux configuration is applied by the
 * already-installed Flux extension, not by an extension operation: configurations serialize among themselves only
 * (an estimate: no public statement either way), so one may install beside another extension.
 */
const CLUSTER_LOCKING_EXTENSION_TYPES = new Set(["microsoft.kubernetesconfiguration/extensions"]);
const SEPARATELY_LOCKED_EXTENSION_TYPES = new Set(["microsoft.kubernetesconfiguration/fluxconfigurations"]);

export function lockKeyFor(id: string): string | undefined {
  const parsed = parseResourceId(id);
  if (!parsed?.type || !parsed.topLevelId) return undefined;
  if (parsed.extendedScope !== undefined) {
    const type = parsed.type.split("/").slice(0, 2).join("/").toLowerCase();
    const scopeLock = lockKeyFor(parsed.extendedScope);
    if (scopeLock === undefined) return undefined;
    if (CLUSTER_LOCKING_EXTENSION_TYPES.has(type)) return scopeLock;
    return SEPARATELY_LOCKED_EXTENSION_TYPES.has(type) ? `${scopeLock}|${type}` : undefined;
  }
  const topType = parsed.type.split("/").slice(0, 2).join("/").toLowerCase();
  return EXCLUSIVE_TYPES.has(topType) ? key(parsed.topLevelId) : undefined;
}

const parameterValueSchema = z.union([
  z.object({ value: z.unknown() }).strict(),
  z.object({ reference: z.unknown() }).strict(),
]);

export const deploymentBodySchema = z.object({
  location: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  properties: z.object({
    template: z.record(z.string(), z.unknown()).optional(),
    templateLink: z.unknown().optional(),
    parameters: z.record(z.string(), parameterValueSchema).optional(),
    mode: z.enum(["Incremental", "Complete"]).default("Incremental"),
  }),
});

export type DeploymentBody = z.output<typeof deploymentBodySchema>;

export interface DeploymentTarget {
  kind: "subscription" | "resourceGroup";
  resourceGroup?: string;
  name: string;
}

export function deploymentId(ctx: SandboxContext, t: DeploymentTarget): string {
  const base = `/subscriptions/${ctx.settings.subscriptionId}`;
  return t.kind === "resourceGroup"
    ? `${base}/resourceGroups/${t.resourceGroup ?? ""}/providers/${DEPLOYMENT_TYPE}/${t.name}`
    : `${base}/providers/${DEPLOYMENT_TYPE}/${t.name}`;
}

function invalid(message: string, code = "InvalidTemplate"): ArmHttpError {
  return new ArmHttpError(400, code, message);
}

/** Parses and checks a deployment request body the way ARM does before accepting it. */
export function parseDeploymentBody(body: unknown): DeploymentBody {
  const parsed = deploymentBodySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArmHttpError(
      400,
      "InvalidRequestContent",
      `The request content was invalid at '${issue?.path.join(".") ?? ""}': ${issue?.message ?? "invalid"}.`,
    );
  }
  const { properties } = parsed.data;
  if (properties.templateLink !== undefined)
    throw invalid(
      "The sandbox needs the template inline (properties.template); templateLink is not fetched.",
      "SandboxUnsupported",
    );
  if (!properties.template) throw invalid("The deployment has no properties.template.", "InvalidRequestContent");
  for (const [name, p] of Object.entries(properties.parameters ?? {})) {
    if ("reference" in p)
      throw invalid(
        `Parameter '${name}' is a Key Vault reference; the sandbox only accepts values.`,
        "SandboxUnsupported",
      );
  }
  const t = properties.template;
  if (JSON.stringify(t).length > 4 * 1024 * 1024)
    throw invalid("The template exceeds the 4 MB limit.", "RequestContentTooLarge");
  const count = (v: unknown) => (Array.isArray(v) ? v.length : v && typeof v === "object" ? Object.keys(v).length : 0);
  if (count(t.resources) > 800) throw invalid(`The template has ${count(t.resources)} resources; the limit is 800.`);
  if (count(t.parameters) > 256) throw invalid(`The template has ${count(t.parameters)} parameters; the limit is 256.`);
  if (count(t.outputs) > 64) throw invalid(`The template has ${count(t.outputs)} outputs; the limit is 64.`);
  return parsed.data;
}

function plainParameters(body: DeploymentBody): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(body.properties.parameters ?? {}).map(([k, v]) => [k, "value" in v ? v.value : undefined]),
  );
}

function scopeFor(ctx: SandboxContext, t: DeploymentTarget, location: string): DeploymentScope {
  return {
    kind: t.kind,
    subscriptionId: ctx.settings.subscriptionId,
    tenantId: ctx.settings.tenantId,
    ...(t.resourceGroup !== undefined ? { resourceGroup: t.resourceGroup } : {}),
    location,
    deploymentName: t.name,
  };
}

function targetLocation(ctx: SandboxContext, t: DeploymentTarget, body: { location?: string | undefined }): string {
  if (t.kind === "resourceGroup") {
    const rg = ctx.data.resourceGroups[key(t.resourceGroup ?? "")];
    if (!rg || rg.provisioningState === "Deleting") {
      throw new ArmHttpError(
        404,
        "ResourceGroupNotFound",
        `Resource group '${t.resourceGroup ?? ""}' could not be found.`,
      );
    }
    return rg.location;
  }
  if (!body.location)
    throw new ArmHttpError(400, "InvalidDeploymentLocation", "A subscription-scope deployment needs a location.");
  return body.location;
}

/** Runtime hooks that resolve reference()/list*() against the simulated state. */
function stateRuntime(ctx: SandboxContext): ArmRuntime {
  return {
    reference: (id, _apiVersion, full) => referenceResource(ctx, id, full),
    list: (id, _apiVersion, fn) => listResource(ctx, id, fn),
    newGuid: () => randomUUID(),
    utcNow: (format) => formatDateTime(ctx.clock.now(), format),
  };
}

/** Runs lib/arm; template errors become ARM's 400 InvalidTemplate. */
function expand(
  ctx: SandboxContext,
  t: DeploymentTarget,
  location: string,
  template: unknown,
  parameters: Record<string, unknown>,
  runtime?: ArmRuntime,
) {
  try {
    return expandTemplate(template, {
      parameters,
      scope: scopeFor(ctx, t, location),
      templateName: t.name,
      ...(runtime ? { runtime } : {}),
    });
  } catch (err) {
    if (err instanceof ArmTemplateError) throw invalid(`Deployment template validation failed: ${err.message}`);
    throw err;
  }
}

function requestOf(r: ExpandedResource): ResourceRequest {
  // JSON round trip turns DeferredValue markers into {"$deferred": expression}.
  const json = (v: unknown) => (v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as unknown));
  const req: ResourceRequest = { properties: json(r.properties) ?? {} };
  for (const f of ["location", "sku", "kind", "identity", "zones", "tags"] as const) {
    const v = json(r[f]);
    if (v !== undefined) req[f] = v;
  }
  return req;
}

function expandResources(
  ctx: SandboxContext,
  t: DeploymentTarget,
  location: string,
  body: DeploymentBody,
): ExpandedResource[] {
  const expanded = expand(ctx, t, location, body.properties.template, plainParameters(body));
  const nested = expanded.resources.find((r) => r.type.toLowerCase() === DEPLOYMENT_TYPE.toLowerCase());
  if (nested)
    throw invalid(
      `Resource '${nested.id}': the sandbox does not run nested deployments; deploy each template on its own.`,
      "SandboxUnsupported",
    );
  return expanded.resources;
}

/** PUT deployment: validates, schedules every resource and returns the stored deployment. */
export function submitDeployment(
  ctx: SandboxContext,
  t: DeploymentTarget,
  rawBody: unknown,
  correlationId: string,
  caller?: SandboxCaller,
): StoredDeployment {
  const id = deploymentId(ctx, t);
  const previous = ctx.data.deployments[key(id)];
  if (previous && (previous.provisioningState === "Accepted" || previous.provisioningState === "Running")) {
    throw new ArmHttpError(
      409,
      "DeploymentActive",
      `The deployment '${t.name}' cannot be saved, because this would overwrite an existing deployment which is still active.`,
    );
  }
  const body = parseDeploymentBody(rawBody);
  const location = targetLocation(ctx, t, body);
  const resources = expandResources(ctx, t, location, body);
  const now = ctx.clock.now();
  const times = resourceFinishTimes(
    resources.map((r) => ({
      type: r.type,
      id: r.id,
      dependsOn: r.dependsOn,
      seconds:
        latencySecondsForType(r.type, ctx.settings.latencyOverrides) *
        (ctx.faults.takeResourceFault("slow", r.type, r.id)?.factor ?? 1),
    })),
  );
  const steps: DeploymentStep[] = resources.map((r, i) => {
    const fault = ctx.faults.takeResourceFault("failResource", r.type, r.id);
    const step: DeploymentStep = {
      operationId: nextId(ctx, "op").toUpperCase(),
      id: r.id,
      type: r.type,
      name: r.name,
      apiVersion: r.apiVersion,
      ...(r.resourceGroup !== undefined ? { resourceGroup: r.resourceGroup } : {}),
      dependsOn: r.dependsOn,
      start: now + times[i]!.start * 1000,
      finish: now + times[i]!.finish * 1000,
      state: "Pending",
      request: requestOf(r),
    };
    const lockKey = lockKeyFor(r.id);
    if (lockKey !== undefined) step.lockKey = lockKey;
    if (fault)
      step.injectedFailure = {
        code: fault.code,
        message: fault.message ?? `Injected failure of ${r.type} '${r.name}'.`,
      };
    return step;
  });
  const deployment: StoredDeployment = {
    id,
    name: t.name,
    scope: { kind: t.kind, ...(t.resourceGroup !== undefined ? { resourceGroup: t.resourceGroup } : {}) },
    ...(t.kind === "subscription" ? { location } : {}),
    template: body.properties.template,
    parameters: plainParameters(body),
    mode: body.properties.mode,
    ...(body.tags !== undefined ? { tags: body.tags } : {}),
    provisioningState: steps.length ? "Accepted" : "Running",
    correlationId,
    startedAt: now,
    steps,
    asyncOperationId: nextId(ctx, "dop"),
    ...(caller !== undefined ? { caller } : {}),
  };
  ctx.data.deployments[key(id)] = deployment;
  if (!steps.length) finalize(ctx, deployment, now);
  return deployment;
}

/** POST validate: the same checks as a PUT, without running anything. */
export function validateDeployment(ctx: SandboxContext, t: DeploymentTarget, rawBody: unknown): unknown {
  const body = parseDeploymentBody(rawBody);
  const location = targetLocation(ctx, t, body);
  const resources = expandResources(ctx, t, location, body);
  return {
    id: deploymentId(ctx, t),
    name: t.name,
    type: DEPLOYMENT_TYPE,
    properties: {
      provisioningState: "Succeeded",
      mode: body.properties.mode,
      parameters: body.properties.parameters ?? {},
      validatedResources: resources.map((r) => ({ id: r.id })),
      timestamp: new Date(ctx.clock.now()).toISOString(),
    },
  };
}

/** POST whatIf: changes per resource, comparing expanded properties with the stored ones. */
export function whatIfDeployment(ctx: SandboxContext, t: DeploymentTarget, rawBody: unknown): unknown {
  const body = parseDeploymentBody(rawBody);
  const location = targetLocation(ctx, t, body);
  expandResources(ctx, t, location, body);
  let resources: ExpandedResource[];
  try {
    resources = expand(ctx, t, location, body.properties.template, plainParameters(body), stateRuntime(ctx)).resources;
  } catch (err) {
    // reference() to something this deployment would create: fall back to the unresolved expansion.
    if (!(err instanceof ArmHttpError) || err.status !== 404) throw err;
    resources = expand(ctx, t, location, body.properties.template, plainParameters(body)).resources;
  }
  const scopePrefix =
    t.kind === "resourceGroup"
      ? key(`/subscriptions/${ctx.settings.subscriptionId}/resourceGroups/${t.resourceGroup ?? ""}`) + "/"
      : undefined;
  return {
    status: "Succeeded",
    properties: {
      changes: whatIfChanges(
        ctx,
        resources.map((r) => ({ id: r.id, type: r.type, apiVersion: r.apiVersion, request: requestOf(r) })),
        body.properties.mode,
        scopePrefix,
      ),
    },
  };
}

export function cancelDeployment(ctx: SandboxContext, t: DeploymentTarget): void {
  const d = getStoredDeployment(ctx, t);
  if (d.provisioningState !== "Accepted" && d.provisioningState !== "Running") {
    throw new ArmHttpError(
      409,
      "DeploymentCannotBeCancelled",
      `The deployment '${t.name}' is ${d.provisioningState} and cannot be cancelled.`,
    );
  }
  // Resources already being provisioned finish at their provider; the rest never start.
  for (const s of d.steps) if (s.state === "Pending") s.state = "Canceled";
  d.provisioningState = "Canceled";
  d.finishedAt = ctx.clock.now();
}

export function getStoredDeployment(ctx: SandboxContext, t: DeploymentTarget): StoredDeployment {
  const d = ctx.data.deployments[key(deploymentId(ctx, t))];
  if (!d) throw new ArmHttpError(404, "DeploymentNotFound", `Deployment '${t.name}' could not be found.`);
  return d;
}

export function deleteDeployment(ctx: SandboxContext, t: DeploymentTarget): void {
  const d = getStoredDeployment(ctx, t);
  if (d.provisioningState === "Accepted" || d.provisioningState === "Running") {
    throw new ArmHttpError(
      409,
      "DeploymentActive",
      `The deployment '${t.name}' is still active and cannot be deleted.`,
    );
  }
  delete ctx.data.deployments[key(d.id)];
}

// ---- progress on the simulated clock -------------------------------------------------------------

/** Something due at a simulated instant. */
export interface SimEvent {
  at: number;
  /** Finishes sort before starts at the same instant (a lock is released before the next write). */
  order: number;
  run(): void;
}

export function nextDeploymentEvent(ctx: SandboxContext): SimEvent | undefined {
  let best: SimEvent | undefined;
  for (const d of Object.values(ctx.data.deployments)) {
    for (const s of d.steps) {
      const ev =
        s.state === "Running"
          ? { at: s.finish, order: 0, run: () => finishStep(ctx, d, s, s.finish) }
          : s.state === "Pending"
            ? { at: s.start, order: 1, run: () => startStep(ctx, d, s, s.start) }
            : undefined;
      if (ev && (!best || ev.at < best.at || (ev.at === best.at && ev.order < best.order))) best = ev;
    }
  }
  return best;
}

function stepError(s: DeploymentStep, status: string, error: ArmErrorBody): void {
  s.state = "Failed";
  s.statusCode = status;
  s.error = error;
}

/** Who currently writes to the thing `lockKey` names (a running deployment step or a delete), if anyone. */
export function lockHolder(ctx: SandboxContext, lockKey: string, self?: DeploymentStep): string | undefined {
  for (const d of Object.values(ctx.data.deployments)) {
    for (const s of d.steps)
      if (s !== self && s.state === "Running" && s.lockKey === lockKey)
        return `deployment '${d.name}' (${s.type} '${s.name}')`;
  }
  for (const op of Object.values(ctx.data.ops)) {
    if (op.status === "InProgress" && op.lockKey === lockKey) return `a ${op.kind} operation on '${op.target}'`;
  }
  return undefined;
}

function startStep(ctx: SandboxContext, d: StoredDeployment, s: DeploymentStep, at: number): void {
  const byId = new Map(d.steps.map((x) => [key(x.id), x]));
  const failedDep = s.dependsOn.map((id) => byId.get(key(id))).find((dep) => dep && dep.state !== "Succeeded");
  if (failedDep) {
    s.state = "Skipped";
    afterStep(ctx, d, at);
    return;
  }
  if (d.provisioningState === "Accepted") d.provisioningState = "Running";
  const holder = s.lockKey !== undefined ? lockHolder(ctx, s.lockKey, s) : undefined;
  const rg = s.resourceGroup ?? d.scope.resourceGroup;
  const istio =
    s.type.toLowerCase() === "microsoft.containerservice/managedclusters"
      ? unsupportedIstioRevision(ctx, s)
      : undefined;
  if (holder !== undefined) {
    ctx.counters.conflicts += 1;
    stepError(s, "Conflict", {
      code: "AnotherOperationInProgress",
      message: `Another operation (${holder}) is in progress on the resource this write to '${s.id}' targets. Please retry later.`,
    });
  } else if (
    rg !== undefined &&
    s.type.toLowerCase() !== "microsoft.resources/resourcegroups" &&
    ctx.data.resourceGroups[key(rg)]?.provisioningState !== "Succeeded"
  ) {
    stepError(s, "NotFound", { code: "ResourceGroupNotFound", message: `Resource group '${rg}' could not be found.` });
  } else if (istio !== undefined) {
    stepError(s, "BadRequest", {
      code: "IstioRevisionNotSupported",
      message: `Istio revision '${istio}' is not supported in this region; see meshRevisionProfiles.`,
    });
  } else {
    s.state = "Running";
    return;
  }
  afterStep(ctx, d, at);
}

function unsupportedIstioRevision(ctx: SandboxContext, s: DeploymentStep): string | undefined {
  const mesh = (s.request.properties as { serviceMeshProfile?: { istio?: { revisions?: unknown } } })
    .serviceMeshProfile;
  const revisions = mesh?.istio?.revisions;
  if (!Array.isArray(revisions)) return undefined;
  const known = new Set(ctx.settings.meshRevisions.map((r) => r.revision));
  return revisions.find((r): r is string => typeof r === "string" && !known.has(r));
}

function finishStep(ctx: SandboxContext, d: StoredDeployment, s: DeploymentStep, at: number): void {
  if (s.injectedFailure) {
    stepError(s, "BadRequest", s.injectedFailure);
  } else {
    const changed = commitResource(ctx, s, d.id);
    if (changed) ctx.counters.markModified(s.id);
    if (s.type.toLowerCase() !== "microsoft.resources/resourcegroups")
      ctx.events.emit("write", s.id, {
        caller: d.caller ?? ctx.appCaller,
        correlationId: d.correlationId,
        method: "PUT",
        at,
      });
    s.state = "Succeeded";
    s.statusCode = "OK";
  }
  afterStep(ctx, d, at);
}

function afterStep(ctx: SandboxContext, d: StoredDeployment, at: number): void {
  if (
    d.steps.every((s) => s.state !== "Pending" && s.state !== "Running") &&
    (d.provisioningState === "Accepted" || d.provisioningState === "Running")
  ) {
    finalize(ctx, d, at);
  }
}

function finalize(ctx: SandboxContext, d: StoredDeployment, at: number): void {
  d.finishedAt = at;
  const failed = d.steps.filter((s) => s.state === "Failed");
  if (failed.length) {
    d.provisioningState = "Failed";
    d.error = {
      code: "DeploymentFailed",
      message: "At least one resource deployment operation failed. Please list deployment operations for details.",
      details: failed.map((s) => ({ ...s.error!, target: s.id })),
    };
    return;
  }
  const t: DeploymentTarget = {
    kind: d.scope.kind,
    name: d.name,
    ...(d.scope.resourceGroup !== undefined ? { resourceGroup: d.scope.resourceGroup } : {}),
  };
  try {
    const location = d.location ?? ctx.data.resourceGroups[key(d.scope.resourceGroup ?? "")]?.location ?? "";
    const expanded = expand(ctx, t, location, d.template, d.parameters, stateRuntime(ctx));
    for (const r of expanded.resources) {
      const stored = ctx.data.resources[key(r.id)];
      if (stored) stored.request = requestOf(r);
    }
    d.outputs = JSON.parse(JSON.stringify(expanded.outputs)) as Record<string, { type: string; value: unknown }>;
    d.provisioningState = "Succeeded";
  } catch (err) {
    d.provisioningState = "Failed";
    d.error =
      err instanceof ArmHttpError
        ? { code: err.code, message: err.message }
        : { code: "DeploymentFailed", message: err instanceof Error ? err.message : String(err) };
  }
}

// ---- views ---------------------------------------------------------------------------------------

export function deploymentView(ctx: SandboxContext, d: StoredDeployment): unknown {
  const end = d.finishedAt ?? ctx.clock.now();
  return {
    id: d.id,
    name: d.name,
    type: DEPLOYMENT_TYPE,
    ...(d.location !== undefined ? { location: d.location } : {}),
    ...(d.tags !== undefined ? { tags: d.tags } : {}),
    properties: {
      provisioningState: d.provisioningState,
      correlationId: d.correlationId,
      timestamp: new Date(d.finishedAt ?? d.startedAt).toISOString(),
      duration: isoDuration(end - d.startedAt),
      mode: d.mode,
      parameters: Object.fromEntries(Object.entries(d.parameters).map(([k, v]) => [k, { value: v }])),
      ...(d.outputs ? { outputs: d.outputs } : {}),
      outputResources: d.steps.filter((s) => s.state === "Succeeded").map((s) => ({ id: s.id })),
      dependencies: d.steps
        .filter((s) => s.dependsOn.length)
        .map((s) => ({
          id: s.id,
          resourceType: s.type,
          resourceName: s.name,
          dependsOn: s.dependsOn.map((id) => ({ id })),
        })),
      ...(d.error ? { error: d.error } : {}),
    },
  };
}

export function deploymentOperationsView(ctx: SandboxContext, d: StoredDeployment): unknown[] {
  const now = ctx.clock.now();
  return d.steps
    .filter((s) => s.state !== "Pending" && s.state !== "Canceled")
    .map((s) => ({
      id: `${d.id}/operations/${s.operationId}`,
      operationId: s.operationId,
      properties: {
        provisioningOperation: "Create",
        provisioningState: s.state === "Skipped" ? "Failed" : s.state,
        timestamp: new Date(s.state === "Running" ? s.start : Math.min(s.finish, now)).toISOString(),
        duration: isoDuration((s.state === "Running" ? now : s.finish) - s.start),
        serviceRequestId: s.operationId.toLowerCase(),
        ...(s.statusCode !== undefined ? { statusCode: s.statusCode } : {}),
        ...(s.error ? { statusMessage: { status: "Failed", error: s.error } } : {}),
        ...(s.state === "Skipped"
          ? {
              statusMessage: {
                status: "Failed",
                error: { code: "DependencyFailed", message: "A resource this one depends on failed." },
              },
            }
          : {}),
        targetResource: { id: s.id, resourceType: s.type, resourceName: s.name, apiVersion: s.apiVersion },
      },
    }));
}

export function asyncStatusOf(d: StoredDeployment): { status: string; error?: ArmErrorBody } {
  const status = d.provisioningState === "Accepted" ? "Running" : d.provisioningState;
  return d.error && status === "Failed" ? { status, error: d.error } : { status };
}
