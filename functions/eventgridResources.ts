import { app, type EventGridEvent, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import {
  dispatchResourceEvent,
  driftEnvironmentsOf,
  driftSettings,
  type DriftDispatchOutcome,
  type DriftEnvironments,
} from "../lib/drift";
import { parseDeliveryValue } from "../lib/events";
import { Functions } from "../lib/function-names";
import type { ReactionClient } from "../lib/ops/reactions-dispatch";
import type { PlatformSpec } from "../lib/spec";
import { durableReactionClient } from "./eventgrid";
import { environmentRegistry } from "./shared/environments";

/**
 * The subscription's Resources events (write / delete / action success), filtered to the platforms' groups by the
 * Event Grid subscription (infra): a write by anyone but the app to a group of a registered environment marks that
 * environment's unit suspect and joins its drift watch (lib/drift). Garbage is logged and answered, never thrown
 * (Event Grid would retry it for a day); only a failure to reach the durable store or the registry throws, so that
 * Event Grid redelivers.
 */

export async function handleResourceEvent(
  event: unknown,
  client: ReactionClient,
  environments: DriftEnvironments,
  appObjectIds: readonly string[],
): Promise<{ outcomes: DriftDispatchOutcome[]; rejected: string[] }> {
  const delivery = await parseDeliveryValue(event);
  if (!delivery.ok) return { outcomes: [], rejected: [`${delivery.problem.code}: ${delivery.problem.message}`] };
  const outcomes: DriftDispatchOutcome[] = [];
  const rejected: string[] = [];
  for (const item of delivery.items) {
    if (!item.ok) rejected.push(`event ${item.index}: ${item.error}`);
    else outcomes.push(await dispatchResourceEvent(item.envelope, { environments, appObjectIds }, client));
  }
  return { outcomes, rejected };
}

/** The registered environments' specs (an offered seed that was never built has nothing to drift). */
export async function registeredSpecs(): Promise<PlatformSpec[]> {
  return (await (await environmentRegistry()).registered()).map((r) => r.spec);
}

export function resourceEventHandler(
  specs: () => Promise<PlatformSpec[]> = registeredSpecs,
  appObjectIds: () => readonly string[] = () => driftSettings().appObjectIds,
  clientOf: (context: InvocationContext) => ReactionClient = (context) => durableReactionClient(df.getClient(context)),
) {
  const environmentsOf = driftEnvironmentsOf();
  // A group of no registered environment (the subscription's other workloads) is logged once, not per event.
  const unknownGroupsLogged = new Set<string>();
  return async (event: EventGridEvent, context: InvocationContext): Promise<void> => {
    const client = clientOf(context);
    const environments = environmentsOf(await specs());
    const { outcomes, rejected } = await handleResourceEvent(event, client, environments, appObjectIds());
    for (const r of rejected) context.warn(`${context.functionName}: ignored, not an event: ${r}`);
    for (const o of outcomes) {
      if (o.unknownGroup !== undefined) {
        if (unknownGroupsLogged.has(o.unknownGroup)) continue;
        unknownGroupsLogged.add(o.unknownGroup);
        context.log(
          `${context.functionName}: resource group ${o.unknownGroup} belongs to no registered environment; its events are ignored (logged once)`,
        );
        continue;
      }
      context.log(
        `${context.functionName}: ${o.eventId} → ${o.action}${o.environment ? ` ${o.environment}` : ""}${o.unit ? ` ${o.unit}` : ""}${o.instanceId ? ` ${o.instanceId}` : ""}: ${o.reason}`,
      );
    }
  };
}

app.eventGrid(Functions.eventgridResources, {
  extraInputs: [df.input.durableClient()],
  handler: resourceEventHandler(),
});
