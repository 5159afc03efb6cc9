import { z } from "zod";
import { injectBackupFailures, setProtection } from "./backup";
import { evictNodes, setSpotCapacity } from "./cluster";
import { setUpgradeFaults, upgradeFaultSchema, type ClusterUpgradeSim } from "./upgrade";
import { advance } from "./engine";
import type { EventSubscription } from "./events";
import type { FaultRule, FaultRuleInput } from "./faults";
import { ArmHttpError, type Reply } from "./http";
import { key } from "./ids";
import { resourceView, type ClusterSim, type SandboxContext, type SimNode } from "./state";
import type { CountersSnapshot } from "./throttle";

/**
 * Test and local-host control over the sandbox: faults, clock, cluster state, backup failures and protection,
 * counters.
 * The same `SandboxControl` backs the in-process handle and the HTTP API under /_sandbox/.
 */

export const evictSchema = z
  .object({
    nodes: z.array(z.string()).optional(),
    zone: z.string().optional(),
    count: z.number().int().positive().optional(),
  })
  .strict();
export const backupFailureSchema = z
  .object({
    backupInstance: z.string().optional(),
    /** Which jobs fail: scheduled and ad-hoc backups, or restores. */
    operation: z.enum(["Backup", "Restore"]).default("Backup"),
    count: z.number().int().positive().default(1),
    /** Default per operation: UserErrorKubernetesBackupFailed / UserErrorKubernetesRestoreFailed. */
    code: z.string().min(1).optional(),
    message: z.string().optional(),
  })
  .strict();
export const protectionSchema = z
  .object({
    backupInstance: z.string().min(1),
    /** `protectionStatus.status`, e.g. ProtectionStopped, ProtectionError, ProtectionConfigured. */
    status: z.string().min(1),
    /** `currentProtectionState`; the status when omitted. */
    currentProtectionState: z.string().min(1).optional(),
    /** `protectionStatus.errorDetails`. */
    errorDetails: z
      .object({ code: z.string().min(1), message: z.string() })
      .strict()
      .optional(),
  })
  .strict();
export const eventSubscriptionSchema = z
  .object({ endpoint: z.url(), resourceGroups: z.array(z.string().min(1)).optional() })
  .strict();
const clockSchema = z
  .object({ advanceSeconds: z.number().min(0).optional(), timeScale: z.number().positive().optional() })
  .strict();

export class SandboxControl {
  constructor(
    private readonly ctx: SandboxContext,
    private readonly onChange: () => void,
  ) {}

  private changed<T>(value: T): T {
    advance(this.ctx);
    this.onChange();
    return value;
  }

  counters(): CountersSnapshot {
    return this.ctx.counters.snapshot();
  }

  resetCounters(): void {
    this.ctx.counters.reset();
  }

  now(): Date {
    return new Date(this.ctx.clock.now());
  }

  /** Jumps the simulated clock forward and processes everything that became due. */
  advanceClock(seconds: number): Date {
    advance(this.ctx);
    this.ctx.clock.advance(seconds);
    return this.changed(this.now());
  }

  setTimeScale(timeScale: number): void {
    this.ctx.clock.setTimeScale(timeScale);
  }

  addFault(rule: FaultRuleInput): FaultRule {
    return this.ctx.faults.add(rule);
  }

  removeFault(id: string): boolean {
    return this.ctx.faults.remove(id);
  }

  clearFaults(): void {
    this.ctx.faults.clear();
  }

  faults(): FaultRule[] {
    return this.ctx.faults.list();
  }

  /** A cluster by name (or full resource id when names repeat across groups). */
  cluster(nameOrId: string): ClusterSim {
    advance(this.ctx);
    const matches = Object.values(this.ctx.data.clusters).filter(
      (c) => key(c.id) === key(nameOrId) || c.name.toLowerCase() === nameOrId.toLowerCase(),
    );
    if (matches.length === 0)
      throw new ArmHttpError(
        404,
        "ResourceNotFound",
        `no simulated cluster '${nameOrId}' (deploy a managedClusters resource first)`,
      );
    if (matches.length > 1)
      throw new ArmHttpError(
        409,
        "Ambiguous",
        `cluster name '${nameOrId}' exists in several groups; use its resource id`,
      );
    return matches[0]!;
  }

  clusters(): ClusterSim[] {
    advance(this.ctx);
    return Object.values(this.ctx.data.clusters);
  }

  evict(cluster: string, select: z.input<typeof evictSchema> = {}): SimNode[] {
    const parsed = evictSchema.parse(select);
    return this.changed(evictNodes(this.ctx, this.cluster(cluster), { ...parsed }));
  }

  setSpotCapacity(cluster: string, capacity: Record<string, boolean>): void {
    setSpotCapacity(this.ctx, this.cluster(cluster), capacity);
    this.changed(undefined);
  }

  setUpgradeFaults(cluster: string, input: z.input<typeof upgradeFaultSchema>): ClusterUpgradeSim["faults"] {
    advance(this.ctx);
    return this.changed(setUpgradeFaults(this.ctx, this.cluster(cluster), input));
  }

