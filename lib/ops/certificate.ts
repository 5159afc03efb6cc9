import type { CertificateEvent } from "../events";
import type { Severity } from "../spec";

/** What the reaction found when it looked (Key Vault's current version, what the ingress gateway serves). */
export interface CertificateObservation {
  now: string | Date;
  /** Current version of the object in Key Vault and its expiry (ISO); may be newer than the event's. */
  latestVersion?: string;
  latestExpiresAt?: string;
  /** What the ingress gateway serves: the Key Vault version it mounted, and/or the served certificate's notAfter. */
  servedVersion?: string;
  servedExpiresAt?: string;
}

export interface CertificateDecision {
  action: "renew" | "verify-rollout" | "alert-expired" | "ignore";
  severity: Severity;
  reason: string;
}

/**
 * OPS-3: near-expiry → renew (cert-manager should have renewed 30 days ahead), new version → verify the gateway
 * serves it, expired → critical alert. Events arrive out of order (a NearExpiry for a version already replaced,
 * an Expired for an old version): decisions compare with what is observed now, never with the order of arrival.
 */
export function decideCertificateAction(
  event: CertificateEvent,
  observed: CertificateObservation,
): CertificateDecision {
  const now = toMs(observed.now) ?? Number.NaN;
  const eventExp = toMs(event.expiresAt);
  const latestExp = toMs(observed.latestExpiresAt);
  const name = `${event.objectType} ${event.objectName}`;
  const newerExists =
    observed.latestVersion !== undefined &&
    event.version !== undefined &&
    observed.latestVersion.toLowerCase() !== event.version.toLowerCase() &&
    (latestExp === undefined || eventExp === undefined || latestExp > eventExp);
  const servedLatest =
    (observed.servedVersion !== undefined &&
      observed.latestVersion !== undefined &&
      sameVersion(observed.servedVersion, observed.latestVersion)) ||
    (toMs(observed.servedExpiresAt) !== undefined &&
      latestExp !== undefined &&
      (toMs(observed.servedExpiresAt) ?? 0) >= latestExp);

  switch (event.change) {
    case "expired":
    case "near-expiry": {
      if (newerExists && (latestExp === undefined || latestExp > now)) {
        return servedLatest
          ? {
              action: "ignore",
              severity: "info",
              reason: `${name}: version ${event.version ?? "?"} was already replaced by ${observed.latestVersion ?? "?"}, which the gateway serves`,
            }
          : {
              action: "verify-rollout",
              severity: "warning",
              reason: `${name}: newer version ${observed.latestVersion ?? "?"} exists; check the gateway serves it`,
            };
      }
      if (event.change === "expired" || (eventExp !== undefined && eventExp <= now)) {
        return {
          action: "alert-expired",
          severity: "critical",
          reason: `${name} has expired${event.expiresAt !== undefined ? ` (${event.expiresAt})` : ""} and no valid newer version exists`,
        };
      }
      return {
        action: "renew",
        severity: "warning",
        reason: `${name} expires ${event.expiresAt ?? "soon"} and was not renewed ahead of time: trigger a renewal`,
      };
    }
    case "new-version": {
      if (newerExists) {
        return {
          action: "ignore",
          severity: "info",
          reason: `${name}: version ${event.version ?? "?"} is already superseded by ${observed.latestVersion ?? "?"}`,
        };
      }
      const served =
        (observed.servedVersion !== undefined &&
          event.version !== undefined &&
          sameVersion(observed.servedVersion, event.version)) ||
        (toMs(observed.servedExpiresAt) !== undefined &&
          eventExp !== undefined &&
          (toMs(observed.servedExpiresAt) ?? 0) >= eventExp);
      if (served)
        return {
          action: "ignore",
          severity: "info",
          reason: `${name}: the gateway already serves version ${event.version ?? "?"}`,
        };
      return {
        action: "verify-rollout",
        severity: "info",
        reason: `${name}: new version ${event.version ?? "?"}; verify the ingress gateway rolled out to it`,
      };
    }
  }
}

function sameVersion(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

function toMs(value: string | Date | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
