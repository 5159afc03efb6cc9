import { applyProtectionChange, backupNextEvent, processBackupSchedule } from "./backup";
import { clusterNextEvent, processClusterEvent, runClusterCommand } from "./cluster";
import { nextDeploymentEvent, type SimEvent } from "./deployments";
import { ArmHttpError } from "./http";
import { key } from "./ids";
import { deleteResourceTree } from "./resources";
import { nextId, type SandboxContext, type TimedOp } from "./state";
import { finishNetworkManagerCommit } from "./networkManager";
import { finishUpgradeOp } from "./upgrade";

/**
 * Moves the simulation forward to the current simulated time, processing every due event in time order:
 * deployment steps, timed operations (deletes, run commands, what-if, backups, restores), the daily backup schedule
 * and Karpenter node provisioning. State only changes here and in request handlers, so a request always
 * sees a consistent "now".
 */

/** Starts a timed operation on a resource of `resourceType` (an injected `slow` fault stretches it). */
export function startOp(
  ctx: SandboxContext,
  op: Omit<TimedOp, "id" | "startedAt" | "finishAt" | "status">,
  baseSeconds: number,
  resourceType: string,
): TimedOp {
  const seconds = baseSeconds * (ctx.faults.takeResourceFault("slow", resourceType)?.factor ?? 1);
  const now = ctx.clock.now();
  const full: TimedOp = {
    ...op,
    id: nextId(ctx, "aop"),
    startedAt: now,
    finishAt: now + seconds * 1000,
    status: "InProgress",
  };
  ctx.data.ops[full.id] = full;
  return full;
}

function finishOp(ctx: SandboxContext, op: TimedOp): void {
  switch (op.kind) {
    case "deleteResourceGroup": {
      const prefix = `/subscriptions/${ctx.settings.subscriptionId}/resourcegroups/${op.target}/`.toLowerCase();
      for (const [k, r] of Object.entries(ctx.data.resources)) {
        if (k.startsWith(prefix) && ctx.data.resources[k])
          for (const id of deleteResourceTree(ctx, r.id)) ctx.counters.markModified(id);
      }
      for (const k of Object.keys(ctx.data.deployments)) if (k.startsWith(prefix)) delete ctx.data.deployments[k];
      delete ctx.data.resourceGroups[key(op.target)];
      ctx.counters.markModified(`/subscriptions/${ctx.settings.subscriptionId}/resourceGroups/${op.target}`);
      break;
    }
    case "deleteResource":
      for (const id of deleteResourceTree(ctx, op.target)) ctx.counters.markModified(id);
      ctx.events.emit("delete", op.target, {
        caller: op.caller ?? ctx.appCaller,
        correlationId: op.correlationId ?? op.id,
        method: "DELETE",
        at: op.finishAt,
      });
      break;
    case "runCommand": {
      const cluster = ctx.data.clusters[key(op.target)];
      if (!cluster) {
        op.status = "Failed";
        op.error = { code: "ResourceNotFound", message: `The cluster '${op.target}' no longer exists.` };
        return;
      }
      const outcome = runClusterCommand(ctx, cluster, String(op.input));
      const cap = 512 * 1024;
      op.result = {
        exitCode: outcome.exitCode,
        logs: outcome.logs.length > cap ? outcome.logs.slice(0, cap) : outcome.logs,
        ...(outcome.logs.length > cap ? { reason: "output truncated at 512 kB" } : {}),
      };
      break;
    }
    case "clusterUpgrade":
      finishUpgradeOp(ctx, op);
      return;
    case "stopProtection":
    case "suspendBackups":
      applyProtectionChange(ctx, op.target, op.kind === "stopProtection" ? "stop" : "suspend");
      break;
    case "networkManagerCommit":
      finishNetworkManagerCommit(ctx, op);
      break;
    case "whatIf":
    case "adhocBackup":
    case "validateRestore":
    case "restore":
      break;
  }
  op.status = "Succeeded";
}

function nextEvent(ctx: SandboxContext): SimEvent | undefined {
  const candidates: (SimEvent | undefined)[] = [nextDeploymentEvent(ctx)];
  for (const op of Object.values(ctx.data.ops)) {
    if (op.status === "InProgress") candidates.push({ at: op.finishAt, order: 0, run: () => finishOp(ctx, op) });
  }
  const backupAt = backupNextEvent(ctx);
  if (backupAt !== undefined)
    candidates.push({ at: backupAt, order: 2, run: () => processBackupSchedule(ctx, backupAt) });
  for (const c of Object.values(ctx.data.clusters)) {
    const at = clusterNextEvent(c);
    if (at !== undefined) candidates.push({ at, order: 2, run: () => processClusterEvent(ctx, c, at) });
  }
  let best: SimEvent | undefined;
  for (const c of candidates)
    if (c && (!best || c.at < best.at || (c.at === best.at && c.order < best.order))) best = c;
  return best;
}

/** Processes every event due by the simulated now. */
export function advance(ctx: SandboxContext): void {
  const now = ctx.clock.now();
  // Bounded: a year of daily backups plus deployment steps is far below this.
  for (let i = 0; i < 1_000_000; i++) {
    const ev = nextEvent(ctx);
    if (!ev || ev.at > now) return;
    ev.run();
  }
  throw new Error("sandbox event loop did not settle");
}

export function getOp(ctx: SandboxContext, id: string): TimedOp {
  const op = ctx.data.ops[id];
  if (!op) throw new ArmHttpError(404, "OperationNotFound", `The operation '${id}' was not found.`);
  return op;
}
