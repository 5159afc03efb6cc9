import type { EventGridEvent, InvocationContext } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { DRIFT_SWEEP_TICK_MINUTES, startDriftSweep } from "../../functions/driftSweep";
import { resourceEventHandler } from "../../functions/eventgridResources";
import { driftWatchInstanceId, sweepTick } from "../../lib/drift";
import type { ReactionClient } from "../../lib/ops/reactions-dispatch";
import { buildDeploymentUnits, networkSecurityGroupName } from "../../lib/plan/units";
import { defaultSpec, type PlatformSpec } from "../../lib/spec";
import type { DriftCheckInput, DriftWatchInput } from "../../orchestrations/drift/contracts";
import { specNamed } from "./helpers";

// Issue 21 across the registry: the Resources event function and the sweep read every registered environment's
// spec, so a write to one environment's group marks that environment's unit suspect (with its own drift policy),
// the sweep covers every environment without bunching their what-ifs, and groups of no environment are ignored.

const SUB = "11111111-2222-4333-8444-555555555555";

const seed = { ...defaultSpec, subscriptionId: SUB };
const lab = specNamed("lab", (raw) => {
  raw["subscriptionId"] = SUB;
  raw["drift"] = {
    mode: "remediate",
    autoRemediate: ["lab-network-app1"],
    quietPeriodSeconds: 30,
    sweepIntervalHours: 6,
  };
});

function nsgWrite(spec: PlatformSpec, id: string, caller = "99999999-0000-4000-8000-000000000001") {
  const cluster = spec.clusters.find((c) => c.name === "app1")!;
  const resourceUri = `/subscriptions/${SUB}/resourceGroups/${spec.commonResourceGroup}/providers/Microsoft.Network/networkSecurityGroups/${networkSecurityGroupName(spec, cluster)}`;
  return resourceWrite(resourceUri, id, caller);
}

function resourceWrite(resourceUri: string, id: string, caller: string) {
  return {
    id,
    eventType: "Microsoft.Resources.ResourceWriteSuccess",
    subject: resourceUri,
    eventTime: "2026-12-07T09:00:00Z",
    dataVersion: "2",
    metadataVersion: "1",
    topic: `/subscriptions/${SUB}`,
    data: {
      resourceUri,
      operationName: "Microsoft.Network/networkSecurityGroups/write",
      status: "Succeeded",
      claims: { "http://schemas.microsoft.com/identity/claims/objectidentifier": caller },
    },
  } as unknown as EventGridEvent;
}

/** Durable's instance semantics in memory: starts and raises recorded. */
function memoryClient() {
  const started: { instanceId: string; input: unknown }[] = [];
  const raised: string[] = [];
  const status = new Map<string, string>();
  const client: ReactionClient = {
    status: (id) => Promise.resolve(status.has(id) ? { runtimeStatus: status.get(id)! } : undefined),
    start(_name, instanceId, input) {
      started.push({ instanceId, input });
      status.set(instanceId, "Running");
      return Promise.resolve();
    },
    raise(instanceId) {
      raised.push(instanceId);
      return Promise.resolve();
    },
  };
  return { client, started, raised };
}

function invocation() {
  const lines: string[] = [];
  const context = {
    functionName: "eventgridResources",
    log: (m: string) => lines.push(m),
    warn: (m: string) => lines.push(`warn ${m}`),
  } as unknown as InvocationContext;
  return { context, lines };
}

