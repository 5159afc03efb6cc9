import { describe, expect, it } from "vitest";
import { CUSTOM_STATUS_LIMIT_BYTES, customStatusBytes } from "../../lib/custom-status";
import {
  buildStatusDeployments,
  phaseProgress,
  statusDeployments,
  type BuildStatus,
  type DeploymentProgress,
} from "../../lib/plan/progress";
import { buildDeploymentUnits } from "../../lib/plan/units";
import { defaultSpec, fleetSpec, type PlatformSpec } from "../../lib/spec";

/**
 * Durable refuses a custom status over 16 KB of UTF-16 JSON (lib/custom-status; the local driver fails the
 * orchestration as Azure does). A build's statuses must stay under it, with a margin, as the platform grows: every
 * deployment of the plan finished, each carrying all a deployment learns (times, correlation id, an ARM error with
 * details, a what-if with its changes), the status the build and each cluster sub-orchestration would publish.
 */

const MARGIN = 0.75 * CUSTOM_STATUS_LIMIT_BYTES;

function finishedDeployments(spec: PlatformSpec): DeploymentProgress[] {
  return buildDeploymentUnits(spec).map((u, i) => ({
    name: u.name,
    phase: u.phase,
    ...(u.cluster !== undefined ? { cluster: u.cluster } : {}),
    state: i % 7 === 0 ? "failed" : "succeeded",
    startedAt: "2026-12-07T10:00:00.000Z",
    endedAt: "2026-12-07T10:12:34.567Z",
    correlationId: "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d",
    ...(i % 7 === 0
      ? {
          error: {
            code: "DeploymentFailed",
            message: `At least one resource deployment operation failed in ${u.name}.`,
          },
        }
      : {}),
    whatIf: {
      create: 20,
      modify: 0,
      delete: 0,
      noChange: 0,
      ignore: 0,
      changes: Array.from({ length: 20 }, (_, n) => `Create: /subscriptions/x/resourceGroups/${u.name}/r${n}`),
    },
  }));
}

function statuses(spec: PlatformSpec): { label: string; bytes: number; unlisted?: number }[] {
  const deployments = finishedDeployments(spec);
  const clusters = spec.clusters.map((c) => c.name);
  const root: BuildStatus = {
    environment: spec.name,
    mode: "whatif",
    runId: "0a1b2c3d",
    stage: "done",
    startedAt: "2026-12-07T10:00:00.000Z",
    istioRevision: "asm-1-25",
    phases: phaseProgress(deployments),
    deployments: [],
    children: [...clusters.map((c) => `cluster ${c}`), "platform"].map((label) => ({
      label,
      instanceId: `whatif:${spec.name}:0a1b2c3d:${label}`,
    })),
  };
  // The worst case of the build's own list: its first stage ran every per-cluster deployment it could (all but what
  // waits on the shared services: ACR grants, add-ons), none yet listed by a child, each finished.
  const firstStage = new Set(
    buildDeploymentUnits(spec)
      .filter((u) => u.phase !== "addons" && !u.dependsOn.includes(`${spec.name}-shared`))
      .map((u) => u.name),
  );
  const own = buildStatusDeployments(
    root,
    deployments.filter((d) => firstStage.has(d.name)),
    new Set(),
  );
  root.deployments = own.deployments;
  if (own.unlisted > 0) root.unlistedDeployments = own.unlisted;
  return [
    { label: "build", bytes: customStatusBytes(root), unlisted: own.unlisted },
    {
      label: "platform",
      bytes: customStatusBytes({ label: "platform", deployments: statusDeployments(deployments, undefined) }),
    },
    ...clusters.map((c) => ({
      label: `cluster ${c}`,
      bytes: customStatusBytes({ label: `cluster ${c}`, deployments: statusDeployments(deployments, c) }),
    })),
  ];
}

describe("a build's custom statuses stay within Durable's 16 KB", () => {
  it.each([
    ["the seed (3 clusters)", defaultSpec],
    ["the bench's fleet (12 clusters)", fleetSpec(12)],
  ])("%s: the build and every sub-orchestration under 75%% of the cap", (_name, spec) => {
    const all = statuses(spec);
    expect(all.filter((s) => s.bytes > MARGIN)).toEqual([]);
    // Everything in one status, as before the split, would be refused.
    const everything = customStatusBytes({ deployments: finishedDeployments(spec) });
    expect(everything).toBeGreaterThan(CUSTOM_STATUS_LIMIT_BYTES);
  });

  it("the build lists every per-cluster deployment it ran itself while they fit: nearly all of the seed's, and says how many it left out", () => {
    // Worst case only: a cluster's monitoring unit starts in the first stage only when its cluster ends before the
    // shared services do (about half a minute apart under the latency model).
    expect(statuses(defaultSpec).find((s) => s.label === "build")!.unlisted).toBeLessThan(defaultSpec.clusters.length);
    const fleet = statuses(fleetSpec(12)).find((s) => s.label === "build")!;
    expect(fleet.unlisted).toBeGreaterThan(0);
    expect(fleet.unlisted).toBeLessThan(buildDeploymentUnits(fleetSpec(12)).filter((u) => u.cluster).length);
  });

  it("the build's own status does not grow with the number of clusters beyond their children's ids", () => {
    const bytes = (n: number) => statuses(fleetSpec(n)).find((s) => s.label === "build")!.bytes;
    const perCluster = (bytes(12) - bytes(6)) / 6;
    expect(perCluster).toBeLessThan(1024);
  });
});
