import { createRestError, type Client } from "@azure-rest/core-client";
import { z } from "zod";
import {
  ArmContractError,
  armCall,
  DATA_PROTECTION_API_VERSION,
  type ArmConnection,
  type ArmErrorDetail,
  type ArmResult,
  type CallOptions,
  type DataProtectionVault,
} from "../azure";
import { DataProtectionClient, operationStatusSchema, type BackupJobInfo } from "../azure/dataProtection";
import { toErrorDetails } from "../azure/errors";

/**
 * The Data Protection calls lib/azure/dataProtection.ts does not make: one backup instance with its policy and
 * data source (for the retention check and the restore request), the policy's retention, and a restore started
 * step by step (start → operation status → job, the job read through DataProtectionClient) so an orchestration can
 * poll it with durable timers instead of sleeping inside an activity. Built like DataProtectionClient, on the
 * same connection.
 */

const backupInstanceSchema = z.object({
  id: z.string(),
  name: z.string(),
  properties: z
    .object({
      policyInfo: z.object({ policyId: z.string() }).loose().optional(),
      dataSourceInfo: z.record(z.string(), z.unknown()).optional(),
      dataSourceSetInfo: z.record(z.string(), z.unknown()).optional(),
    })
    .loose()
    .default({}),
});

const policySchema = z.object({
  properties: z
    .object({
      policyRules: z
        .array(
          z
            .object({
              objectType: z.string().optional(),
              isDefault: z.boolean().optional(),
              lifecycles: z
                .array(z.object({ deleteAfter: z.object({ duration: z.string() }).loose().optional() }).loose())
                .optional(),
            })
            .loose(),
        )
        .default([]),
    })
    .loose(),
});

export interface BackupInstanceDetails {
  id: string;
  name: string;
  policyId?: string;
  /** As Azure returns it; the restore request names the target cluster in the same shape. */
  dataSourceInfo?: Record<string, unknown>;
  dataSourceSetInfo?: Record<string, unknown>;
}

/** A job as `getRestoreJob` reads it: the status defaults to "Unknown" when Azure leaves it out. */
export type JobState = BackupJobInfo & { status: string };

export type RestoreStart =
  { kind: "started"; statusUrl: string; retryAfterSeconds: number } | { kind: "done"; jobId?: string };

export type OperationState =
  | { state: "running"; retryAfterSeconds: number }
  | { state: "succeeded"; jobId?: string }
  | { state: "failed"; error: ArmErrorDetail };

/** `P7D` → 7; `P2W` → 14; anything else → undefined. */
export function isoDays(duration: string): number | undefined {
  const m = /^P(?:(\d+)W)?(?:(\d+)D)?$/i.exec(duration.trim());
  if (!m || (m[1] === undefined && m[2] === undefined)) return undefined;
  return Number(m[1] ?? 0) * 7 + Number(m[2] ?? 0);
}

