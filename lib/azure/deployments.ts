import { DeploymentsClient } from "@azure/arm-resourcesdeployments";
import type { ArmConnection } from "./connection";
import {
  armCall,
  MALFORMED_RESPONSE,
  toErrorDetails,
  TransientArmError,
  type ArmErrorDetail,
  type ArmResult,
} from "./errors";

/**
 * Template deployments through the real `@azure/arm-resourcesdeployments` client. Deployments are started
 * (not awaited) under a deterministic name and polled with `status`, so an orchestration can wait with
 * durable timers instead of sleeping in an activity.
 */

export type DeploymentRef =
  { name: string; scope: "subscription" } | { name: string; scope: "resourceGroup"; resourceGroup: string };

export type DeploymentInput = DeploymentRef & {
  /** Deployment location; required at subscription scope (ARM stores the deployment there). */
  location?: string;
  template: unknown;
  /** Plain parameter values; wrapped as `{ value }` for ARM. */
  parameters: Record<string, unknown>;
  mode?: "Incremental" | "Complete";
  /** Deployment tags (e.g. a digest of the inputs, to recognise a deployment that needs no re-run). */
  tags?: Record<string, string>;
};

export interface CallOptions {
  abortSignal?: AbortSignal;
}

export interface DeploymentAccepted {
  name: string;
  provisioningState: string;
  correlationId?: string;
  /** Server's suggested wait before the first status check (seconds). */
  retryAfterSeconds?: number;
}

export type DeploymentState = "running" | "succeeded" | "failed" | "canceled";

export interface DeploymentStatus {
  name: string;
  state: DeploymentState;
  provisioningState: string;
  correlationId?: string;
  retryAfterSeconds?: number;
  /** Output values (the `{ type, value }` wrapper removed). */
  outputs: Record<string, unknown>;
  error?: ArmErrorDetail;
  duration?: string;
  tags?: Record<string, string>;
}

export interface DeploymentOperationInfo {
  operationId: string;
  provisioningState: string;
  resourceType?: string;
  resourceName?: string;
  targetId?: string;
  statusCode?: string;
  error?: ArmErrorDetail;
}

export interface WhatIfPropertyChangeInfo {
  path: string;
  propertyChangeType: string;
  before?: unknown;
  after?: unknown;
  /** Element changes of an `Array` change (paths are indexes) or nested changes of a modified element. */
  children?: WhatIfPropertyChangeInfo[];
}

interface SdkPropertyChange {
  path: string;
  propertyChangeType: string;
  before?: unknown;
  after?: unknown;
  children?: SdkPropertyChange[];
}

function propertyChangeInfo(d: SdkPropertyChange): WhatIfPropertyChangeInfo {
  return {
    path: d.path,
    propertyChangeType: d.propertyChangeType,
    before: d.before,
    after: d.after,
    ...(d.children?.length ? { children: d.children.map(propertyChangeInfo) } : {}),
  };
}

export interface WhatIfChangeInfo {
  resourceId: string;
  changeType: string;
  delta: WhatIfPropertyChangeInfo[];
}

function stateOf(provisioningState: string | undefined): DeploymentState {
  switch ((provisioningState ?? "").toLowerCase()) {
    case "succeeded":
      return "succeeded";
    case "failed":
      return "failed";
    case "canceled":
    case "cancelled":
      return "canceled";
    default:
      return "running";
  }
}

function headerRecorder(): {
  options: { onResponse(raw: { headers: { get(name: string): string | undefined } }): void };
  correlationId(): string | undefined;
  retryAfter(): number | undefined;
} {
  let correlation: string | undefined;
  let retry: string | undefined;
  return {
    options: {
      onResponse(raw) {
        correlation = raw.headers.get("x-ms-correlation-request-id") ?? correlation;
        retry = raw.headers.get("retry-after") ?? undefined;
      },
    },
    correlationId: () => correlation,
    retryAfter: () => {
      const n = Number(retry);
      return retry !== undefined && Number.isFinite(n) ? n : undefined;
    },
  };
}

function describe(ref: DeploymentRef): string {
  return ref.scope === "resourceGroup"
    ? `deployment ${ref.name} in resource group ${ref.resourceGroup}`
    : `subscription deployment ${ref.name}`;
}

