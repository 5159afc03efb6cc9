import type { Client } from "@azure-rest/core-client";
import { createRestError } from "@azure-rest/core-client";
import { z } from "zod";
import type { ArmConnection } from "./connection";
import { ArmContractError, armCall, armErrorDetailSchema, toErrorDetails, type ArmResult } from "./errors";
import type { CallOptions } from "./deployments";

/**
 * Data Protection (AKS backup) REST client on `@azure-rest/core-client` (there is no usable npm SDK), using
 * the same connection as every other ARM client. Lists follow `nextLink` page by page; the backup-job list
 * has no server filter, so callers filter what they read.
 */

export const DATA_PROTECTION_API_VERSION = "2026-06-01";

const pageSchema = z.object({ value: z.array(z.unknown()).default([]), nextLink: z.string().nullish() });

const backupInstanceSchema = z.object({
  id: z.string(),
  name: z.string(),
  properties: z
    .object({
      friendlyName: z.string().optional(),
      currentProtectionState: z.string().optional(),
      protectionStatus: z.object({ status: z.string().optional(), errorDetails: z.unknown().optional() }).optional(),
      protectionErrorDetails: z.unknown().optional(),
      dataSourceInfo: z.object({ resourceID: z.string().optional() }).optional(),
    })
    .default({}),
});

const recoveryPointSchema = z.object({
  id: z.string(),
  name: z.string(),
  properties: z
    .object({ recoveryPointTime: z.string().optional(), recoveryPointId: z.string().optional() })
    .default({}),
});

/** The fields of a backup job the app reads, as the API names them. */
const jobFields = {
  backupInstanceId: z.string().optional(),
  operation: z.string().optional(),
  operationCategory: z.string().optional(),
  /** Free string in the API; compare case-insensitively. */
  status: z.string().optional(),
  startTime: z.string().optional(),
  endTime: z.string().optional(),
  isUserTriggered: z.boolean().optional(),
};

/** A backup job (`backupJobs/{id}`) as the API returns it; restore and backup jobs share the shape. */
export const backupJobSchema = z.object({
  id: z.string(),
  name: z.string(),
  properties: z.object({ ...jobFields, errorDetails: z.unknown().optional() }).default({}),
});

/** A Data Protection operation status (the Azure-AsyncOperation URL); `properties.jobId` names the job it started. */
export const operationStatusSchema = z.object({
  status: z.string(),
  error: z.unknown().optional(),
  properties: z.object({ jobId: z.string().optional() }).loose().optional(),
});

/** A backup instance as the app reads it (and hands it across the Durable boundary). */
export const backupInstanceInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  dataSourceId: z.string().optional(),
  protectionStatus: z.string().optional(),
  currentProtectionState: z.string().optional(),
  errors: z.array(armErrorDetailSchema),
});
export type BackupInstanceInfo = z.infer<typeof backupInstanceInfoSchema>;

function toBackupInstanceInfo(bi: z.infer<typeof backupInstanceSchema>): BackupInstanceInfo {
  const info: BackupInstanceInfo = {
    id: bi.id,
    name: bi.name,
    errors: toErrorDetails(
      [bi.properties.protectionErrorDetails, bi.properties.protectionStatus?.errorDetails].filter(
        (e) => e !== undefined && e !== null,
      ),
    ),
  };
  if (bi.properties.dataSourceInfo?.resourceID !== undefined)
    info.dataSourceId = bi.properties.dataSourceInfo.resourceID;
  if (bi.properties.protectionStatus?.status !== undefined)
    info.protectionStatus = bi.properties.protectionStatus.status;
  if (bi.properties.currentProtectionState !== undefined)
    info.currentProtectionState = bi.properties.currentProtectionState;
  return info;
}

export interface RecoveryPointInfo {
  id: string;
  name: string;
  time?: string;
}

/** A backup job as the app reads it (and hands it across the Durable boundary). */
export const backupJobInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  ...jobFields,
  errors: z.array(armErrorDetailSchema),
});
export type BackupJobInfo = z.infer<typeof backupJobInfoSchema>;

export type BackupJob = z.infer<typeof backupJobSchema>;

/** The API's job as the app reads it. */
export function toBackupJobInfo(job: BackupJob): BackupJobInfo {
  const p = job.properties;
  const info: BackupJobInfo = { id: job.id, name: job.name, errors: toErrorDetails(p.errorDetails) };
  for (const k of ["backupInstanceId", "operation", "operationCategory", "status", "startTime", "endTime"] as const) {
    if (p[k] !== undefined) info[k] = p[k];
  }
  if (p.isUserTriggered !== undefined) info.isUserTriggered = p.isUserTriggered;
  return info;
}