describe("Resources events across the registry", () => {
  it("a write to lab's NSG starts lab's drift watch with lab's spec (its remediate policy), never the seed's", async () => {
    const { client, started } = memoryClient();
    let reads = 0;
    const handler = resourceEventHandler(
      () => {
        reads++;
        return Promise.resolve([seed, lab]);
      },
      () => [],
      () => client,
    );
    const { context } = invocation();
    await handler(nsgWrite(lab, "evt-lab"), context);
    expect(started.map((s) => s.instanceId)).toEqual([driftWatchInstanceId("lab")]);
    const input = started[0]!.input as DriftWatchInput;
    expect(input.spec.name).toBe("lab");
    expect(input.spec.drift).toMatchObject({ mode: "remediate", autoRemediate: ["lab-network-app1"] });
    expect(input.first).toMatchObject({ unit: "lab-network-app1", eventId: "evt-lab" });

    await handler(nsgWrite(seed, "evt-seed"), context);
    expect(started.map((s) => s.instanceId)).toEqual([driftWatchInstanceId("lab"), driftWatchInstanceId("k8s-demo")]);
    expect((started[1]!.input as DriftWatchInput).spec.drift.mode).toBe("report");
    // The registry is read on every delivery: an environment registered a minute ago is watched at once.
    expect(reads).toBe(2);
  });

  it("ignores the groups of no registered environment, logging each group once", async () => {
    const { client, started } = memoryClient();
    const handler = resourceEventHandler(
      () => Promise.resolve([seed, lab]),
      () => [],
      () => client,
    );
    const { context, lines } = invocation();
    const elsewhere = `/subscriptions/${SUB}/resourceGroups/rg-payroll/providers/Microsoft.Web/sites/payroll`;
    for (const id of ["e1", "e2", "e3"]) await handler(resourceWrite(elsewhere, id, "someone"), context);
    // An environment that is only offered (never built) has no groups to watch.
    await handler(nsgWrite(specNamed("ghost"), "e4"), context);
    expect(started).toEqual([]);
    expect(lines).toEqual([
      "eventgridResources: resource group rg-payroll belongs to no registered environment; its events are ignored (logged once)",
      "eventgridResources: resource group rg-ghost-common belongs to no registered environment; its events are ignored (logged once)",
    ]);
  });

  it("tells the app's own writes from a person's in every environment", async () => {
    const app = "00000000-0000-4000-8000-0000000000a1";
    const { client, started } = memoryClient();
    const handler = resourceEventHandler(
      () => Promise.resolve([seed, lab]),
      () => [app],
      () => client,
    );
    await handler(nsgWrite(lab, "own", app), invocation().context);
    expect(started).toEqual([]);
  });
});

describe("the sweep over every registered environment", () => {
  const unitsOf = (spec: PlatformSpec) =>
    buildDeploymentUnits(spec)
      .filter((u) => u.scope === "resourceGroup")
      .map((u) => u.name);

  it("checks every unit of every environment once per interval, each with its own spec", async () => {
    const checks = new Map<string, number>();
    const specsSeen = new Map<string, DriftCheckInput["spec"]>();
    const start = Date.parse("2026-12-07T00:00:00Z");
    for (let t = start + 600_000; t <= start + 6 * 3_600_000; t += DRIFT_SWEEP_TICK_MINUTES * 60_000) {
      await startDriftSweep([seed, lab], new Date(t), {
        start(_id, input) {
          for (const u of input.units ?? []) checks.set(u, (checks.get(u) ?? 0) + 1);
          specsSeen.set(input.spec.name, input.spec);
          return Promise.resolve();
        },
      });
    }
    const all = [...unitsOf(seed), ...unitsOf(lab)];
    expect(all.length).toBeGreaterThan(30);
    expect(all.map((u) => checks.get(u))).toEqual(all.map(() => 1));
    expect(specsSeen.get("lab")?.drift.mode).toBe("remediate");
    expect(specsSeen.get("k8s-demo")?.drift.mode).toBe("report");
  });

  it("interleaves the environments: never more what-ifs in a tick than the spread of all units allows", () => {
    // Five seed-sized environments: without the shift all five would check their unit i in the same tick.
    const environments = ["a", "b", "c", "d", "e"].map((name) => ({
      environment: name,
      units: Array.from({ length: 18 }, (_, i) => `${name}-${i}`),
      intervalHours: 6,
    }));
    const start = Date.parse("2026-12-07T00:00:00Z");
    let most = 0;
    for (let t = start + 600_000; t <= start + 6 * 3_600_000; t += 600_000) {
      const due = sweepTick(environments, t, 10).flatMap((d) => d.units);
      most = Math.max(most, due.length);
    }
    // 90 units over 36 ticks: at most ceil(90 / 36) = 3 in one tick.
    expect(most).toBeLessThanOrEqual(3);
  });
});
