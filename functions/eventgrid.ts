import { app, type EventGridEvent, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import type { DurableClient } from "durable-functions";
import { classifyDelivery, EventClassifier } from "../lib/events";
import { Functions } from "../lib/function-names";
import { react, type ReactionClient, type ReactionOutcome } from "../lib/ops/reactions-dispatch";
import type { ReactionOptions } from "../lib/ops/reactions";
import { defaultSpec } from "../lib/spec";

/**
 * Event Grid triggers for the Health Resources (Spot evictions), Key Vault (TLS certificates) and the app's custom
 * topic (backup failures bridged from Azure Monitor). Thin: parse and classify (lib/events), react (lib/ops), map.
 * Garbage is classified `ignored` and logged with its reason, never thrown: Event Grid would retry it for a day.
 * Only failures to reach the durable store throw, so that Event Grid redelivers.
 */

/** The durable client as lib/ops needs it; the client reports unknown instances as HTTP 404 errors. */
export function durableReactionClient(client: DurableClient): ReactionClient {
  return {
    async status(instanceId) {
      try {
        const s = await client.getStatus(instanceId, { showInput: false });
        return { runtimeStatus: String(s.runtimeStatus), output: s.output };
      } catch (err) {
        if (err instanceof Error && /404/.test(err.message)) return undefined;
        throw err;
      }
    },
    async start(orchestration, instanceId, input) {
      await client.startNew(orchestration, { instanceId, input });
    },
    raise: (instanceId, eventName, data) => client.raiseEvent(instanceId, eventName, data),
  };
}

export async function handleEventGridEvent(
  event: unknown,
  client: ReactionClient,
  classifier: EventClassifier,
  options: ReactionOptions,
): Promise<{ outcomes: ReactionOutcome[]; rejected: string[] }> {
  const delivery = await classifyDelivery(JSON.stringify(event ?? null), classifier);
  if (!delivery.ok) return { outcomes: [], rejected: [`${delivery.problem.code}: ${delivery.problem.message}`] };
  const outcomes: ReactionOutcome[] = [];
  const rejected: string[] = [];
  for (const item of delivery.items) {
    if (!item.ok) rejected.push(`event ${item.index}: ${item.error}`);
    else outcomes.push(await react(item.event, client, options));
  }
  return { outcomes, rejected };
}

export function eventGridHandler(options: ReactionOptions = { spec: defaultSpec }) {
  const classifier = new EventClassifier({ spec: options.spec });
  return async (event: EventGridEvent, context: InvocationContext): Promise<void> => {
    const client = durableReactionClient(df.getClient(context));
    const { outcomes, rejected } = await handleEventGridEvent(event, client, classifier, options);
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
