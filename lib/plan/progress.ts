import type { PlatformSpec } from "../spec/schema";
import type { DeploymentUnit, PhaseName } from "./types";
import type { PlannedResourceChange } from "./what-if";
import { PHASES } from "./types";
import { CUSTOM_STATUS_LIMIT_BYTES, customStatusBytes } from "../custom-status";

/**
 * The state of a build as the provisioning orchestrations report it (custom status, HTTP status endpoint, CLI
 * progress, the Gantt timeline). Everything here is pure and deterministic so orchestrators can use it.
 */

export type DeploymentState = "pending" | "running" | "succeeded" | "failed" | "skipped";

export interface ArmErrorInfo {
  code: string;
  message: string;
  /** Resource the failing operation targeted, when ARM named one. */
  target?: string;
  details?: ArmErrorInfo[];
}

export interface WhatIfSummary {
  create: number;
  modify: number;
  delete: number;
  noChange: number;
  ignore: number;
  /** `changeType: resourceId` lines for everything that is not NoChange/Ignore. */
  changes: string[];
  /** Each resource with its action and the property paths that change (noise removed), for `plan` per resource. */
  resources?: PlannedResourceChange[];
}

/**
 * The deployments a build's custom status lists: those of one group (the shared ones when `cluster` is undefined,
 * else one cluster's), in their polled form: without the what-if and the ARM correlation id, which travel in the
 * output (no size cap). Durable caps a status at 16 KB of UTF-16 JSON (lib/custom-status): the seed what-if's
 * per-resource changes alone are about 26 KB, and a 12-cluster build's 114 deployments about 40 KB even polled.
 * So the build lists the shared deployments (and what it ran of a cluster before the hand-over,
 * `buildStatusDeployments`) and each cluster sub-orchestration its cluster's; readers merge them (lib/api/builds
 * `mergedStatus`) and take a completed build's deployments from its output.
 */
export function statusDeployments(
  deployments: readonly DeploymentProgress[],
  cluster: string | undefined,
): DeploymentProgress[] {
  return deployments.filter((d) => d.cluster === cluster).map(polled);
}

function polled({ whatIf: _whatIf, correlationId: _correlationId, ...rest }: DeploymentProgress): DeploymentProgress {
  return rest;
}

/** The share of Durable's 16 KB the build's own status fills with deployments; the rest is margin (stage, cancel). */
export const BUILD_STATUS_BUDGET_BYTES = Math.floor(0.7 * CUSTOM_STATUS_LIMIT_BYTES);

/** Which started per-cluster deployments the build's status keeps first when they do not all fit. */
const LISTING_ORDER: Record<DeploymentState, number> = { running: 0, failed: 1, succeeded: 2, skipped: 3, pending: 4 };

/**
 * The build's own status list: every shared deployment, and the per-cluster deployments the build started itself
 * (its first stage, before it hands a cluster to its sub-orchestration) that no child's status lists, as many as
 * fit `BUILD_STATUS_BUDGET_BYTES` of the whole status, running and failed ones first, in plan order; `unlisted`
 * counts the rest. A 12-cluster first stage runs about 60 of them, 25 KB polled: more than the cap. The seed's fit.
 */
export function buildStatusDeployments(
  status: BuildStatus,
  deployments: readonly DeploymentProgress[],
  listedByChildren: ReadonlySet<string>,
): { deployments: DeploymentProgress[]; unlisted: number } {
  const { unlistedDeployments: _unlisted, ...rest } = status;
  // JSON characters, two bytes each in UTF-16; room kept for `"unlistedDeployments":N`.
  let chars = customStatusBytes({ ...rest, deployments: statusDeployments(deployments, undefined) }) / 2 + 32;
  const started = deployments.filter(
    (d) => d.cluster !== undefined && d.state !== "pending" && !listedByChildren.has(d.name),
  );
  const kept = new Set<string>();
  for (const d of [...started].sort((a, b) => LISTING_ORDER[a.state] - LISTING_ORDER[b.state])) {
    const size = JSON.stringify(polled(d)).length + 1;
    if ((chars + size) * 2 > BUILD_STATUS_BUDGET_BYTES) continue;
    chars += size;
    kept.add(d.name);
  }
  return {
    deployments: deployments.filter((d) => d.cluster === undefined || kept.has(d.name)).map(polled),
    unlisted: started.length - kept.size,
  };
}

