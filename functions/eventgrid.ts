import { app, type EventGridEvent, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import type { DurableClient } from "durable-functions";
import { classifyDelivery, EnvironmentsClassifier, type DomainEvent, type EventClassifier } from "../lib/events";
import { Functions } from "../lib/function-names";
import { react, type ReactionClient, type ReactionOutcome } from "../lib/ops/reactions-dispatch";
import type { ReactionOptions } from "../lib/ops/reactions";
import type { PlatformSpec } from "../lib/spec";
import { reactionInputContracts } from "../orchestrations/reactions/contracts";
import { parseAt } from "../orchestrations/shared/boundary";
import { environmentRegistry } from "./shared/environments";

/**
 * Event Grid triggers for the Health Resources (Spot evictions), Key Vault (TLS certificates) and the app's custom
 * topic (backup failures bridged from Azure Monitor). Thin: parse and classify across every environment of the
 * registry (lib/events), react with the options of the environment the event belongs to (lib/ops), map.
 * Garbage is classified `ignored` and logged with its reason, never thrown: Event Grid would retry it for a day.
 * Only failures to reach the durable store or the registry throw, so that Event Grid redelivers.
 */

/** The durable client as lib/ops needs it; the client reports unknown instances as HTTP 404 errors. */
export function durableReactionClient(client: DurableClient): ReactionClient {
  return {
    async status(instanceId) {
      try {
        const s = await client.getStatus(instanceId, { showInput: false });
        return { runtimeStatus: String(s.runtimeStatus), output: s.output, customStatus: s.customStatus };
      } catch (err) {
        if (err instanceof Error && /404/.test(err.message)) return undefined;
        throw err;
      }
    },
    async start(orchestration, instanceId, input) {
      // A reaction's input is checked before it enters the task hub: a trigger that built it wrong fails here,
      // naming the paths, instead of leaving an instance that fails on its first replay.
      const contract = reactionInputContracts[orchestration];
      const checked = contract ? parseAt(`start of ${orchestration} ${instanceId}`, contract, input) : input;
      await client.startNew(orchestration, { instanceId, input: checked });
    },
    raise: (instanceId, eventName, data) => client.raiseEvent(instanceId, eventName, data),
  };
}

/** The reaction options of the environment an event was classified into. */
export type OptionsOf = (event: DomainEvent) => ReactionOptions | undefined;

export async function handleEventGridEvent(
  event: unknown,
  client: ReactionClient,
  classifier: Pick<EventClassifier, "classify">,
  optionsOf: OptionsOf,
): Promise<{ outcomes: ReactionOutcome[]; rejected: string[] }> {
  const delivery = await classifyDelivery(JSON.stringify(event ?? null), classifier);
  if (!delivery.ok) return { outcomes: [], rejected: [`${delivery.problem.code}: ${delivery.problem.message}`] };
  const outcomes: ReactionOutcome[] = [];
  const rejected: string[] = [];
  for (const item of delivery.items) {
    if (!item.ok) {
      rejected.push(`event ${item.index}: ${item.error}`);
      continue;
    }
    const options = optionsOf(item.event);
    if (options) outcomes.push(await react(item.event, client, options));
    else {
      // Ignored events and handshakes belong to no environment: nothing to react with.
      const { kind, eventId, dedupeKey, reason } = item.event;
      outcomes.push({ kind, eventId, dedupeKey, reason, action: "none" });
    }
  }
  return { outcomes, rejected };
}

/** The classifier over a set of specs, rebuilt only when the registry's specs change. */
function classifierCache() {
  let cached: { key: string; classifier: EnvironmentsClassifier; specs: Map<string, PlatformSpec> } | undefined;
  return (specs: readonly PlatformSpec[]) => {
    const key = JSON.stringify(specs);
    if (cached?.key !== key)
      cached = { key, classifier: new EnvironmentsClassifier(specs), specs: new Map(specs.map((s) => [s.name, s])) };
    return cached;
  };
}

export function eventGridHandler(
  environments: () => Promise<PlatformSpec[]> = async () =>
    (await (await environmentRegistry()).list()).map((r) => r.spec),
) {
  const classifierFor = classifierCache();
  return async (event: EventGridEvent, context: InvocationContext): Promise<void> => {
    const { classifier, specs } = classifierFor(await environments());
    const client = durableReactionClient(df.getClient(context));
    const optionsOf: OptionsOf = (e) => {
      const spec = e.environment !== undefined ? specs.get(e.environment) : undefined;
      return spec ? { spec } : undefined;
    };
    const { outcomes, rejected } = await handleEventGridEvent(event, client, classifier, optionsOf);
    for (const r of rejected) context.warn(`${context.functionName}: ignored, not an event: ${r}`);
    for (const o of outcomes) {
      context.log(
        `${context.functionName}: ${o.kind} ${o.eventId} → ${o.action}${o.instanceId ? ` ${o.instanceId}` : ""}: ${o.reason}`,
      );
    }
  };
}

const handler = eventGridHandler();
for (const name of [Functions.eventgridHealth, Functions.eventgridKeyVault, Functions.eventgridCustom]) {
  app.eventGrid(name, { extraInputs: [df.input.durableClient()], handler });
}
