import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { routeEnvironment, type BuildAcceptance } from "../../lib/api/environments";
import { azureContext, ResourceGroupsAdapter } from "../../lib/azure";
import { EnvironmentRegistry, offeredSeed, withSubscription } from "../../lib/environments";
import { buildStartProblem } from "../../lib/environments/start";
import { createNotifierFromEnv, messages } from "../../lib/notify";
import { armConnection } from "../../orchestrations/shared/arm";
import { toApiRequest, toHttpResponse } from "./httpAdapter";

type HttpHandler = (request: HttpRequest, context: InvocationContext) => HttpResponseInit | Promise<HttpResponseInit>;

/** A request about an environment's what-if: read-only, it registers nothing, so its environment may be unknown. */
export const aboutWhatIf = (request: HttpRequest): boolean => request.query.get("mode") === "whatif";

/**
 * A route handler that only runs for a known environment: a `{env}` that is no environment name is a 400 naming
 * it, an unregistered one a 404 naming the known ones, whatever the route does with it (`except` lets the build's
 * `POST` through: it registers new environments).
 */
export function forKnownEnvironment(
  handler: HttpHandler,
  except: (request: HttpRequest) => boolean = () => false,
): HttpHandler {
  return async (request, context) => {
    if (!except(request)) {
      const found = await routeEnvironment(toApiRequest(request), await environmentRegistry());
      if (!found.ok) return toHttpResponse(found.response);
    }
    return handler(request, context);
  };
}

/** The app's registry of environments, in the Functions host's own storage account (Azurite locally). */
export function environmentRegistry(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<EnvironmentRegistry> {
  return EnvironmentRegistry.open({ storage: azureContext().hostStorage(env) }, env);
}

/** The registry and ARM behind a build's acceptance: the offered seed, the start check, the record, one alert. */
export function buildAcceptance(
  registry: EnvironmentRegistry,
  env: Readonly<Record<string, string | undefined>> = process.env,
): BuildAcceptance {
  return {
    offered: () => offeredSeed(env),
    prepare: (spec) => withSubscription(spec, env),
    cannotStart: (spec) =>
      buildStartProblem(spec, () =>
        new ResourceGroupsAdapter(armConnection(), spec.subscriptionId).list({
          abortSignal: AbortSignal.timeout(20_000),
        }),
      ),
    async accepted(spec) {
      await registry.recordBuildAccepted(spec, new Date());
    },
    async refused(spec, cause) {
      const now = new Date();
      await registry.recordBuildAccepted(spec, now);
      const at = now.toISOString();
      await registry.recordWorkEnded(spec, {
        kind: "build",
        outcome: "failed",
        error: cause,
        startedAt: at,
        endedAt: at,
      });
      const notifier = await createNotifierFromEnv(env, spec.name, spec.notifications, {
        storage: azureContext().hostStorage(env),
      });
      await notifier.notify(
        messages.provisioningFailed({
          environment: spec.name,
          correlationId: `refused:${spec.name}:${now.toISOString()}`,
          occurredAt: now.toISOString(),
          instanceId: "(not started)",
          completedPhases: 0,
          failures: [{ phase: "start", unit: "subscription", message: cause }],
        }),
      );
    },
  };
}
