import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli";

const fixtures = path.resolve(__dirname, "../fixtures/arm");
const fixture = (name: string): string => path.join(fixtures, name);
const ZERO = "00000000-0000-0000-0000-000000000000";

interface Expanded {
  resources: {
    id: string;
    name: string;
    type: string;
    dependsOn: string[];
    properties: Record<string, unknown>;
    location?: unknown;
  }[];
  outputs: Record<string, { type: string; value: unknown }>;
}

describe("aks-platform arm expand", () => {
  it("expands a resource-group template with a standard parameters file and the default scope", async () => {
    const result = await runCli([
      "arm",
      "expand",
      fixture("storage.json"),
      "--parameters",
      fixture("storage.parameters.json"),
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as Expanded;
    const rg = `/subscriptions/${ZERO}/resourceGroups/rg-example`;
    const identityId = `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-stdemo`;
    expect(doc.resources.map((r) => r.id)).toEqual([
      identityId,
      ...doc.resources.slice(1).map((r) => `${rg}/providers/Microsoft.Storage/storageAccounts/${r.name}`),
    ]);
    const names = doc.resources.slice(1).map((r) => r.name);
    expect(names).toHaveLength(3);
    names.forEach((name, i) => expect(name).toMatch(new RegExp(`^stdemo${i}[a-z2-7]{4}$`)));
    expect(doc.resources[1]).toMatchObject({
      location: "koreacentral",
      dependsOn: [identityId],
      properties: { ownerPrincipal: { $deferred: "[reference(concat('id-', parameters('prefix'))).principalId]" } },
    });
    expect(doc.outputs["accountIds"]?.value).toEqual(doc.resources.slice(1).map((r) => r.id));
  });

  it("takes a plain parameters object and explicit scope options", async () => {
    const result = await runCli([
      "arm",
      "expand",
      fixture("storage.json"),
      "--parameters",
      fixture("storage.plain-parameters.json"),
      "--subscription",
      "11111111-1111-1111-1111-111111111111",
      "--resource-group",
      "rg-dev",
      "--location",
      "westeurope",
    ]);
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as Expanded;
    expect(doc.resources).toHaveLength(2);
    expect(doc.resources[1]?.id).toMatch(
      /^\/subscriptions\/11111111-1111-1111-1111-111111111111\/resourceGroups\/rg-dev\/providers\/Microsoft\.Storage\/storageAccounts\/stplain0/,
    );
    expect(doc.resources[1]?.location).toBe("westeurope");
  });

  it("deploys subscription templates at subscription scope by default", async () => {
    const result = await runCli(["arm", "expand", fixture("resource-group.json")]);
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as Expanded;
    expect(doc.resources[0]).toMatchObject({
      id: `/subscriptions/${ZERO}/resourceGroups/rg-platform`,
      location: "koreacentral",
    });
    expect(doc.outputs).toEqual({ id: { type: "string", value: `/subscriptions/${ZERO}/resourceGroups/rg-platform` } });
  });

  it("fails with the engine's message and no stack trace on an invalid template", async () => {
    const result = await runCli(["arm", "expand", fixture("invalid.json")]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim()).toBe(
      "error: template 'invalid.json' at resources[0].properties.addressSpace.addressPrefixes[0]: unknown function 'cidrSubnett' (expression: [cidrSubnett('10.0.0.0/8', 16, 0)])",
    );
  });

  it("reports a dependency cycle", async () => {
    const result = await runCli(["arm", "expand", fixture("cycle.json")]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /circular dependency: .*virtualNetworks\/a -> .*virtualNetworks\/b -> .*virtualNetworks\/a/,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("reports a missing required parameter and unreadable files as usage errors", async () => {
    const missing = await runCli(["arm", "expand", fixture("storage.json")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing value for required parameter 'prefix'");
    const unreadable = await runCli(["arm", "expand", fixture("nope.json")]);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain("cannot read template");
    const badScope = await runCli(["arm", "expand", fixture("storage.json"), "--scope", "tenant"]);
    expect(badScope.code).toBe(2);
  });
});