function wrapParameters(parameters: Record<string, unknown>): Record<string, { value: unknown }> {
  return Object.fromEntries(Object.entries(parameters).map(([k, value]) => [k, { value }]));
}

function deploymentBody(input: DeploymentInput) {
  return {
    ...(input.location !== undefined ? { location: input.location } : {}),
    properties: {
      template: input.template,
      parameters: wrapParameters(input.parameters),
      mode: input.mode ?? "Incremental",
    },
  };
}

function errorDetail(value: unknown): ArmErrorDetail | undefined {
  return toErrorDetails(value === undefined || value === null ? [] : [value])[0];
}

export class DeploymentsAdapter {
  private readonly client: DeploymentsClient;

  constructor(connection: ArmConnection, subscriptionId: string) {
    this.client = connection.client(DeploymentsClient, subscriptionId);
  }

  /** Submits the deployment and returns once ARM accepted it (201/200), without waiting for it to finish. */
  async start(input: DeploymentInput, options: CallOptions = {}): Promise<ArmResult<DeploymentAccepted>> {
    if (input.scope === "subscription" && !input.location) {
      throw new Error(`start ${describe(input)}: a subscription-scope deployment needs a location`);
    }
    const rec = headerRecorder();
    const body = { ...deploymentBody(input), ...(input.tags !== undefined ? { tags: input.tags } : {}) };
    const opts = { abortSignal: options.abortSignal, ...rec.options };
    return armCall("start deployment", describe(input), async () => {
      const poller =
        input.scope === "resourceGroup"
          ? this.client.deployments.createOrUpdate(input.resourceGroup, input.name, body, opts)
          : this.client.deployments.createOrUpdateAtSubscriptionScope(input.name, body, opts);
      // Only the initial PUT: the poller is lazy and never polls unless awaited.
      await poller.submitted();
      const result = poller.operationState?.result;
      const accepted: DeploymentAccepted = {
        name: input.name,
        provisioningState: result?.properties?.provisioningState ?? "Accepted",
      };
      const correlationId = result?.properties?.correlationId ?? rec.correlationId();
      const retryAfter = rec.retryAfter();
      if (correlationId !== undefined) accepted.correlationId = correlationId;
      if (retryAfter !== undefined) accepted.retryAfterSeconds = retryAfter;
      return accepted;
    });
  }

  /**
   * The deployment's state. A status read that cannot be understood (a gateway's HTML page with 200) says nothing
   * about the deployment, which ARM keeps running: it is thrown as transient so the poll is simply asked again,
   * where a malformed answer elsewhere is a failure.
   */
  async status(ref: DeploymentRef, options: CallOptions = {}): Promise<ArmResult<DeploymentStatus>> {
    const result = await this.readStatus(ref, options);
    if (!result.ok && result.error.code === MALFORMED_RESPONSE) {
      const e = result.error;
      throw new TransientArmError(e.operation, e.target, e.code, e.status, e.correlationId, undefined, e.message);
    }
    return result;
  }

  private async readStatus(ref: DeploymentRef, options: CallOptions): Promise<ArmResult<DeploymentStatus>> {
    const rec = headerRecorder();
    const opts = { abortSignal: options.abortSignal, ...rec.options };
    return armCall("get deployment", describe(ref), async () => {
      const d =
        ref.scope === "resourceGroup"
          ? await this.client.deployments.get(ref.resourceGroup, ref.name, opts)
          : await this.client.deployments.getAtSubscriptionScope(ref.name, opts);
      const p = d.properties;
      const outputs = Object.fromEntries(
        Object.entries((p?.outputs ?? {}) as Record<string, { value?: unknown }>).map(([k, v]) => [k, v?.value]),
      );
      const status: DeploymentStatus = {
        name: ref.name,
        state: stateOf(p?.provisioningState),
        provisioningState: p?.provisioningState ?? "Unknown",
        outputs,
      };
      const correlationId = p?.correlationId ?? rec.correlationId();
      if (correlationId !== undefined) status.correlationId = correlationId;
      const retryAfter = rec.retryAfter();
      if (retryAfter !== undefined) status.retryAfterSeconds = retryAfter;
      const error = errorDetail(p?.error);
      if (error) status.error = error;
      if (p?.duration !== undefined) status.duration = p.duration;
      if (d.tags !== undefined) status.tags = d.tags;
      return status;
    });
  }