  injectBackupFailures(input: z.input<typeof backupFailureSchema> = {}): void {
    const f = backupFailureSchema.parse(input);
    advance(this.ctx);
    injectBackupFailures(
      this.ctx,
      f.operation,
      f.backupInstance,
      f.count,
      f.code ?? `UserErrorKubernetes${f.operation}Failed`,
      f.message ?? `Injected ${f.operation.toLowerCase()} job failure.`,
    );
    this.changed(undefined);
  }

  /** Protection stopped, suspended or in error, as Azure would report it (until the instance is redeployed). */
  setProtection(input: z.input<typeof protectionSchema>): void {
    const p = protectionSchema.parse(input);
    advance(this.ctx);
    setProtection(this.ctx, p.backupInstance, {
      status: p.status,
      currentProtectionState: p.currentProtectionState ?? p.status,
      ...(p.errorDetails !== undefined ? { errorDetails: p.errorDetails } : {}),
    });
    this.changed(undefined);
  }

  resources(): unknown[] {
    advance(this.ctx);
    return Object.values(this.ctx.data.resources).map(resourceView);
  }

  /** Resources events of the subscription go to `endpoint` from now on (a local host's Event Grid webhook). */
  subscribeEvents(input: z.output<typeof eventSubscriptionSchema>): EventSubscription {
    return this.ctx.events.subscribe(input);
  }

  eventSubscriptions(): EventSubscription[] {
    return this.ctx.events.list();
  }

  unsubscribeEvents(id: string): boolean {
    return this.ctx.events.unsubscribe(id);
  }
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ArmHttpError(
      400,
      "InvalidRequestContent",
      `invalid control request at '${issue?.path.join(".") ?? ""}': ${issue?.message ?? "invalid"}`,
    );
  }
  return r.data;
}

/** HTTP control API: `/_sandbox/{health,counters,clock,faults,clusters,backup/{failures,protection},resources}`. */
export function routeControl(
  control: SandboxControl,
  method: string,
  path: string,
  body: unknown,
  info: Record<string, unknown>,
): Reply {
  const parts = path.split("/").filter(Boolean).slice(1).map(decodeURIComponent);
  const [area, id, action] = parts;
  const ok = (b: unknown, status = 200): Reply => ({ status, body: b });
  switch (`${method} ${area ?? ""}${id !== undefined ? "/:id" : ""}${action !== undefined ? `/${action}` : ""}`) {
    case "GET health":
      return ok({ ...info, now: control.now().toISOString() });
    case "GET counters":
      return ok(control.counters());
    case "POST counters/:id":
      if (id !== "reset") break;
      control.resetCounters();
      return ok(control.counters());
    case "GET clock":
      return ok({ now: control.now().toISOString() });
    case "POST clock": {
      const c = parse(clockSchema, body);
      if (c.timeScale !== undefined) control.setTimeScale(c.timeScale);
      return ok({ now: control.advanceClock(c.advanceSeconds ?? 0).toISOString() });
    }
    case "GET faults":
      return ok(control.faults());
    case "POST faults":
      try {
        return ok(control.addFault(body as FaultRuleInput), 201);
      } catch (err) {
        throw new ArmHttpError(400, "InvalidRequestContent", err instanceof Error ? err.message : String(err));
      }
    case "DELETE faults":
      control.clearFaults();
      return { status: 204 };
    case "DELETE faults/:id":
      if (!control.removeFault(id!)) throw new ArmHttpError(404, "NotFound", `no fault rule '${id!}'`);
      return { status: 204 };
    case "GET clusters":
      return ok(control.clusters());
    case "GET clusters/:id":
      return ok(control.cluster(id!));
    case "POST clusters/:id/evict":
      return ok({ evicted: control.evict(id!, parse(evictSchema, body)) });
    case "POST clusters/:id/spot-capacity":
      control.setSpotCapacity(id!, parse(z.record(z.string(), z.boolean()), body));
      return ok(control.cluster(id!).spotCapacity);
    case "POST clusters/:id/upgrade-faults":
      return ok(control.setUpgradeFaults(id!, parse(upgradeFaultSchema, body)));
    case "POST backup/:id":
      if (id === "failures") {
        control.injectBackupFailures(parse(backupFailureSchema, body));
        return { status: 204 };
      }
      if (id === "protection") {
        control.setProtection(parse(protectionSchema, body));
        return { status: 204 };
      }
      break;
    case "GET resources":
      return ok(control.resources());
    case "GET eventsubscriptions":
      return ok(control.eventSubscriptions());
    case "POST eventsubscriptions":
      try {
        return ok(control.subscribeEvents(parse(eventSubscriptionSchema, body)), 201);
      } catch (err) {
        if (err instanceof ArmHttpError) throw err;
        throw new ArmHttpError(400, "InvalidRequestContent", err instanceof Error ? err.message : String(err));
      }
    case "DELETE eventsubscriptions/:id":
      if (!control.unsubscribeEvents(id!)) throw new ArmHttpError(404, "NotFound", `no event subscription '${id!}'`);
      return { status: 204 };
  }
  throw new ArmHttpError(404, "NotFound", `unknown sandbox control endpoint ${method} ${path}`);
}