function retryAfter(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

export class RestoreClient {
  private readonly client: Client;
  private readonly dp: DataProtectionClient;

  constructor(
    connection: ArmConnection,
    private readonly subscriptionId: string,
  ) {
    this.dp = new DataProtectionClient(connection, subscriptionId);
    this.client = connection.rest({ apiVersion: DATA_PROTECTION_API_VERSION });
  }

  private vaultPath(v: DataProtectionVault): string {
    return `/subscriptions/${encodeURIComponent(this.subscriptionId)}/resourceGroups/${encodeURIComponent(v.resourceGroup)}/providers/Microsoft.DataProtection/backupVaults/${encodeURIComponent(v.vault)}`;
  }

  private async getJson<T>(path: string, schema: z.ZodType<T>, what: string, options: CallOptions): Promise<T> {
    const response = await this.client.pathUnchecked(path).get({ abortSignal: options.abortSignal });
    if (response.status !== "200") throw createRestError(response);
    const parsed = schema.safeParse(response.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ArmContractError(
        `${what}: unexpected response at ${issue?.path.join(".") || "(body)"}: ${issue?.message ?? "invalid"}`,
      );
    }
    return parsed.data;
  }

  /** The vault itself: confirms it exists and is readable, and gives its region. */
  async getVault(
    v: DataProtectionVault,
    options: CallOptions = {},
  ): Promise<ArmResult<{ id: string; location?: string }>> {
    return armCall("get backup vault", v.vault, async () => {
      const vault = await this.getJson(
        this.vaultPath(v),
        z.object({ id: z.string(), location: z.string().optional() }).loose(),
        `get backup vault ${v.vault}`,
        options,
      );
      return { id: vault.id, ...(vault.location !== undefined ? { location: vault.location } : {}) };
    });
  }

  async getBackupInstance(
    v: DataProtectionVault,
    name: string,
    options: CallOptions = {},
  ): Promise<ArmResult<BackupInstanceDetails>> {
    return armCall("get backup instance", name, async () => {
      const bi = await this.getJson(
        `${this.vaultPath(v)}/backupInstances/${encodeURIComponent(name)}`,
        backupInstanceSchema,
        `get backup instance ${name}`,
        options,
      );
      const p = bi.properties;
      return {
        id: bi.id,
        name: bi.name,
        ...(p.policyInfo !== undefined ? { policyId: p.policyInfo.policyId } : {}),
        ...(p.dataSourceInfo !== undefined ? { dataSourceInfo: p.dataSourceInfo } : {}),
        ...(p.dataSourceSetInfo !== undefined ? { dataSourceSetInfo: p.dataSourceSetInfo } : {}),
      };
    });
  }

  /** Days the policy's default retention rule keeps recovery points; undefined when it has none. */
  async policyRetentionDays(policyId: string, options: CallOptions = {}): Promise<ArmResult<number | undefined>> {
    return armCall("get backup policy", policyId, async () => {
      const policy = await this.getJson(policyId, policySchema, `get backup policy ${policyId}`, options);
      const rule = policy.properties.policyRules.find(
        (r) => r.objectType === "AzureRetentionRule" && r.isDefault === true,
      );
      const duration = rule?.lifecycles?.[0]?.deleteAfter?.duration;
      return duration === undefined ? undefined : isoDays(duration);
    });
  }

  async getJob(v: DataProtectionVault, jobId: string, options: CallOptions = {}): Promise<ArmResult<JobState>> {
    const job = await this.dp.getJob(v, jobId, options);
    return job.ok ? { ok: true, value: { ...job.value, status: job.value.status ?? "Unknown" } } : job;
  }

  /** `POST backupInstances/{bi}/restore`: 200 `{jobId}` or 202 with an operation to poll through `operationStatus`. */
  async beginRestore(
    v: DataProtectionVault,
    backupInstance: string,
    restoreRequest: unknown,
    options: CallOptions = {},
  ): Promise<ArmResult<RestoreStart>> {
    const path = `${this.vaultPath(v)}/backupInstances/${encodeURIComponent(backupInstance)}/restore`;
    return armCall("trigger restore", backupInstance, async (): Promise<RestoreStart> => {
      const response = await this.client
        .pathUnchecked(path)
        .post({ body: restoreRequest, abortSignal: options.abortSignal });
      if (response.status === "200") {
        const body = z.object({ jobId: z.string().optional() }).loose().safeParse(response.body);
        return body.success && body.data.jobId !== undefined
          ? { kind: "done", jobId: body.data.jobId }
          : { kind: "done" };
      }
      if (response.status !== "202") throw createRestError(response);
      const statusUrl = response.headers["azure-asyncoperation"] ?? response.headers["location"];
      if (!statusUrl)
        throw new ArmContractError(`trigger restore ${backupInstance}: 202 without Azure-AsyncOperation or Location`);
      return { kind: "started", statusUrl, retryAfterSeconds: retryAfter(response.headers["retry-after"], 10) };
    });
  }

  /** One poll of a Data Protection operation (the Azure-AsyncOperation URL). */
  async operationStatus(statusUrl: string, options: CallOptions = {}): Promise<ArmResult<OperationState>> {
    return armCall("get operation status", "restore", async (): Promise<OperationState> => {
      const response = await this.client
        .pathUnchecked(statusUrl)
        .get({ abortSignal: options.abortSignal, skipUrlEncoding: true });
      if (response.status !== "200") throw createRestError(response);
      const parsed = operationStatusSchema.safeParse(response.body);
      if (!parsed.success) throw new ArmContractError("restore operation status: unexpected response body");
      const state = parsed.data.status.toLowerCase();
      if (state === "succeeded")
        return parsed.data.properties?.jobId !== undefined
          ? { state: "succeeded", jobId: parsed.data.properties.jobId }
          : { state: "succeeded" };
      if (state === "failed" || state === "canceled" || state === "cancelled") {
        return {
          state: "failed",
          error: toErrorDetails([parsed.data.error])[0] ?? {
            code: "OperationFailed",
            message: `restore operation ${state}`,
          },
        };
      }
      return { state: "running", retryAfterSeconds: retryAfter(response.headers["retry-after"], 10) };
    });
  }
}
