import { describe, expect, it } from "vitest";
import { handleCancel, type BuildInstances, type InstanceView } from "../../lib/api/builds";
import { buildChildInstanceId, buildInstanceId } from "../../lib/api/instance-ids";

/**
 * The cancel API against a build caught starting its sub-orchestrations: the cancel reaches the build before it
 * lists its children, and the build hears it only at its next wait, after they started. The durable client is
 * replaced by the few instance reads and raises the API makes (the race is too narrow to hit on a real host).
 */

const ENV = "k8s-demo";
const ROOT = buildInstanceId(ENV);
const CHILDREN = ["cluster mgmt", "platform"].map((label) => ({
  label,
  instanceId: buildChildInstanceId(ROOT, "run1", label),
}));

function racingBuild(): { instances: BuildInstances; raised: string[] } {
  const raised: string[] = [];
  let rootReads = 0;
  const running = (instanceId: string, customStatus: unknown): InstanceView => ({
    instanceId,
    runtimeStatus: "Running",
    customStatus,
  });
  const instances: BuildInstances = {
    get(instanceId) {
      if (instanceId === ROOT) {
        rootReads++;
        // Reads 1–2 (the tree, the first reach): planning, no children yet. Read 3: the children just started,
        // the cancel not heard yet. From read 4 on: heard.
        const base = { environment: ENV, deployments: [], phases: [] };
        if (rootReads <= 2) return Promise.resolve(running(ROOT, { ...base, stage: "shared", children: [] }));
        if (rootReads === 3) return Promise.resolve(running(ROOT, { ...base, stage: "clusters", children: CHILDREN }));
        return Promise.resolve(
          running(ROOT, {
            ...base,
            stage: "cancelling",
            cancelRequestedAt: "2026-01-01T00:00:00Z",
            children: CHILDREN,
          }),
        );
      }
      return Promise.resolve(rootReads >= 3 ? running(instanceId, { deployments: [] }) : undefined);
    },
    start: () => Promise.reject(new Error("not used")),
    terminate: () => Promise.reject(new Error("not used")),
    raise(instanceId) {
      raised.push(instanceId);
      return Promise.resolve();
    },
    managementUrls: () => ({}),
  };
  return { instances, raised };
}

describe("cancel of a build that is starting its sub-orchestrations", () => {
  it("keeps reaching what the build lists until the build has heard the cancel", async () => {
    const { instances, raised } = racingBuild();
    const answer = await handleCancel(
      {
        method: "POST",
        url: `http://127.0.0.1/api/environments/${ENV}/provision/cancel`,
        params: { env: ENV },
        query: new URLSearchParams(),
        headers: new Headers(),
        text: () => Promise.resolve(""),
      },
      instances,
    );
    expect(answer.status).toBe(202);
    // Before: the API stopped once the build itself had the event, and the children it started next never did.
    expect(raised).toEqual([ROOT, ...CHILDREN.map((c) => c.instanceId)]);
    expect(answer.jsonBody).toMatchObject({ cancelling: raised });
    expect(answer.jsonBody).not.toHaveProperty("notYetHeard");
  });
});