  /** The per-resource operations of a deployment, with the error details ARM recorded for failed ones. */
  async operations(ref: DeploymentRef, options: CallOptions = {}): Promise<ArmResult<DeploymentOperationInfo[]>> {
    const opts = { abortSignal: options.abortSignal };
    return armCall("list deployment operations", describe(ref), async () => {
      const pages =
        ref.scope === "resourceGroup"
          ? this.client.deploymentOperations.list(ref.resourceGroup, ref.name, opts)
          : this.client.deploymentOperations.listAtSubscriptionScope(ref.name, opts);
      const out: DeploymentOperationInfo[] = [];
      for await (const op of pages) {
        const p = op.properties;
        const info: DeploymentOperationInfo = {
          operationId: op.operationId ?? "",
          provisioningState: p?.provisioningState ?? "Unknown",
        };
        if (p?.targetResource?.resourceType !== undefined) info.resourceType = p.targetResource.resourceType;
        if (p?.targetResource?.resourceName !== undefined) info.resourceName = p.targetResource.resourceName;
        if (p?.targetResource?.id !== undefined) info.targetId = p.targetResource.id;
        if (p?.statusCode !== undefined) info.statusCode = p.statusCode;
        const error = errorDetail(p?.statusMessage?.error);
        if (error) info.error = error;
        out.push(info);
      }
      return out;
    });
  }

  /** What-if (waits for the LRO; ARM answers within seconds). */
  async whatIf(
    input: DeploymentInput,
    options: CallOptions & { updateIntervalInMs?: number } = {},
  ): Promise<ArmResult<WhatIfChangeInfo[]>> {
    const body = deploymentBody(input);
    const opts = {
      abortSignal: options.abortSignal,
      ...(options.updateIntervalInMs !== undefined ? { updateIntervalInMs: options.updateIntervalInMs } : {}),
    };
    return armCall("what-if", describe(input), async () => {
      const result =
        input.scope === "resourceGroup"
          ? await this.client.deployments.whatIf(input.resourceGroup, input.name, body, opts)
          : await this.client.deployments.whatIfAtSubscriptionScope(input.name, body, opts);
      return (result.changes ?? []).map((c) => ({
        resourceId: c.resourceId ?? "",
        changeType: c.changeType,
        delta: (c.delta ?? []).map(propertyChangeInfo),
      }));
    });
  }

  /** Validate: template errors come back as a `badRequest` failure naming ARM's code and message. */
  async validate(
    input: DeploymentInput,
    options: CallOptions = {},
  ): Promise<ArmResult<{ validatedResources: string[] }>> {
    const body = deploymentBody(input);
    // ARM answers an invalid template with 400 + {error}; core-lro turns that into a bare Error, so keep the body.
    let rejected: unknown;
    const opts = {
      abortSignal: options.abortSignal,
      onResponse(raw: { status: number; parsedBody?: unknown }) {
        if (raw.status === 400) rejected = raw.parsedBody;
      },
    };
    const result = await armCall("validate deployment", describe(input), async () =>
      input.scope === "resourceGroup"
        ? await this.client.deployments.validate(input.resourceGroup, input.name, body, opts)
        : await this.client.deployments.validateAtSubscriptionScope(input.name, body, opts),
    );
    const error = errorDetail(result.ok ? result.value.error : (rejected as { error?: unknown } | undefined)?.error);
    if (error) {
      return {
        ok: false,
        error: {
          kind: "badRequest",
          operation: "validate deployment",
          target: describe(input),
          status: 400,
          code: error.code,
          message: error.message,
          details: error.details ?? [],
        },
      };
    }
    if (!result.ok) return result;
    return {
      ok: true,
      value: { validatedResources: (result.value.properties?.validatedResources ?? []).map((r) => r.id ?? "") },
    };
  }

  /** Cancels a running deployment; one that already finished comes back as a `conflict` failure. */
  async cancel(ref: DeploymentRef, options: CallOptions = {}): Promise<ArmResult<void>> {
    const opts = { abortSignal: options.abortSignal };
    return armCall("cancel deployment", describe(ref), () =>
      ref.scope === "resourceGroup"
        ? this.client.deployments.cancel(ref.resourceGroup, ref.name, opts)
        : this.client.deployments.cancelAtSubscriptionScope(ref.name, opts),
    );
  }
}
