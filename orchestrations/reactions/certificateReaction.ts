import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler, Task } from "durable-functions";
import { Activities, Orchestrations } from "../../lib/function-names";
import { messages, type NotifyMessage } from "../../lib/notify";
import { decideCertificateAction } from "../../lib/ops/certificate";
import { daysLeft, type ClusterTarget } from "../../lib/ops/reactions";
import { orchestrationInput } from "../shared/boundary";
import type { CheckCertificateRolloutResult, ServedCertificate } from "./activities/checkCertificateRollout";
import type { RenewCertificateResult } from "./activities/renewCertificate";
import type { RestartIngressGatewayResult } from "./activities/restartIngressGateway";
import {
  certificateReactionInputSchema,
  type CheckCertificateRolloutInput,
  type NotifyEventInput,
  type RestartIngressGatewayInput,
} from "./contracts";

/**
 * OPS-3, one instance per certificate event (instance id = the event's dedupe key). Decisions come from
 * decideCertificateAction on what is observed now (Key Vault's current version, what each gateway serves), so
 * out-of-order events are harmless: a NearExpiry for an already replaced version ends without action.
 * - near expiry → set the Certificate's Issuing condition (what `cmctl renew` does) on the ingress clusters, then
 *   watch for the new version and verify its rollout;
 * - new version → verify the gateways serve it; when not, a rolling restart (Reloader should have done it);
 * - expired with no valid newer version → critical alert.
 */

const RETRY = new df.RetryOptions(30_000, 3);
const NEW_VERSION_POLLS = 6;
const POLL_MINUTES = 10;
const ROLLOUT_WAIT_MINUTES = 2;

export interface CertificateReactionResult {
  action: "renew" | "verify-rollout" | "alert-expired" | "ignore";
  reason: string;
  renewalTriggered?: boolean;
  newVersion?: string;
  rolledOut?: string[];
  notConfirmed?: string[];
}

