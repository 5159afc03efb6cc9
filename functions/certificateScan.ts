import type { InvocationContext, Timer } from "@azure/functions";
import { app } from "@azure/functions";
import { azureContext } from "../lib/azure";
import * as df from "durable-functions";
import { Functions } from "../lib/function-names";
import { react, type ReactionClient } from "../lib/ops/reactions-dispatch";
import { certificateEventFromScan, TLS_CERT_SECRET, type ReactionOptions } from "../lib/ops/reactions";
import { defaultSpec } from "../lib/spec";
import { readTlsSecret, vaultUrl, type TlsSecretState } from "../orchestrations/reactions/activities/scanTlsSecrets";
import { durableReactionClient } from "./eventgrid";

/**
 * OPS-3 safety net, daily: reads the TLS secret ESO pushes to Key Vault and parses the certificate itself, because
 * a pushed secret may carry no expiry attribute and then Key Vault raises no NearExpiry event. A near-expiry or
 * expired certificate starts the same certificate reaction an Event Grid event would (once per version).
 */

export async function scanCertificates(
  read: (name: string) => Promise<TlsSecretState>,
  client: ReactionClient,
  options: ReactionOptions,
  now: Date,
): Promise<string> {
  const vaultName = options.spec.shared.keyVault.name;
  const secret = await read(TLS_CERT_SECRET);
  const where = `${vaultName}/${secret.name} (version ${secret.version}, notAfter ${secret.certificate.notAfter})`;
  if (secret.state === "valid") return `${where}: valid`;
  const event = certificateEventFromScan({
    vaultName,
    objectName: secret.name,
    version: secret.version,
    notBefore: secret.certificate.notBefore,
    notAfter: secret.certificate.notAfter,
    change: secret.state,
    now,
  });
  const outcome = await react(event, client, options);
  return `${where}: ${secret.state} → ${outcome.action}${outcome.instanceId ? ` ${outcome.instanceId}` : ""}`;
}

/** Subscription of the platform when the spec names none (the sandbox spec): the scan's finding carries no resource id. */
export const SUBSCRIPTION_SETTING = "AKS_PLATFORM_SUBSCRIPTION_ID";

function optionsFromEnv(env: Readonly<Record<string, string | undefined>>): ReactionOptions {
  const subscription = env[SUBSCRIPTION_SETTING]?.trim();
  return { spec: defaultSpec, ...(subscription ? { defaultSubscriptionId: subscription } : {}) };
}

export function certificateScanHandler(options: ReactionOptions = optionsFromEnv(process.env)) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const url = vaultUrl(options.spec.shared.keyVault.name);
    const now = new Date();
    const signal = AbortSignal.timeout(60_000);
    try {
      const summary = await scanCertificates(
        (name) => readTlsSecret(url, name, azureContext(), now, signal),
        durableReactionClient(df.getClient(context)),
        options,
        now,
      );
      context.log(`certificateScan: ${summary}`);
    } catch (err) {
      // Logged, not thrown: a timer retry would not help, tomorrow's run tries again.
      context.error(`certificateScan: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}

app.timer(Functions.certificateScan, {
  schedule: "0 30 6 * * *",
  extraInputs: [df.input.durableClient()],
  handler: certificateScanHandler(),
});
