import { z } from "zod";

/**
 * Injected faults, matched by rule. Request faults (`throttle`, `error`, `malformed`) answer a matching ARM
 * request before it is handled (a `malformed` answer is a success status with a body that is not JSON, `text`,
 * or not the documented shape, `json`); deployment faults (`failResource`, `slow`) change how matching resources of later
 * deployments behave. `times` bounds how often a rule fires (omitted = until removed).
 */

const matchSchema = z
  .object({
    method: z.string().toUpperCase().optional(),
    /** Case-insensitive substring of the request path (without query); for deployment faults, of the resource id. */
    path: z.string().optional(),
    /** Resource type (case-insensitive) for deployment faults; any type when omitted. */
    resourceType: z.string().optional(),
  })
  .strict();

export const faultRuleSchema = z
  .object({
    match: matchSchema.default({}),
    effect: z.discriminatedUnion("kind", [
      z.object({ kind: z.literal("throttle"), retryAfterSeconds: z.number().int().min(0).default(1) }).strict(),
      z
        .object({
          kind: z.literal("error"),
          status: z.number().int().min(400).max(599),
          code: z.string().min(1),
          message: z.string().optional(),
        })
        .strict(),
      z
        .object({
          kind: z.literal("failResource"),
          code: z.string().default("ResourceDeploymentFailure"),
          message: z.string().optional(),
        })
        .strict(),
      z.object({ kind: z.literal("slow"), factor: z.number().positive() }).strict(),
      /** Every matching request waits this long before it is answered (network or service latency). */
      z.object({ kind: z.literal("latency"), ms: z.number().int().min(0).max(60_000) }).strict(),
      z
        .object({
          kind: z.literal("malformed"),
          status: z.number().int().min(200).max(299).default(200),
          /** Sent as is, still labelled application/json; a gateway's error page by default. */
          text: z.string().optional(),
          /** Valid JSON of the wrong shape, e.g. `{"value": {"not": "a list"}}`. */
          json: z.unknown().optional(),
        })
        .strict()
        .refine((e) => e.text === undefined || e.json === undefined, { message: "give text or json, not both" }),
    ]),
    times: z.number().int().positive().optional(),
  })
  .strict();

export type FaultRuleInput = z.input<typeof faultRuleSchema>;
export type FaultRule = z.output<typeof faultRuleSchema> & { id: string; fired: number };
export type FaultEffect = FaultRule["effect"];

export class FaultRegistry {
  private rules: FaultRule[] = [];
  private next = 1;

  add(input: FaultRuleInput): FaultRule {
    const parsed = faultRuleSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`invalid fault rule at ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
    }
    const rule: FaultRule = { ...parsed.data, id: `fault-${this.next++}`, fired: 0 };
    this.rules.push(rule);
    return rule;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < before;
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** The first request fault matching this request (consumed once). */
  takeRequestFault(method: string, path: string): FaultEffect | undefined {
    return this.take(
      (r) =>
        (r.effect.kind === "throttle" || r.effect.kind === "error" || r.effect.kind === "malformed") &&
        (r.match.method === undefined || r.match.method === method.toUpperCase()) &&
        (r.match.path === undefined || path.toLowerCase().includes(r.match.path.toLowerCase())),
    );
  }

  /** Added latency of the first latency rule matching this request (0 when none). */
  requestLatencyMs(method: string, path: string): number {
    const effect = this.take(
      (r) =>
        r.effect.kind === "latency" &&
        (r.match.method === undefined || r.match.method === method.toUpperCase()) &&
        (r.match.path === undefined || path.toLowerCase().includes(r.match.path.toLowerCase())),
    );
    return effect?.kind === "latency" ? effect.ms : 0;
  }

  /**
   * The first deployment fault of `kind` matching a resource type and, when the rule has a `path`, a resource id
   * containing it (consumed once), e.g. one cluster of several.
   */
  takeResourceFault<K extends "failResource" | "slow">(
    kind: K,
    type: string,
    resourceId?: string,
  ): Extract<FaultEffect, { kind: K }> | undefined {
    const effect = this.take(
      (r) =>
        r.effect.kind === kind &&
        (r.match.resourceType === undefined || r.match.resourceType.toLowerCase() === type.toLowerCase()) &&
        (r.match.path === undefined ||
          (resourceId !== undefined && resourceId.toLowerCase().includes(r.match.path.toLowerCase()))),
    );
    return effect as Extract<FaultEffect, { kind: K }> | undefined;
  }

  private take(pred: (r: FaultRule) => boolean): FaultEffect | undefined {
    const rule = this.rules.find(pred);
    if (!rule) return undefined;
    rule.fired += 1;
    if (rule.times !== undefined && rule.fired >= rule.times) this.remove(rule.id);
    return rule.effect;
  }
}
