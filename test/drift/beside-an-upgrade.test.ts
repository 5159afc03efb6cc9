import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiRequest } from "../../lib/api/http";
import { handleUpgradeAction, handleUpgrades, upgradeInstanceId, type UpgradeInstances } from "../../lib/api/upgrades";
import { Orchestrations } from "../../lib/function-names";
import { buildDeploymentUnits } from "../../lib/plan/units";
import type { PlatformSpec } from "../../lib/spec";
import { runOrchestration } from "../../local/build/runner";
import { asEnvironments } from "../../local/cli/target-environments";
import { driverUpgradeInstances } from "../../local/upgrade/instances";
import type { DriftCheckInput, DriftCheckResult } from "../../orchestrations/drift/contracts";
import type { UpgradeRunStatus } from "../../orchestrations/upgrade/contracts";
import { buildPlatform, type Platform } from "../helpers/platform";
import { environmentRequest, upgradablePlatform } from "../helpers/upgrade-run";
import { openSshByHand } from "./helpers";

// A drift remediation while an upgrade run of the environment is active (waiting for approval here) is refused for
// every unit ("upgrade run <id> active") and the detection is report-only; once the run is cancelled it re-deploys.

let platform: Platform;
let spec: PlatformSpec;
let upgrades: UpgradeInstances;

beforeAll(async () => {
  platform = await buildPlatform(upgradablePlatform("drift-upgrade", 1200));
  spec = platform.spec;
  upgrades = driverUpgradeInstances(platform.driver);
}, 300_000);

afterAll(async () => {
  await platform?.stop();
});

function request(method: string, path: string, params: Record<string, string>, body?: unknown): ApiRequest {
  return environmentRequest(spec, method, path, params, body);
}

const environments = () => asEnvironments(new Map([[spec.name, spec]]));

async function runStatus(done: (s: UpgradeRunStatus | undefined, runtimeStatus: string) => boolean) {
  const deadline = Date.now() + 240_000;
  for (;;) {
    const view = await upgrades.get(upgradeInstanceId(spec.name));
    if (done(view?.customStatus as UpgradeRunStatus | undefined, view?.runtimeStatus ?? "")) return;
    if (Date.now() > deadline)
      throw new Error(`upgrade run: ${view?.runtimeStatus} ${JSON.stringify(view?.customStatus)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

let checks = 0;
async function remediatingCheck(): Promise<DriftCheckResult> {
  checks += 1;
  const input: DriftCheckInput = {
    spec: {
      ...spec,
      drift: { ...spec.drift, mode: "remediate", autoRemediate: buildDeploymentUnits(spec).map((u) => u.name) },
    },
    trigger: "manual",
  };
  return (await runOrchestration(
    platform.driver,
    Orchestrations.driftCheck,
    `drift-upgrade-check-${checks}`,
    input,
  )) as DriftCheckResult;
}

describe("drift remediation beside an upgrade run", () => {
  it("refuses to re-deploy while the run is active (report-only, naming the run), re-deploys once it is cancelled", async () => {
    const started = await handleUpgrades(
      request("POST", "upgrades", { env: spec.name }, { target: { kubernetesVersion: "1.33.5" }, approved: false }),
      upgrades,
      environments(),
      () => new Date(Date.UTC(2026, 10, 20, 4, 0)),
    );
    expect(started.status, JSON.stringify(started.jsonBody)).toBe(202);
    const runId = (started.jsonBody as { runId: string }).runId;
    await runStatus((s) => s?.waitingFor === "approval");

    await openSshByHand(platform.sandbox, spec);
    const refused = await remediatingCheck();
    expect(refused.report.findings.length).toBeGreaterThan(0);
    expect(refused.remediation?.units).toEqual([]);
    expect(refused.remediation?.refused.length).toBeGreaterThan(0);
    for (const r of refused.remediation!.refused) expect(r.reason).toBe(`upgrade run ${runId} active`);
    expect(refused.remediation?.after).toBeUndefined();

    const cancel = await handleUpgradeAction(
      request("POST", `upgrades/${runId}/cancel`, { env: spec.name, id: runId, action: "cancel" }),
      upgrades,
      environments(),
    );
    expect(cancel.status, JSON.stringify(cancel.jsonBody)).toBeLessThan(300);
    await runStatus((_s, runtimeStatus) => !["Running", "Pending"].includes(runtimeStatus));

    const fixed = await remediatingCheck();
    expect(fixed.remediation?.refused).toEqual([]);
    expect(fixed.remediation?.units.length).toBeGreaterThan(0);
    expect(fixed.remediation?.after?.findings).toEqual([]);
  }, 480_000);
});
