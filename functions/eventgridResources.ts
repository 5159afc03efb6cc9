import { app, type EventGridEvent, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import {
  dispatchResourceEvent,
  driftScope,
  driftSettings,
  type DriftDispatchOutcome,
  type DriftScope,
} from "../lib/drift";
import { parseDeliveryValue } from "../lib/events";
import { Functions } from "../lib/function-names";
import type { ReactionClient } from "../lib/ops/reactions-dispatch";
import { defaultSpec, type PlatformSpec } from "../lib/spec";
import { durableReactionClient } from "./eventgrid";

/**
 * The subscription's Resources events (write / delete / action success), filtered to the platform's groups by the
 * Event Grid subscription (infra): a write by anyone but the app marks its unit suspect and joins the drift watch
 * (lib/drift). Garbage is logged and answered, never thrown (Event Grid would retry it for a day); only a failure to
 * reach the durable store throws, so that Event Grid redelivers.
 */
/** The scope expands every template: once per spec object, not once per event. */
const scopes = new WeakMap<PlatformSpec, DriftScope>();
function scopeOf(spec: PlatformSpec): DriftScope {
  let scope = scopes.get(spec);
  if (!scope) scopes.set(spec, (scope = driftScope(spec)));
  return scope;
}

export async function handleResourceEvent(
  event: unknown,
  client: ReactionClient,
  spec: PlatformSpec,
  appObjectIds: readonly string[],
): Promise<{ outcomes: DriftDispatchOutcome[]; rejected: string[] }> {
  const delivery = await parseDeliveryValue(event);
  if (!delivery.ok) return { outcomes: [], rejected: [`${delivery.problem.code}: ${delivery.problem.message}`] };
  const scope = scopeOf(spec);
  const outcomes: DriftDispatchOutcome[] = [];
  const rejected: string[] = [];
  for (const item of delivery.items) {
    if (!item.ok) rejected.push(`event ${item.index}: ${item.error}`);
    else outcomes.push(await dispatchResourceEvent(item.envelope, { spec, scope, appObjectIds }, client));
  }
  return { outcomes, rejected };
}

export async function eventgridResources(event: EventGridEvent, context: InvocationContext): Promise<void> {
  const client = durableReactionClient(df.getClient(context));
  const { outcomes, rejected } = await handleResourceEvent(event, client, defaultSpec, driftSettings().appObjectIds);
  for (const r of rejected) context.warn(`${context.functionName}: ignored, not an event: ${r}`);
  for (const o of outcomes)
    context.log(
      `${context.functionName}: ${o.eventId} → ${o.action}${o.unit ? ` ${o.unit}` : ""}${o.instanceId ? ` ${o.instanceId}` : ""}: ${o.reason}`,
    );
}

app.eventGrid(Functions.eventgridResources, { extraInputs: [df.input.durableClient()], handler: eventgridResources });