export interface DataProtectionVault {
  resourceGroup: string;
  vault: string;
}

export class DataProtectionClient {
  private readonly client: Client;

  constructor(
    connection: ArmConnection,
    private readonly subscriptionId: string,
  ) {
    this.client = connection.rest({ apiVersion: DATA_PROTECTION_API_VERSION });
  }

  private vaultPath(v: DataProtectionVault): string {
    return `/subscriptions/${encodeURIComponent(this.subscriptionId)}/resourceGroups/${encodeURIComponent(v.resourceGroup)}/providers/Microsoft.DataProtection/backupVaults/${encodeURIComponent(v.vault)}`;
  }

  /** Reads every page of a list, following nextLink. */
  private async listAll<T>(path: string, schema: z.ZodType<T>, what: string, options: CallOptions): Promise<T[]> {
    const out: T[] = [];
    let next: string | undefined = path;
    while (next !== undefined) {
      const response = await this.client
        .pathUnchecked(next)
        .get({ abortSignal: options.abortSignal, skipUrlEncoding: next !== path });
      if (response.status !== "200") throw createRestError(response);
      const page = pageSchema.safeParse(response.body);
      if (!page.success)
        throw new ArmContractError(`${what}: unexpected list response (${page.error.issues[0]?.message ?? "invalid"})`);
      for (const item of page.data.value) {
        const parsed = schema.safeParse(item);
        if (!parsed.success)
          throw new ArmContractError(`${what}: unexpected item at ${parsed.error.issues[0]?.path.join(".") ?? ""}`);
        out.push(parsed.data);
      }
      next = page.data.nextLink ?? undefined;
    }
    return out;
  }

  async listBackupInstances(
    v: DataProtectionVault,
    options: CallOptions = {},
  ): Promise<ArmResult<BackupInstanceInfo[]>> {
    return armCall("list backup instances", v.vault, async () =>
      (
        await this.listAll(
          `${this.vaultPath(v)}/backupInstances`,
          backupInstanceSchema,
          "list backup instances",
          options,
        )
      ).map(toBackupInstanceInfo),
    );
  }

  /** One backup instance, or undefined when the vault has none of that name. */
  async getBackupInstance(
    v: DataProtectionVault,
    backupInstance: string,
    options: CallOptions = {},
  ): Promise<ArmResult<BackupInstanceInfo | undefined>> {
    const result = await armCall("get backup instance", backupInstance, async () => {
      const response = await this.client
        .pathUnchecked(`${this.vaultPath(v)}/backupInstances/${encodeURIComponent(backupInstance)}`)
        .get({ abortSignal: options.abortSignal });
      if (response.status !== "200") throw createRestError(response);
      const parsed = backupInstanceSchema.safeParse(response.body);
      if (!parsed.success)
        throw new ArmContractError(
          `get backup instance ${backupInstance}: unexpected response at ${parsed.error.issues[0]?.path.join(".") || "(body)"}`,
        );
      return toBackupInstanceInfo(parsed.data);
    });
    return !result.ok && result.error.kind === "notFound" ? { ok: true, value: undefined } : result;
  }

  /**
   * Stops the protection of a backup instance and keeps every recovery point until someone deletes the instance
   * (`POST …/stopProtection`, BackupInstanceResources_StopProtection: "stop protection of a backup instance and data
   * will be held forever"; learn.microsoft.com, Az.DataProtection Stop-AzDataProtectionBackupInstanceProtection).
   * `suspendBackups` (BackupInstanceResources_SuspendBackups) instead keeps them per the policy, the newest forever.
   * Both are long-running (202 + Azure-AsyncOperation), waited for here.
   */
  async changeProtection(
    v: DataProtectionVault,
    backupInstance: string,
    change: "stopProtection" | "suspendBackups",
    options: CallOptions & { pollIntervalMs?: number } = {},
  ): Promise<ArmResult<void>> {
    const path = `${this.vaultPath(v)}/backupInstances/${encodeURIComponent(backupInstance)}/${change}`;
    return armCall(change === "stopProtection" ? "stop protection" : "suspend backups", backupInstance, async () => {
      await this.postLro(path, {}, options);
    });
  }

  async listRecoveryPoints(
    v: DataProtectionVault,
    backupInstance: string,
    options: CallOptions = {},
  ): Promise<ArmResult<RecoveryPointInfo[]>> {
    const path = `${this.vaultPath(v)}/backupInstances/${encodeURIComponent(backupInstance)}/recoveryPoints`;
    return armCall("list recovery points", backupInstance, async () =>
      (await this.listAll(path, recoveryPointSchema, "list recovery points", options)).map((p) => ({
        id: p.id,
        name: p.name,
        ...(p.properties.recoveryPointTime !== undefined ? { time: p.properties.recoveryPointTime } : {}),
      })),
    );
  }

