import { z } from "zod";
import type { NotificationsSpec } from "../spec";

/**
 * Notification settings come from app settings (Key Vault references in Azure, local.settings.json locally).
 * Parsing fails fast with the name of the setting and the position of the bad entry, never its value.
 */

export const SETTING_ALLOWED_HOSTS = "AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS";
export const SETTING_RUNBOOK_URL = "AKS_PLATFORM_RUNBOOK_URL";

export type ChannelKind = "teams" | "slack";

/**
 * Hosts a webhook of each kind may point at without configuration. Teams Workflows webhooks moved from Logic Apps
 * hosts (`*.logic.azure.com`, still used by Logic Apps request triggers) to `*.environment.api.powerplatform.com`
 * (Power Automate, old URLs stopped working on 2025-11-30); both stay allowed.
 */
export const BUILTIN_ALLOWED_HOSTS: Record<ChannelKind, readonly string[]> = {
  slack: ["hooks.slack.com"],
  teams: ["*.logic.azure.com", "*.environment.api.powerplatform.com"],
};

export interface HostPattern {
  /** Lower-case host name or IP; `*.` prefix = any subdomain. */
  host: string;
  port?: number;
}

export interface AllowList {
  builtin: Record<ChannelKind, HostPattern[]>;
  /** From AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS; allowed for both kinds; the only way to allow plain http (loopback). */
  extra: HostPattern[];
}

export interface WebhookEndpoint {
  channel: string;
  kind: ChannelKind;
  /** The app setting the URL came from (safe to print). */
  setting: string;
  /** 1-based position within the comma-separated setting (safe to print). */
  position: number;
  url: string;
}

export interface NotifySettings {
  /** Every configured endpoint, in channel order; channels whose setting is empty have none. */
  endpoints: WebhookEndpoint[];
  allowList: AllowList;
  runbookBaseUrl?: string;
}

export class NotifyConfigError extends Error {
  override readonly name = "NotifyConfigError";
  readonly code = "NotifyConfigError";
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`${setting}: ${problem}`);
  }
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const hostEntry = /^(\*\.)?([a-z0-9-]+(\.[a-z0-9-]+)*|\[::1\])(:(\d{1,5}))?$/i;

const listSchema = z.string().transform((s) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x.length > 0),
);

export function parseHostPattern(entry: string): HostPattern | undefined {
  const m = hostEntry.exec(entry);
  if (!m) return undefined;
  const port = m[5] === undefined ? undefined : Number(m[5]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  return { host: `${m[1] ?? ""}${m[2] ?? ""}`.toLowerCase(), ...(port === undefined ? {} : { port }) };
}

export function buildAllowList(extraHosts: string | undefined): AllowList {
  const entries = listSchema.parse(extraHosts ?? "");
  const extra = entries.map((entry, i) => {
    const pattern = parseHostPattern(entry);
    if (!pattern)
      throw new NotifyConfigError(SETTING_ALLOWED_HOSTS, `entry ${i + 1} is not host[:port] (optionally *.domain)`);
    return pattern;
  });
  const builtin = {
    slack: BUILTIN_ALLOWED_HOSTS.slack.map((h) => ({ host: h })),
    teams: BUILTIN_ALLOWED_HOSTS.teams.map((h) => ({ host: h })),
  };
  return { builtin, extra };
}

/** Why `url` may not be called for a channel of `kind`, or undefined when it may. Mentions the host only. */
export function checkAllowed(url: string, kind: ChannelKind, allowList: AllowList): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "is not a valid URL";
  }
  if (u.username || u.password) return "must not carry user name or password";
  const host = u.hostname.toLowerCase();
  const port = u.port === "" ? undefined : Number(u.port);
  if (u.protocol === "http:") {
    if (!LOOPBACK.has(host))
      return `uses plain http for host ${host}; only https is allowed (http only for loopback hosts)`;
    const listed = allowList.extra.some((p) => p.host === host && (p.port === undefined || p.port === (port ?? 80)));
    return listed ? undefined : `loopback host ${u.host} is not listed in ${SETTING_ALLOWED_HOSTS}`;
  }
  if (u.protocol !== "https:") return `uses ${u.protocol.replace(":", "")}; only https is allowed`;
  const effectivePort = port ?? 443;
  const matches = (p: HostPattern) => hostMatches(p.host, host) && (p.port ?? 443) === effectivePort;
  if (allowList.builtin[kind].some(matches) || allowList.extra.some(matches)) return undefined;
  return `host ${u.host} is not on the ${kind} allow-list (${BUILTIN_ALLOWED_HOSTS[kind].join(", ")} or ${SETTING_ALLOWED_HOSTS})`;
}

function hostMatches(pattern: string, host: string): boolean {
  if (pattern.startsWith("*.")) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return pattern === host;
}

/** Reads every channel's webhook setting and the extra settings; throws NotifyConfigError naming the setting. */
export function loadNotifySettings(
  env: Readonly<Record<string, string | undefined>>,
  notifications: NotificationsSpec,
): NotifySettings {
  const allowList = buildAllowList(env[SETTING_ALLOWED_HOSTS]);
  const endpoints: WebhookEndpoint[] = [];
  for (const channel of notifications.channels) {
    const raw = env[channel.webhookSetting] ?? "";
    if (raw.trim().startsWith("@Microsoft.KeyVault(")) {
      throw new NotifyConfigError(
        channel.webhookSetting,
        "is an unresolved Key Vault reference (check the app's identity may read the secret and the reference is valid)",
      );
    }
    listSchema.parse(raw).forEach((url, i) => {
      const problem = checkAllowed(url, channel.kind, allowList);
      if (problem) throw new NotifyConfigError(channel.webhookSetting, `entry ${i + 1} ${problem}`);
      endpoints.push({
        channel: channel.name,
        kind: channel.kind,
        setting: channel.webhookSetting,
        position: i + 1,
        url,
      });
    });
  }
  const runbook = env[SETTING_RUNBOOK_URL]?.trim();
  if (runbook) {
    const parsed = z.url({ protocol: /^https$/ }).safeParse(runbook);
    if (!parsed.success)
      throw new NotifyConfigError(SETTING_RUNBOOK_URL, "is not an https URL (the README's web address)");
    return { endpoints, allowList, runbookBaseUrl: runbook.replace(/#.*$/, "") };
  }
  return { endpoints, allowList };
}
