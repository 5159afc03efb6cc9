import { describe, expect, it } from "vitest";
import type { InstanceView } from "../../lib/api/builds";
import type { BuildStatus, DeploymentProgress } from "../../lib/plan/progress";
import { defaultSpec } from "../../lib/spec";
import { statusText, workflowClock } from "../../local/cli/commands/up";
import { SANDBOX_SUBSCRIPTION_ID } from "../../local/build/target";

/**
 * `status` as text. A sandbox build's times are the local driver's time-scaled clock (120× by default, resumed from
 * the last recorded time by each process): days ahead of the wall clock after a few runs. They are labelled as
 * simulated, never shown as if they were real times; a subscription's build (wall clock) is shown as it is.
 */

const deployments: DeploymentProgress[] = [
  {
    name: "k8s-demo-rg",
    phase: "resourceGroups",
    state: "succeeded",
    startedAt: "2026-12-09T04:00:00.000Z",
    endedAt: "2026-12-09T04:01:00.000Z",
  },
  {
    name: "k8s-demo-aks-app1",
    phase: "clusters",
    cluster: "app1",
    state: "succeeded",
    startedAt: "2026-12-09T04:01:00.000Z",
    endedAt: "2026-12-09T04:31:00.000Z",
  },
];

function view(subscriptionId: string, runtimeStatus = "Completed"): InstanceView {
  return {
    instanceId: "build:k8s-demo",
    runtimeStatus,
    input: { spec: { ...defaultSpec, subscriptionId }, mode: "deploy" },
    output: { deployments },
    createdTime: "2026-12-09T04:00:00.000Z",
    lastUpdatedTime: "2026-12-09T04:31:00.000Z",
  };
}

const status = (extra: Partial<BuildStatus> = {}): BuildStatus => ({
  environment: "k8s-demo",
  mode: "deploy",
  runId: "0a1b2c3d",
  stage: "done",
  startedAt: "2026-12-09T04:00:00.000Z",
  phases: [],
  deployments,
  children: [],
  ...extra,
});

describe("status text", () => {
  it("a sandbox build's times are labelled simulated, with the build's simulated span", () => {
    const sandbox = view(SANDBOX_SUBSCRIPTION_ID);
    expect(workflowClock(sandbox)).toBe("simulated");
    const text = statusText("k8s-demo", sandbox, status(), undefined);
    expect(text).toMatch(/^k8s-demo: Completed \(last update 2026-12-09T04:31:00\.000Z simulated\)\n/);
    expect(text).toContain(
      "  times: the sandbox's simulated clock (time-scaled, ahead of the wall clock), not real times; the build took 31.0 simulated min\n",
    );
  });

  it("a subscription's build is on the wall clock: its times as they are, no label", () => {
    const real = view("11111111-2222-4333-8444-555555555555");
    expect(workflowClock(real)).toBe("wall");
    const text = statusText("k8s-demo", real, status(), undefined);
    expect(text).toMatch(/^k8s-demo: Completed \(last update 2026-12-09T04:31:00\.000Z\)\n/);
    expect(text).not.toContain("simulated");
  });

  it("a running build whose status had no room for some per-cluster deployments says how many and where they show", () => {
    const text = statusText(
      "k8s-demo",
      view(SANDBOX_SUBSCRIPTION_ID, "Running"),
      status({ stage: "shared", unlistedDeployments: 7 }),
      undefined,
    );
    expect(text).toContain("(7 per-cluster deployment(s) the build started are not listed yet");
  });
});