  async listBackupJobs(v: DataProtectionVault, options: CallOptions = {}): Promise<ArmResult<BackupJobInfo[]>> {
    return armCall("list backup jobs", v.vault, async () =>
      (await this.listAll(`${this.vaultPath(v)}/backupJobs`, backupJobSchema, "list backup jobs", options)).map(
        toBackupJobInfo,
      ),
    );
  }

  /** One job by its id (the name the list and an operation's `jobId` give). */
  async getJob(v: DataProtectionVault, jobId: string, options: CallOptions = {}): Promise<ArmResult<BackupJobInfo>> {
    return armCall("get backup job", jobId, async () => {
      const response = await this.client
        .pathUnchecked(`${this.vaultPath(v)}/backupJobs/${encodeURIComponent(jobId)}`)
        .get({ abortSignal: options.abortSignal });
      if (response.status !== "200") throw createRestError(response);
      const parsed = backupJobSchema.safeParse(response.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ArmContractError(
          `get backup job ${jobId}: unexpected response at ${issue?.path.join(".") || "(body)"}: ${issue?.message ?? "invalid"}`,
        );
      }
      return toBackupJobInfo(parsed.data);
    });
  }

  /** Ad-hoc backup: waits for the trigger operation and returns the job id it started. */
  async triggerBackup(
    v: DataProtectionVault,
    backupInstance: string,
    rule: { ruleName: string; retentionTagOverride?: string },
    options: CallOptions & { pollIntervalMs?: number } = {},
  ): Promise<ArmResult<{ jobId?: string }>> {
    const path = `${this.vaultPath(v)}/backupInstances/${encodeURIComponent(backupInstance)}/backup`;
    const body = {
      backupRuleOptions: {
        ruleName: rule.ruleName,
        triggerOption:
          rule.retentionTagOverride !== undefined ? { retentionTagOverride: rule.retentionTagOverride } : {},
      },
    };
    return armCall("trigger backup", backupInstance, () => this.postLro(path, body, options));
  }

  async validateRestore(
    v: DataProtectionVault,
    backupInstance: string,
    restoreRequest: unknown,
    options: CallOptions & { pollIntervalMs?: number } = {},
  ): Promise<ArmResult<{ jobId?: string }>> {
    const path = `${this.vaultPath(v)}/backupInstances/${encodeURIComponent(backupInstance)}/validateRestore`;
    return armCall("validate restore", backupInstance, () =>
      this.postLro(path, { restoreRequestObject: restoreRequest }, options),
    );
  }

  /** POST that answers 200 `{jobId}` or 202 + Azure-AsyncOperation; polls the latter on Retry-After. */
  private async postLro(
    path: string,
    body: unknown,
    options: CallOptions & { pollIntervalMs?: number },
  ): Promise<{ jobId?: string }> {
    const initial = await this.client.pathUnchecked(path).post({ body, abortSignal: options.abortSignal });
    if (initial.status === "200") {
      const parsed = z.object({ jobId: z.string().optional() }).loose().safeParse(initial.body);
      return parsed.success && parsed.data.jobId !== undefined ? { jobId: parsed.data.jobId } : {};
    }
    if (initial.status !== "202") throw createRestError(initial);
    const statusUrl = initial.headers["azure-asyncoperation"] ?? initial.headers["location"];
    if (!statusUrl) throw new ArmContractError(`POST ${path}: 202 without Azure-AsyncOperation or Location`);
    let retryAfter = initial.headers["retry-after"];
    for (;;) {
      await sleep(options.pollIntervalMs ?? Number(retryAfter ?? 10) * 1000, options.abortSignal);
      const poll = await this.client
        .pathUnchecked(statusUrl)
        .get({ abortSignal: options.abortSignal, skipUrlEncoding: true });
      if (poll.status !== "200") throw createRestError(poll);
      const status = operationStatusSchema.safeParse(poll.body);
      if (!status.success) throw new ArmContractError(`POST ${path}: unexpected operation status body`);
      const state = status.data.status.toLowerCase();
      if (state === "succeeded")
        return status.data.properties?.jobId !== undefined ? { jobId: status.data.properties.jobId } : {};
      if (state === "failed" || state === "canceled" || state === "cancelled") {
        const error = toErrorDetails([status.data.error])[0];
        throw createRestError(error?.message ?? `operation ${state}`, {
          ...poll,
          status: "400",
          body: { error: error ?? { code: "OperationFailed", message: state } },
        });
      }
      retryAfter = poll.headers["retry-after"];
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
