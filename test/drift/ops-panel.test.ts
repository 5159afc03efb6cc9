import { describe, expect, it } from "vitest";
import { buildRecordEnvironments } from "../../lib/api/environments";
import { readPanel, type OverviewSources } from "../../lib/api/overview";
import { buildDriftReport } from "../../lib/drift";
import { defaultSpec } from "../../lib/spec";

/** The ops page's drift panel: the newest stored report, or "no data" saying why. */

const NOW = new Date("2026-12-07T06:00:00Z");
const builds: OverviewSources["builds"] = {
  get: () => Promise.resolve(undefined),
  start: () => Promise.reject(new Error("no")),
  terminate: () => Promise.reject(new Error("no")),
  raise: () => Promise.reject(new Error("no")),
  managementUrls: () => ({}),
};
const base: OverviewSources = {
  builds,
  environments: buildRecordEnvironments(builds),
  instancesSince: () => Promise.resolve([]),
  backupHistory: () => Promise.resolve({ trend: [] }),
  now: () => NOW,
};

const report = buildDriftReport({
  environment: defaultSpec.name,
  checkedAt: NOW.toISOString(),
  trigger: "event",
  checks: [
    {
      unit: "k8s-demo-network",
      result: {
        ok: true,
        changes: [
          {
            resourceId:
              "/subscriptions/s/resourceGroups/rg-k8s-demo-common/providers/Microsoft.Network/networkSecurityGroups/nsg-k8s-demo-app1",
            changeType: "Modify",
            delta: [
              {
                path: "properties.securityRules",
                propertyChangeType: "Array",
                children: [{ path: "2", propertyChangeType: "Delete", before: { name: "allow-ssh", properties: {} } }],
              },
            ],
          },
        ],
      },
    },
  ],
});

describe("ops page drift panel", () => {
  it("shows the newest report of the environment", async () => {
    const asked: string[] = [];
    const result = await readPanel("drift", defaultSpec.name, {
      ...base,
      driftReport: (env) => {
        asked.push(env);
        return Promise.resolve(report);
      },
    });
    expect(asked).toEqual([defaultSpec.name]);
    expect(result).toMatchObject({ state: "ok", data: { severity: "high", findings: [{ unit: "k8s-demo-network" }] } });
  });

  it("says there is no report yet rather than showing a clean platform", async () => {
    const none = await readPanel("drift", defaultSpec.name, { ...base, driftReport: () => Promise.resolve(undefined) });
    expect(none).toMatchObject({ state: "no-data", reason: expect.stringContaining("no drift check") });
    expect(await readPanel("drift", defaultSpec.name, base)).toMatchObject({ state: "no-data" });
  });
});