export const certificateReactionOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = orchestrationInput(context, certificateReactionInputSchema);
  const event = input.event;
  const resource = `${event.vaultName}/${event.objectName}`;
  const now = () => context.df.currentUtcDateTime;
  const base = () => ({ environment: input.environment, correlationId: context.df.instanceId, occurredAt: now() });
  const notify = (message: NotifyMessage) =>
    context.df.callActivity(Activities.notifyEvent, {
      message,
      notifications: input.notifications,
    } satisfies NotifyEventInput);
  const check = () =>
    context.df.callActivityWithRetry(Activities.checkCertificateRollout, RETRY, {
      vaultName: event.vaultName,
      clusters: input.clusters,
      now: now().toISOString(),
    } satisfies CheckCertificateRolloutInput);

  let observed = (yield check()) as CheckCertificateRolloutResult;
  const decision = decideCertificateAction(event, {
    now: now(),
    ...(observed.latest !== undefined
      ? { latestVersion: observed.latest.version, latestExpiresAt: observed.latest.certificate.notAfter }
      : {}),
    ...servedExpiry(observed.served),
  });
  context.df.setCustomStatus({ decision });

  if (decision.action === "ignore")
    return { action: "ignore", reason: decision.reason } satisfies CertificateReactionResult;

  if (decision.action === "alert-expired") {
    yield notify(
      messages.certificateExpired({
        ...base(),
        host: input.ingressHost,
        resource,
        notAfter: event.expiresAt ?? observed.latest?.certificate.notAfter ?? now(),
      }),
    );
    return { action: "alert-expired", reason: decision.reason } satisfies CertificateReactionResult;
  }

  let expectedAfter = event.expiresAt;
  if (decision.action === "renew") {
    const tasks: Task[] = input.clusters.map((c) => context.df.callActivity(Activities.renewCertificate, c));
    const renewals = (tasks.length > 0 ? yield context.df.Task.all(tasks) : []) as RenewCertificateResult[];
    const triggered = renewals.some((r) => r.triggered);
    const notAfter = event.expiresAt ?? observed.latest?.certificate.notAfter;
    yield notify(
      messages.certificateNearExpiry({
        ...base(),
        host: input.ingressHost,
        resource,
        notAfter: notAfter ?? now(),
        daysLeft: notAfter !== undefined ? daysLeft(notAfter, now()) : 0,
        renewalTriggered: triggered,
      }),
    );
    if (!triggered) {
      return { action: "renew", reason: decision.reason, renewalTriggered: false } satisfies CertificateReactionResult;
    }
    // Watch for the renewed version: its expiry is later than the one that was about to run out.
    let renewed = false;
    for (let i = 0; i < NEW_VERSION_POLLS && !renewed; i++) {
      yield context.df.createTimer(new Date(now().getTime() + POLL_MINUTES * 60_000));
      observed = (yield check()) as CheckCertificateRolloutResult;
      const latestExp = observed.latest?.certificate.notAfter;
      renewed = latestExp !== undefined && (notAfter === undefined || latestExp > notAfter);
    }
    if (!renewed) {
      return {
        action: "renew",
        reason: `${decision.reason}; no new version within ${NEW_VERSION_POLLS * POLL_MINUTES} min (the Key Vault event will start the rollout check)`,
        renewalTriggered: true,
      } satisfies CertificateReactionResult;
    }
    expectedAfter = observed.latest?.certificate.notAfter;
  } else {
    expectedAfter = observed.latest?.certificate.notAfter ?? event.expiresAt;
  }

  // Verify the rollout; restart the gateways that do not serve the expected certificate (or cannot be read).
  const lagging = (served: ServedCertificate[]) =>
    input.clusters.filter(
      (c) =>
        !servesExpected(
          served.find((s) => s.cluster === c.cluster),
          expectedAfter,
        ),
    );
  let behind = lagging(observed.served);
  if (behind.length > 0) {
    const restarts = (yield context.df.Task.all(
      behind.map((c: ClusterTarget) =>
        context.df.callActivity(Activities.restartIngressGateway, {
          ...c,
          ...(input.istioRevision !== undefined ? { istioRevision: input.istioRevision } : {}),
        } satisfies RestartIngressGatewayInput),
      ),
    )) as RestartIngressGatewayResult[];
    context.df.setCustomStatus({ decision, restarts });
    yield context.df.createTimer(new Date(now().getTime() + ROLLOUT_WAIT_MINUTES * 60_000));
    observed = (yield check()) as CheckCertificateRolloutResult;
    behind = lagging(observed.served);
  }
  const rolledOut = input.clusters.filter((c) => !behind.includes(c)).map((c) => c.cluster);
  const notConfirmed = behind.map((c) => {
    const served = observed.served.find((s) => s.cluster === c.cluster);
    return `${c.cluster} (${served?.error ?? "serves an older certificate"})`;
  });
  const version = observed.latest?.version ?? event.version;
  const message = messages.certificateRenewed({
    ...base(),
    ...(behind.length > 0 ? { severity: "warning" as const } : {}),
    host: input.ingressHost,
    resource,
    notAfter: expectedAfter ?? now(),
    ...(version !== undefined ? { version } : {}),
    rolledOutTo:
      behind.length === 0
        ? rolledOut.join(", ")
        : `confirmed: ${rolledOut.join(", ") || "none"}; restarted, not confirmed: ${notConfirmed.join("; ")}`,
  });
  // Without a known expiry the "Valid until" fact would be invented: leave it out.
  if (expectedAfter === undefined) message.facts = message.facts.filter((f) => f.name !== "Valid until");
  yield notify(message);
  return {
    action: decision.action,
    reason: decision.reason,
    ...(decision.action === "renew" ? { renewalTriggered: true } : {}),
    ...(observed.latest?.version !== undefined ? { newVersion: observed.latest.version } : {}),
    rolledOut,
    notConfirmed,
  } satisfies CertificateReactionResult;
};

/** The earliest expiry any gateway serves, when every gateway could be read. */
function servedExpiry(served: ServedCertificate[]): { servedExpiresAt?: string } {
  if (served.length === 0 || served.some((s) => s.certificate === undefined)) return {};
  const earliest = served.map((s) => s.certificate?.notAfter ?? "").sort()[0];
  return earliest !== undefined ? { servedExpiresAt: earliest } : {};
}

function servesExpected(served: ServedCertificate | undefined, expectedNotAfter: string | undefined): boolean {
  const notAfter = served?.certificate?.notAfter;
  if (notAfter === undefined) return false;
  return expectedNotAfter === undefined || Date.parse(notAfter) >= Date.parse(expectedNotAfter);
}

df.app.orchestration(Orchestrations.certificateReaction, certificateReactionOrchestrator);
