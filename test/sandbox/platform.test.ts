import { afterAll, beforeAll, expect, it } from "vitest";
import { DataProtectionClient, DeploymentsAdapter, type DeploymentInput, type DeploymentRef } from "../../lib/azure";
import { buildDeploymentUnits, type DeploymentUnit } from "../../lib/plan";
import { defaultSpec } from "../../lib/spec/default";
import { readTemplate, startFixture, waitForDeployment, type SandboxFixture } from "./helpers";

// The real plan of the seed spec (all templates in templates/arm, with their real parameters) deployed phase
// by phase against the sandbox, the way the provisioning orchestration does it: units whose dependencies
// succeeded run in parallel, output parameters come from earlier deployments' outputs. The sandbox checks
// what ARM would reject (concurrent writes to one cluster/identity/VNet, missing groups, unknown Istio
// revisions, template errors); a re-run must change nothing.

let f: SandboxFixture;
let deployments: DeploymentsAdapter;
const units = buildDeploymentUnits(defaultSpec);
const outputs = new Map<string, Record<string, unknown>>();

function input(u: DeploymentUnit): DeploymentInput {
  const ref: DeploymentRef =
    u.scope === "subscription"
      ? { scope: "subscription", name: u.name }
      : { scope: "resourceGroup", resourceGroup: u.resourceGroup ?? "", name: u.name };
  const parameters = { ...u.parameters };
  for (const [k, ref] of Object.entries(u.outputParameters)) parameters[k] = outputs.get(ref.deployment)?.[ref.output];
  return { ...ref, location: defaultSpec.location, template: readTemplate(u.template), parameters };
}

beforeAll(async () => {
  f = await startFixture({ timeScale: 20000 });
  deployments = new DeploymentsAdapter(f.connection, f.sandbox.subscriptionId);
});
afterAll(async () => {
  await f.stop();
});

it("deploys every unit of the seed platform plan in dependency order without an ARM rejection", async () => {
  const done = new Set<string>();
  const failures: string[] = [];
  while (done.size < units.length) {
    const ready = units.filter((u) => !done.has(u.name) && u.dependsOn.every((x) => done.has(x)));
    expect(ready.length).toBeGreaterThan(0);
    await Promise.all(
      ready.map(async (u) => {
        const start = await deployments.start(input(u));
        if (!start.ok) failures.push(`${u.name}: ${start.error.code} ${start.error.message}`);
        else {
          const status = await waitForDeployment(deployments, input(u));
          if (status.state !== "succeeded") failures.push(`${u.name}: ${JSON.stringify(status.error)}`);
          outputs.set(u.name, status.outputs);
        }
        done.add(u.name);
      }),
    );
  }
  expect(failures).toEqual([]);
  const clusters = f.sandbox.state.clusters().map((c) => c.name);
  expect(clusters).toHaveLength(defaultSpec.clusters.length);
  for (const c of defaultSpec.clusters) expect(clusters.some((name) => name.endsWith(`-${c.name}`))).toBe(true);
  const vault = { resourceGroup: defaultSpec.commonResourceGroup, vault: defaultSpec.shared.backupVault.name };
  const instances = await new DataProtectionClient(f.connection, f.sandbox.subscriptionId).listBackupInstances(vault);
  expect(instances.ok && instances.value.map((b) => b.protectionStatus)).toEqual(
    defaultSpec.clusters.filter((c) => c.addons.backup).map(() => "ProtectionConfigured"),
  );
});

it("finds nothing to create, modify or delete when the same plan is checked again with what-if", async () => {
  const changes: string[] = [];
  for (const u of units) {
    const result = await deployments.whatIf(input(u), { updateIntervalInMs: 50 });
    if (!result.ok) changes.push(`${u.name}: ${result.error.code} ${result.error.message}`);
    else
      for (const c of result.value)
        if (!["NoChange", "Ignore"].includes(c.changeType))
          changes.push(`${u.name}: ${c.changeType} ${c.resourceId} ${JSON.stringify(c.delta)}`);
  }
  expect(changes).toEqual([]);
});
