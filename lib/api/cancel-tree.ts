import type { CancelRequest } from "./cancel-request";
import { CANCEL_EVENT, isActiveStatus } from "./instance-ids";

/** An instance as the cancel sees it (the durable client's status, the local driver's). */
export interface CancelTreeView {
  runtimeStatus: string;
  customStatus?: unknown;
}

export interface CancelTreeInstances {
  get(instanceId: string): Promise<CancelTreeView | undefined>;
  raise(instanceId: string, eventName: string, data: unknown): Promise<void>;
}

/** What a workflow's status says to its cancel: whether it has heard it, and the sub-orchestrations it started. */
export interface CancelTreeListing {
  heard: boolean;
  children: string[];
}

export interface CancelTreeReach {
  /** Instances the cancel event was raised on. */
  reached: string[];
  /** Listed sub-orchestrations that never appeared before the deadline: post the cancel again. */
  unreached: string[];
  /** Whether the workflow heard the cancel (or ended) before the deadline. */
  heard: boolean;
}

/** How long a cancel keeps reaching the tree until the workflow has heard it, and the pause between looks. */
export const CANCEL_REACH = { ms: 10_000, pauseMs: 250 } as const;

/**
 * Raises the cancel on a workflow and on every sub-orchestration its status lists, until the workflow has heard it.
 * A workflow starts a sub-orchestration in the step that lists it in its status and hears the cancel only at its next
 * wait, so a cancel that arrives as it starts one would miss it: the tree is read again (a listed child that does not
 * exist yet is waited for) until the workflow's status says it heard the cancel (after which it starts nothing new)
 * or it ended. The build and the restore cancel this way; Durable's terminate does not reach sub-orchestrations
 * (azure-functions-durable-extension#153) and would leave ARM work running.
 */
export async function reachCancelTree(
  rootId: string,
  instances: CancelTreeInstances,
  listing: (root: CancelTreeView) => CancelTreeListing,
  request: CancelRequest,
  timing: { ms: number; pauseMs: number } = CANCEL_REACH,
): Promise<CancelTreeReach> {
  const reached = new Set<string>();
  const unreached = new Set<string>();
  let heard = false;
  for (const deadline = Date.now() + timing.ms; ;) {
    unreached.clear();
    const root = await instances.get(rootId);
    const listed = root && isActiveStatus(root.runtimeStatus) ? listing(root) : { heard: true, children: [] };
    heard = listed.heard;
    for (const id of [rootId, ...listed.children]) {
      if (reached.has(id)) continue;
      const view = id === rootId ? root : await instances.get(id);
      if (!view) {
        unreached.add(id);
        continue;
      }
      if (!isActiveStatus(view.runtimeStatus)) continue;
      try {
        await instances.raise(id, CANCEL_EVENT, request);
        reached.add(id);
      } catch (err) {
        // It ended between the read and the raise: nothing left to stop there.
        if (isActiveStatus((await instances.get(id))?.runtimeStatus)) throw err;
      }
    }
    if ((heard && unreached.size === 0) || Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, timing.pauseMs));
  }
  return { reached: [...reached], unreached: [...unreached], heard };
}