export interface DeploymentProgress {
  name: string;
  phase: PhaseName;
  cluster?: string;
  state: DeploymentState;
  startedAt?: string;
  endedAt?: string;
  correlationId?: string;
  /** True when a succeeded deployment with identical template and parameters was found and not redone. */
  reused?: boolean;
  error?: ArmErrorInfo;
  whatIf?: WhatIfSummary;
}

export interface PhaseProgress {
  name: PhaseName;
  state: DeploymentState;
  startedAt?: string;
  endedAt?: string;
}

/** Input of the `provisionPlatform` orchestration. */
export interface BuildInput {
  spec: PlatformSpec;
  mode: BuildMode;
  /** Cap on one deployment's running time; absent, each deployment's limit scales with its expected duration. */
  maxDeploymentSeconds?: number;
}

/** Custom status of the `provisionPlatform` orchestration: enough to draw progress and a timeline. */
export interface BuildStatus {
  environment: string;
  mode: BuildMode;
  runId: string;
  stage: "planning" | "shared" | "clusters" | "finishing" | "cancelling" | "done";
  startedAt: string;
  /** Set when a cancel reached the build: from then on nothing new starts and running deployments are cancelled. */
  cancelRequestedAt?: string;
  istioRevision?: string;
  /** Of every deployment, however many clusters (a handful of phases). */
  phases: PhaseProgress[];
  /**
   * In the custom status, the shared deployments and the per-cluster ones the build ran itself that no child lists
   * (`buildStatusDeployments`); merged with the children's by `mergedStatus`, all.
   */
  deployments: DeploymentProgress[];
  /** Per-cluster deployments the build started that its status had no room for (see `buildStatusDeployments`). */
  unlistedDeployments?: number;
  /** Sub-orchestrations whose own custom status carries their live progress (a cluster's deployments). */
  children: { label: string; instanceId: string }[];
}

/**
 * Output of a finished build (a failed build throws with `describeFailures`; its status keeps the details). A
 * what-if always completes with it: a unit ARM could not evaluate is `failed` in it, beside every unit it did.
 */
export interface BuildResult {
  environment: string;
  mode: BuildMode;
  succeeded: boolean;
  startedAt: string;
  endedAt: string;
  deployments: DeploymentProgress[];
  /** Present when the build was cancelled: it ended early on purpose (not a failure). */
  canceled?: BuildCancellation;
}

/** What a cancel did to the work that was running when it arrived. */
export interface BuildCancellation {
  requestedAt: string;
  /** The request that asked for the cancel (`POST /api/…/provision/cancel`), when the event said. */
  request?: string;
  /** Who asked, when the request named its caller (App Service authentication). */
  requestedBy?: string;
  /** Deployments ARM accepted a cancel for (they ended Canceled, or finished before the cancel took effect). */
  cancelledInArm: string[];
  /** Deployments ARM would not cancel (already finishing): they were awaited to their end, which is reported. */
  awaited: string[];
  /** Deployments never started because of the cancel. */
  notStarted: string[];
}

/** `redeploy`: deploy even when an identical deployment already succeeded (drift remediation puts resources back). */
export type BuildMode = "deploy" | "whatif" | "redeploy";

/** The outputs of succeeded deployments, by deployment name then output name. */
export type OutputsByDeployment = Record<string, Record<string, unknown>>;

/** Units whose dependencies have all succeeded and that have not started yet. */
export function runnableUnits(
  units: readonly DeploymentUnit[],
  states: ReadonlyMap<string, DeploymentState>,
): DeploymentUnit[] {
  return units.filter(
    (u) => (states.get(u.name) ?? "pending") === "pending" && u.dependsOn.every((d) => states.get(d) === "succeeded"),
  );
}

/** Pending units that can never run because a dependency failed or was skipped (transitively, in one pass order). */
export function blockedUnits(
  units: readonly DeploymentUnit[],
  states: ReadonlyMap<string, DeploymentState>,
): DeploymentUnit[] {
  return units.filter(
    (u) =>
      (states.get(u.name) ?? "pending") === "pending" &&
      u.dependsOn.some((d) => states.get(d) === "failed" || states.get(d) === "skipped"),
  );
}

/** Marks a parameter whose value is an output that does not exist yet (what-if of deployments not made yet). */
export interface MissingOutput {
  $deferred: string;
}

export function isMissingOutput(value: unknown): value is MissingOutput {
  return typeof value === "object" && value !== null && typeof (value as MissingOutput).$deferred === "string";
}

