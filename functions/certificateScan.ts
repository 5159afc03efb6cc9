import type { InvocationContext, Timer } from "@azure/functions";
import { app } from "@azure/functions";
import { azureContext } from "../lib/azure";
import * as df from "durable-functions";
import { Functions } from "../lib/function-names";
import { react, type ReactionClient } from "../lib/ops/reactions-dispatch";
import { certificateEventFromScan, TLS_CERT_SECRET, type ReactionOptions } from "../lib/ops/reactions";
import { readTlsSecret, vaultUrl, type TlsSecretState } from "../orchestrations/reactions/activities/scanTlsSecrets";
import { durableReactionClient } from "./eventgrid";
import { SUBSCRIPTION_SETTING } from "../lib/environments";
import { environmentRegistry } from "./shared/environments";

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

/**
 * The scan of every registered environment's vault, each with its own reaction options; one environment whose
 * vault cannot be read does not stop the others.
 */
export function certificateScanHandler(
  environments: () => Promise<ReactionOptions[]> = async () => {
    // The scan's finding carries no resource id: the subscription of a spec that names none comes from the setting.
    const subscription = process.env[SUBSCRIPTION_SETTING]?.trim();
    return (await (await environmentRegistry()).registered()).map((r) => ({
      spec: r.spec,
      ...(subscription ? { defaultSubscriptionId: subscription } : {}),
    }));
  },
) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const now = new Date();
    const client = durableReactionClient(df.getClient(context));
    for (const options of await environments()) {
      const url = vaultUrl(options.spec.shared.keyVault.name);
      const signal = AbortSignal.timeout(60_000);
      try {
        const summary = await scanCertificates(
          (name) => readTlsSecret(url, name, azureContext(), now, signal),
          client,
          options,
          now,
        );
        context.log(`certificateScan ${options.spec.name}: ${summary}`);
      } catch (err) {
        // Logged, not thrown: a timer retry would not help, tomorrow's run tries again.
        context.error(`certificateScan ${options.spec.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
}

app.timer(Functions.certificateScan, {
  schedule: "0 30 6 * * *",
  extraInputs: [df.input.durableClient()],
  handler: certificateScanHandler(),
});
