import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

/**
 * App settings → typed config, validated once. A wrong setting fails at start-up with the setting's name, never
 * later in the middle of a build. Values of secret settings never appear in messages.
 */

const PACKAGE_NAME = "aks-platform-automation";

let cachedRoot: string | undefined;

/**
 * The repository (package) root. Found by walking up to this package's package.json, so the answer is the same
 * from TypeScript sources (lib/config) and from the compiled copy (dist/lib/config).
 */
export function repoRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest)) {
      const name = (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name;
      if (name === PACKAGE_NAME) return (cachedRoot = dir);
    }
    if (path.dirname(dir) === dir) throw new Error(`Cannot find the ${PACKAGE_NAME} package root above ${__dirname}.`);
  }
}

const optional = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value.trim();

/** Six-field NCRONTAB (seconds first), as Functions timer triggers take it. */
const NCRONTAB = /^\s*\S+(\s+\S+){5}\s*$/;

const httpsUrl = z.url({ protocol: /^https$/, error: "must be an https URL (bearer tokens are never sent over http)" });

const settingsSchema = z.object({
  AKS_PLATFORM_ARM_SCHEMAS_DIR: z.string().optional(),
  AKS_PLATFORM_TEMPLATES_DIR: z.string().optional(),
  AKS_PLATFORM_TASK_HUB: z
    .string()
    // Azure Storage task hubs name queues and tables after the hub: 3–45 letters and digits, starting with a letter.
    .regex(/^[A-Za-z][A-Za-z0-9]{2,44}$/, "must be 3–45 letters and digits, starting with a letter")
    .default("aksplatform"),
  AKS_PLATFORM_ARM_ENDPOINT: z
    // Bearer tokens never travel over http: an http:// endpoint is refused here, at start-up.
    .url({ protocol: /^https$/, error: "must be an https URL such as https://management.azure.com" })
    .default("https://management.azure.com"),
  AKS_PLATFORM_ARM_TOKEN: z.string().optional(),
  // Endpoints the app sends its bearer tokens to: https only, refused here at start-up naming the setting.
  AKS_PLATFORM_KEYVAULT_URL: httpsUrl.optional(),
  AzureWebJobsStorage__blobServiceUri: httpsUrl.optional(),
  AzureWebJobsStorage__queueServiceUri: httpsUrl.optional(),
  AzureWebJobsStorage__tableServiceUri: httpsUrl.optional(),
  AKS_PLATFORM_ARM_CA_FILE: z.string().optional(),
  AKS_PLATFORM_BACKUP_VERIFY_SCHEDULE: z
    .string()
    .regex(NCRONTAB, "must be a six-field NCRONTAB expression such as 0 0 3 * * *")
    .default("0 0 3 * * *"),
});

export interface AppConfig {
  /** Official ARM JSON schemas (template validation). */
  armSchemasDir: string;
  /** ARM templates of the deployment units (`templates/arm` lives below it). */
  templatesDir: string;
  /** Durable task hub name (host.json reads the same setting). */
  taskHub: string;
  /** Azure Resource Manager endpoint: public cloud, a sovereign cloud, or a local stand-in. */
  armEndpoint: string;
  /** Static bearer token for a local ARM stand-in; absent = managed identity / developer credential. */
  armToken?: string;
  /** PEM CA certificate the ARM endpoint's TLS certificate chains to (a local HTTPS stand-in's self-signed CA). */
  armCaFile?: string;
  /** Timer schedule of the nightly backup verification (after the 02:00 UTC backup). */
  backupVerifySchedule: string;
}

/** A setting is missing or malformed; the message names the setting, never its (possibly secret) value. */
export class AppConfigError extends Error {
  override readonly name = "AppConfigError";
  readonly code = "AppConfigInvalid";
  constructor(readonly problems: { setting: string; message: string }[]) {
    super(`Invalid app settings: ${problems.map((p) => `${p.setting} ${p.message}`).join("; ")}`);
  }
}

/** Reads and validates the app settings; throws AppConfigError naming every bad setting. */
export function loadAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw = Object.fromEntries(Object.keys(settingsSchema.shape).map((key) => [key, optional(env[key])]));
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AppConfigError(
      parsed.error.issues.map((issue) => ({
        setting: String(issue.path[0] ?? "(settings)"),
        message: issue.code === "invalid_format" || issue.code === "custom" ? issue.message : "is not valid",
      })),
    );
  }
  const s = parsed.data;
  const root = repoRoot();
  // Relative directories are read from the repository root, where local.settings.json lives.
  const dir = (value: string | undefined, fallback: string): string => path.resolve(root, value ?? fallback);
  const caFile = s.AKS_PLATFORM_ARM_CA_FILE === undefined ? undefined : path.resolve(root, s.AKS_PLATFORM_ARM_CA_FILE);
  if (caFile !== undefined && !existsSync(caFile)) {
    throw new AppConfigError([
      { setting: "AKS_PLATFORM_ARM_CA_FILE", message: `names a file that does not exist (${caFile})` },
    ]);
  }
  return {
    armSchemasDir: dir(s.AKS_PLATFORM_ARM_SCHEMAS_DIR, "../shared/arm-schemas"),
    templatesDir: dir(s.AKS_PLATFORM_TEMPLATES_DIR, "templates"),
    taskHub: s.AKS_PLATFORM_TASK_HUB,
    armEndpoint: s.AKS_PLATFORM_ARM_ENDPOINT.replace(/\/+$/, ""),
    ...(s.AKS_PLATFORM_ARM_TOKEN === undefined ? {} : { armToken: s.AKS_PLATFORM_ARM_TOKEN }),
    ...(caFile === undefined ? {} : { armCaFile: caFile }),
    backupVerifySchedule: s.AKS_PLATFORM_BACKUP_VERIFY_SCHEDULE,
  };
}

let cachedConfig: AppConfig | undefined;

/** The process's config, read from process.env on first use (function apps read settings once). */
export function appConfig(): AppConfig {
  return (cachedConfig ??= loadAppConfig());
}