/**
 * Parameters of a unit with its output references filled in from earlier deployments' outputs. A missing output
 * is an error, or with `deferMissing` (what-if) a `{ $deferred }` marker naming it.
 */
export function resolveParameters(
  unit: DeploymentUnit,
  outputs: OutputsByDeployment,
  options: { deferMissing?: boolean } = {},
): Record<string, unknown> {
  const resolved: Record<string, unknown> = { ...unit.parameters };
  for (const [param, ref] of Object.entries(unit.outputParameters)) {
    const fromDeployment = outputs[ref.deployment];
    if (!fromDeployment || !(ref.output in fromDeployment)) {
      if (options.deferMissing) {
        resolved[param] = {
          $deferred: `[output ${ref.output} of deployment ${ref.deployment}]`,
        } satisfies MissingOutput;
        continue;
      }
      throw new Error(
        `deployment ${unit.name}: parameter '${param}' needs output '${ref.output}' of deployment ${ref.deployment}, which has not produced it`,
      );
    }
    resolved[param] = fromDeployment[ref.output];
  }
  return resolved;
}

/** Phase states derived from the deployments in each phase (a phase with nothing to do is `succeeded`). */
export function phaseProgress(deployments: readonly DeploymentProgress[]): PhaseProgress[] {
  return PHASES.map((name) => {
    const inPhase = deployments.filter((d) => d.phase === name);
    const starts = inPhase
      .map((d) => d.startedAt)
      .filter((s): s is string => s !== undefined)
      .sort();
    const ends = inPhase
      .map((d) => d.endedAt)
      .filter((s): s is string => s !== undefined)
      .sort();
    const states = new Set(inPhase.map((d) => d.state));
    const state: DeploymentState = states.has("running")
      ? "running"
      : states.has("pending")
        ? starts.length > 0
          ? "running"
          : "pending"
        : states.has("failed")
          ? "failed"
          : states.has("skipped")
            ? "skipped"
            : "succeeded";
    const done = state === "succeeded" || state === "failed" || state === "skipped";
    return {
      name,
      state,
      ...(starts[0] !== undefined ? { startedAt: starts[0] } : {}),
      ...(done && ends.length > 0 ? { endedAt: ends[ends.length - 1] } : {}),
    };
  });
}

/** The failed build's message: every failure, each with its ARM error, so nothing needs digging out of logs. */
export function describeFailures(environment: string, failures: readonly DeploymentProgress[]): string {
  const lines = failures.map(
    (d) =>
      `- ${d.name}${d.cluster ? ` (cluster ${d.cluster})` : ""}: ${d.state}: ${d.error ? describeCause(d.error) : "no details"}`,
  );
  return `build of ${environment} finished with ${failures.length} deployment(s) not succeeded:\n${lines.join("\n")}`;
}

/**
 * The errors that caused a failure: the leaves of ARM's error tree (`DeploymentFailed` → `ResourceDeploymentFailure`
 * → `QuotaExceeded`), each with the nearest target resource named on its way down. The wrapper itself only when it
 * has no details.
 */
export function rootCauses(error: ArmErrorInfo, inheritedTarget?: string): ArmErrorInfo[] {
  const target = error.target ?? inheritedTarget;
  if (!error.details || error.details.length === 0)
    return [{ code: error.code, message: error.message, ...(target !== undefined ? { target } : {}) }];
  return error.details.flatMap((d) => rootCauses(d, target));
}

/** One line naming the innermost cause (code, message, resource), and how many more causes there are. */
export function describeCause(error: ArmErrorInfo): string {
  const [first, ...more] = rootCauses(error);
  const cause = first!;
  return (
    `${cause.code}: ${cause.message}` +
    (cause.target !== undefined ? ` (resource ${cause.target})` : "") +
    (more.length > 0 ? ` (+${more.length} more)` : "")
  );
}

/** The innermost cause of every deployment that failed (not those skipped because of them): what a person reads first. */
export function failureCauses(
  deployments: readonly DeploymentProgress[],
): ({ deployment: string; cluster?: string } & ArmErrorInfo)[] {
  return deployments
    .filter((d) => d.state === "failed" && d.error !== undefined)
    .map((d) => ({
      deployment: d.name,
      ...(d.cluster !== undefined ? { cluster: d.cluster } : {}),
      ...rootCauses(d.error!)[0]!,
    }));
}
