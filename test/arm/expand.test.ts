import { describe, expect, it } from "vitest";
import { ArmTemplateError, DeferredValue, expandTemplate, isDeferred } from "../../lib/arm";
import type { ExpandedResource } from "../../lib/arm";
import { RG_ID, SUB, expand, rgScope, subScope } from "./support";

const API = "2023-01-01";
const storage = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: "Microsoft.Storage/storageAccounts",
  apiVersion: API,
  name,
  ...extra,
});
const stId = (name: string): string => `${RG_ID}/providers/Microsoft.Storage/storageAccounts/${name}`;
const byName = (resources: ExpandedResource[], name: string): ExpandedResource => {
  const r = resources.find((x) => x.name === name);
  if (!r) throw new Error(`no resource named ${name}; have ${resources.map((x) => x.name).join(", ")}`);
  return r;
};

describe("parameters", () => {
  const parameters = {
    prefix: { type: "string", defaultValue: "st" },
    name: { type: "string", defaultValue: "[concat(parameters('prefix'), uniqueString(resourceGroup().id))]" },
    sku: { type: "string", defaultValue: "Standard_LRS", allowedValues: ["Standard_LRS", "Premium_LRS"] },
    count: { type: "int", defaultValue: 2, minValue: 1, maxValue: 5 },
    admin: { type: "securestring" },
  };
  const template = { parameters, resources: [], outputs: { name: { type: "string", value: "[parameters('name')]" } } };

  it("evaluates default values, which may use other parameters and deployment functions", () => {
    const result = expand(template, { parameters: { admin: "x" } });
    expect(result.outputs["name"]?.value).toMatch(/^st[a-z2-7]{13}$/);
  });

  it("matches supplied parameter names case-insensitively", () => {
    const result = expand(template, { parameters: { ADMIN: "x", Prefix: "ab" } });
    expect(result.outputs["name"]?.value).toMatch(/^ab[a-z2-7]{13}$/);
  });

  it("fails on a missing required parameter", () => {
    expect(() => expand(template)).toThrow(
      "template 'test.json' at parameters.admin: missing value for required parameter 'admin' (it has no defaultValue)",
    );
  });

  it("checks allowedValues", () => {
    expect(() => expand(template, { parameters: { admin: "x", sku: "Standard_GRS" } })).toThrow(
      /parameters\.sku: parameter 'sku': value "Standard_GRS" is not one of the allowed values \["Standard_LRS","Premium_LRS"\]/,
    );
  });

  it("compares allowed strings ignoring case, as ARM does (unlike Bicep's @allowed, Azure/bicep#2489)", () => {
    expect(() => expand(template, { parameters: { admin: "x", sku: "premium_lrs" } })).not.toThrow();
  });

  it("checks types and ranges without echoing secure values", () => {
    expect(() => expand(template, { parameters: { admin: "x", count: "2" } })).toThrow(
      /parameter 'count': expected a value of type int, got String/,
    );
    expect(() => expand(template, { parameters: { admin: "x", count: 9 } })).toThrow(/value 9 is above maxValue 5/);
    expect(() => expand(template, { parameters: { admin: 5 } })).toThrow(
      /expected a value of type securestring, got Integer/,
    );
  });

  it("rejects parameters the template does not declare", () => {
    expect(() => expand(template, { parameters: { admin: "x", other: 1 } })).toThrow(
      /parameter 'other' is supplied but not declared in the template \(declared: prefix, name, sku, count, admin\)/,
    );
  });

  it("reports an undeclared parameters() reference with the path", () => {
    expect(() => expand({ resources: [storage("[parameters('nope')]")] })).toThrow(
      /at resources\[0\]\.name: parameter 'nope' is not declared in the template/,
    );
  });
});

describe("variables", () => {
  it("evaluates variables lazily, including variable and property copy loops", () => {
    const result = expand({
      variables: {
        base: "disk",
        copy: [{ name: "disks", count: 3, input: { name: "[concat(variables('base'), copyIndex('disks', 1))]" } }],
        network: {
          copy: [{ name: "subnets", count: 2, input: { name: "[concat('snet-', copyIndex('subnets'))]" } }],
          location: "[resourceGroup().location]",
        },
      },
      resources: [],
      outputs: {
        disks: { type: "array", value: "[variables('disks')]" },
        network: { type: "object", value: "[variables('network')]" },
      },
    });
    expect(result.outputs["disks"]?.value).toEqual([{ name: "disk1" }, { name: "disk2" }, { name: "disk3" }]);
    expect(result.outputs["network"]?.value).toEqual({
      subnets: [{ name: "snet-0" }, { name: "snet-1" }],
      location: "koreacentral",
    });
  });

  it("detects variables that refer to each other", () => {
    expect(() =>
      expand({
        variables: { a: "[variables('b')]", b: "[variables('a')]" },
        resources: [],
        outputs: { o: { type: "string", value: "[variables('a')]" } },
      }),
    ).toThrow(/variables refer to each other in a cycle: a -> b -> a/);
  });
});

describe("resources", () => {
  it("builds resource-group ids and keeps only the fields the template sets", () => {
    const [r] = expand({
      resources: [storage("stexample", { location: "[resourceGroup().location]", sku: { name: "Standard_LRS" } })],
    }).resources;
    expect(r).toEqual({
      id: stId("stexample"),
      type: "Microsoft.Storage/storageAccounts",
      apiVersion: API,
      name: "stexample",
      resourceGroup: "rg-example",
      location: "koreacentral",
      sku: { name: "Standard_LRS" },
      properties: {},
      dependsOn: [],
    });
  });

  it("expands copy loops with copyIndex offsets and turns serial batches into dependsOn chains", () => {
    const { resources } = expand({
      resources: [
        storage("[concat('st', copyIndex(1))]", { copy: { name: "stLoop", count: 5, mode: "Serial", batchSize: 2 } }),
        storage("after", { dependsOn: ["stLoop"] }),
      ],
    });
    expect(resources.map((r) => r.name)).toEqual(["st1", "st2", "st3", "st4", "st5", "after"]);
    expect(byName(resources, "st1").dependsOn).toEqual([]);
    expect(byName(resources, "st2").dependsOn).toEqual([]);
    expect(byName(resources, "st3").dependsOn).toEqual([stId("st1"), stId("st2")]);
    expect(byName(resources, "st5").dependsOn).toEqual([stId("st3"), stId("st4")]);
    expect(byName(resources, "after").dependsOn).toEqual(["st1", "st2", "st3", "st4", "st5"].map(stId));
  });

  it("expands property copy loops inside properties", () => {
    const { resources } = expand({
      parameters: { subnets: { type: "array", defaultValue: ["10.0.0.0/24", "10.0.1.0/24"] } },
      resources: [
        {
          type: "Microsoft.Network/virtualNetworks",
          apiVersion: API,
          name: "vnet",
          properties: {
            copy: [
              {
                name: "subnets",
                count: "[length(parameters('subnets'))]",
                input: {
                  name: "[format('snet-{0}', copyIndex('subnets'))]",
                  properties: { addressPrefix: "[parameters('subnets')[copyIndex('subnets')]]" },
                },
              },
            ],
          },
        },
      ],
    });
    expect(resources[0]?.properties).toEqual({
      subnets: [
        { name: "snet-0", properties: { addressPrefix: "10.0.0.0/24" } },
        { name: "snet-1", properties: { addressPrefix: "10.0.1.0/24" } },
      ],
    });
  });

  it("omits resources whose condition is false, with their children and dependencies on them", () => {
    const { resources } = expand({
      parameters: { withLogs: { type: "bool", defaultValue: false } },
      resources: [
        storage("logs", {
          condition: "[parameters('withLogs')]",
          resources: [{ type: "blobServices", apiVersion: API, name: "default" }],
        }),
        storage("app", {
          dependsOn: ["logs"],
          properties: { logs: "[if(parameters('withLogs'), reference('logs').primaryEndpoints, 'none')]" },
        }),
      ],
    });
    expect(resources.map((r) => r.name)).toEqual(["app"]);
    expect(resources[0]?.dependsOn).toEqual([]);
    expect(resources[0]?.properties).toEqual({ logs: "none" });
  });

  it("tolerates runtime-only names on resources that are not deployed", () => {
    const { resources } = expand({
      resources: [
        { type: "Microsoft.ManagedIdentity/userAssignedIdentities", apiVersion: API, name: "id" },
        storage("[concat(reference('id').principalId, '/x')]", { condition: false }),
        storage("app", { dependsOn: ["id"] }),
      ],
    });
    expect(resources.map((r) => r.name)).toEqual(["id", "app"]);
  });

  it("flattens nested child resources to full type and name, depending on the parent", () => {
    const { resources } = expand({
      resources: [
        {
          type: "Microsoft.Network/virtualNetworks",
          apiVersion: API,
          name: "vnet",
          resources: [
            { type: "subnets", apiVersion: API, name: "snet-a" },
            {
              type: "Microsoft.Network/virtualNetworks/subnets",
              apiVersion: API,
              name: "snet-b",
              dependsOn: ["vnet/snet-a"],
            },
          ],
        },
      ],
    });
    const vnetId = `${RG_ID}/providers/Microsoft.Network/virtualNetworks/vnet`;
    expect(resources.map((r) => [r.type, r.name, r.id])).toEqual([
      ["Microsoft.Network/virtualNetworks", "vnet", vnetId],
      ["Microsoft.Network/virtualNetworks/subnets", "vnet/snet-a", `${vnetId}/subnets/snet-a`],
      ["Microsoft.Network/virtualNetworks/subnets", "vnet/snet-b", `${vnetId}/subnets/snet-b`],
    ]);
    expect(resources[2]?.dependsOn).toEqual([`${vnetId}/subnets/snet-a`, vnetId]);
  });

  it("resolves dependsOn given as names, type/name, provider paths and resourceId()", () => {
    const { resources } = expand({
      resources: [
        storage("a"),
        storage("b"),
        storage("c"),
        storage("d"),
        storage("e", {
          dependsOn: [
            "a",
            "Microsoft.Storage/storageAccounts/b",
            "[resourceId('Microsoft.Storage/storageAccounts', 'c')]",
            "[concat('Microsoft.Storage/storageAccounts/', 'd')]",
            "a",
          ],
        }),
      ],
    });
    expect(byName(resources, "e").dependsOn).toEqual(["a", "b", "c", "d"].map(stId));
  });

  it("fails on dependsOn that names nothing in the template", () => {
    expect(() => expand({ resources: [storage("a", { dependsOn: ["missing"] })] })).toThrow(
      "template 'test.json' at resources[0].dependsOn[0]: dependsOn 'missing' does not match any resource, copy loop or symbolic name in this template",
    );
  });

  it("detects dependency cycles and lists them", () => {
    const attempt = (): unknown =>
      expand({
        resources: [
          storage("a", { dependsOn: ["c"] }),
          storage("b", { dependsOn: ["a"] }),
          storage("c", { dependsOn: ["b"] }),
        ],
      });
    expect(attempt).toThrow(ArmTemplateError);
    expect(attempt).toThrow(`circular dependency: ${[stId("a"), stId("c"), stId("b"), stId("a")].join(" -> ")}`);
  });

  it("rejects the same resource declared twice", () => {
    expect(() => expand({ resources: [storage("a"), storage("a")] })).toThrow(
      /is declared twice \(also at resources\[0\]\)/,
    );
  });

  it("gives extension resources a scope and an id under it (scope property and legacy /providers/ form)", () => {
    const roleDef =
      "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'acdd72a7-3385-48ef-bd42-f606fba81ae7')]";
    const { resources } = expand({
      resources: [
        storage("st"),
        {
          type: "Microsoft.Authorization/roleAssignments",
          apiVersion: "2022-04-01",
          name: "[guid('st', 'reader')]",
          scope: "[resourceId('Microsoft.Storage/storageAccounts', 'st')]",
          dependsOn: ["st"],
          properties: { roleDefinitionId: roleDef, principalId: "p1" },
        },
        {
          type: "Microsoft.Insights/diagnosticSettings",
          apiVersion: "2021-05-01-preview",
          name: "diag",
          scope: "Microsoft.Storage/storageAccounts/st",
          properties: {},
        },
        {
          type: "Microsoft.Storage/storageAccounts/providers/locks",
          apiVersion: "2020-05-01",
          name: "st/Microsoft.Authorization/nodelete",
          properties: { level: "CanNotDelete" },
        },
      ],
    });
    const guid = resources[1]?.name as string;
    expect(guid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(resources[1]).toMatchObject({
      id: `${stId("st")}/providers/Microsoft.Authorization/roleAssignments/${guid}`,
      scope: stId("st"),
      dependsOn: [stId("st")],
    });
    expect(resources[2]).toMatchObject({
      id: `${stId("st")}/providers/Microsoft.Insights/diagnosticSettings/diag`,
      scope: stId("st"),
    });
    expect(resources[3]).toMatchObject({
      type: "Microsoft.Authorization/locks",
      name: "nodelete",
      id: `${stId("st")}/providers/Microsoft.Authorization/locks/nodelete`,
      scope: stId("st"),
    });
  });

  it("evaluates outputs, output copy loops and output conditions", () => {
    const { outputs } = expand({
      resources: [],
      outputs: {
        ids: {
          type: "array",
          copy: { count: 2, input: "[resourceId('Microsoft.Storage/storageAccounts', concat('st', copyIndex()))]" },
        },
        hidden: { type: "string", condition: "[equals(1, 2)]", value: "x" },
        shown: { type: "string", condition: true, value: "[[literal" },
      },
    });
    expect(outputs).toEqual({
      ids: { type: "array", value: [stId("st0"), stId("st1")] },
      shown: { type: "string", value: "[literal" },
    });
  });

  it("supports user-defined functions", () => {
    const { outputs } = expand({
      functions: [
        {
          namespace: "contoso",
          members: {
            uniqueName: {
              parameters: [{ name: "namePrefix", type: "string" }],
              output: {
                type: "string",
                value: "[concat(toLower(parameters('namePrefix')), uniqueString(resourceGroup().id))]",
              },
            },
          },
        },
      ],
      resources: [],
      outputs: { n: { type: "string", value: "[contoso.uniqueName('STG')]" } },
    });
    expect(outputs["n"]?.value).toMatch(/^stg[a-z2-7]{13}$/);
  });

  it("reports errors with the JSON path of the offending property", () => {
    const template = {
      resources: [
        storage("a"),
        storage("b"),
        {
          type: "Microsoft.ContainerService/managedClusters",
          apiVersion: "2024-02-01",
          name: "aks",
          properties: { networkProfile: { podCidr: "[cidrSubnet('10.244.0.0/16', 8, 0)]" } },
        },
      ],
    };
    let error: unknown;
    try {
      expand(template);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ArmTemplateError);
    expect(error).toMatchObject({
      template: "test.json",
      path: "resources[2].properties.networkProfile.podCidr",
      expression: "[cidrSubnet('10.244.0.0/16', 8, 0)]",
    });
    expect((error as Error).message).toContain("cidrSubnet() new CIDR 8 must be between 16 and 32");
  });
});

describe("deferred values", () => {
  const identityTemplate = {
    resources: [
      {
        type: "Microsoft.ManagedIdentity/userAssignedIdentities",
        apiVersion: API,
        name: "id-aks",
        location: "[resourceGroup().location]",
      },
      {
        type: "Microsoft.Authorization/roleAssignments",
        apiVersion: "2022-04-01",
        name: "[guid(resourceGroup().id, 'id-aks')]",
        properties: {
          principalId:
            "[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'id-aks')).principalId]",
          description: "[concat('for ', reference('id-aks').clientId)]",
          keys: "[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'elsewhere'), '2023-01-01').keys[0].value]",
        },
      },
    ],
    outputs: {
      principalId: { type: "string", value: "[reference('id-aks').principalId]" },
    },
  };

  it("keeps reference() of a resource of this template as the whole expression, and depends on it", () => {
    const { resources, outputs } = expand(identityTemplate);
    const props = resources[1]?.properties as Record<string, unknown>;
    expect(isDeferred(props["principalId"])).toBe(true);
    expect((props["principalId"] as DeferredValue).expression).toBe(
      "[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'id-aks')).principalId]",
    );
    expect((props["principalId"] as DeferredValue).reason).toMatch(
      /deployed by this template, is only known after deployment/,
    );
    expect(JSON.parse(JSON.stringify(props))).toEqual({
      principalId: {
        $deferred: "[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'id-aks')).principalId]",
      },
      description: { $deferred: "[concat('for ', reference('id-aks').clientId)]" },
      keys: {
        $deferred:
          "[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'elsewhere'), '2023-01-01').keys[0].value]",
      },
    });
    expect(resources[1]?.dependsOn).toEqual([
      `${RG_ID}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-aks`,
    ]);
    expect(JSON.parse(JSON.stringify(outputs))).toEqual({
      principalId: { type: "string", value: { $deferred: "[reference('id-aks').principalId]" } },
    });
  });

  it("calls the runtime hooks, for resources of the template too (once they exist, the runtime knows them)", () => {
    const calls: string[] = [];
    const { resources } = expand(identityTemplate, {
      runtime: {
        reference: (id) => {
          calls.push(`reference ${id}`);
          return { principalId: "p-1", clientId: "c-1" };
        },
        list: (id, apiVersion, fn) => {
          calls.push(`${fn} ${id} ${apiVersion}`);
          return { keys: [{ value: "k1" }] };
        },
      },
    });
    const props = resources[1]?.properties as Record<string, unknown>;
    expect(props["keys"]).toBe("k1");
    expect(props["principalId"]).toBe("p-1");
    expect(props["description"]).toBe("for c-1");
    expect(calls).toContain(`listKeys ${RG_ID}/providers/Microsoft.Storage/storageAccounts/elsewhere 2023-01-01`);
    expect(calls).toContain(`reference ${RG_ID}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-aks`);
  });

  it("defers reference() of an existing resource without a runtime, and uses runtime.reference when given", () => {
    const template = {
      resources: [],
      outputs: {
        ws: {
          type: "string",
          value:
            "[reference('/subscriptions/x/resourceGroups/y/providers/Microsoft.OperationalInsights/workspaces/w', '2022-10-01').customerId]",
        },
      },
    };
    const deferred = expand(template).outputs["ws"]?.value;
    expect(deferred).toBeInstanceOf(DeferredValue);
    expect((deferred as DeferredValue).reason).toMatch(/needs a runtime lookup/);
    const resolved = expand(template, {
      runtime: { reference: (id, apiVersion, full) => ({ customerId: `${id}|${apiVersion}|${full}` }) },
    }).outputs["ws"]?.value;
    expect(resolved).toBe(
      "/subscriptions/x/resourceGroups/y/providers/Microsoft.OperationalInsights/workspaces/w|2022-10-01|false",
    );
  });

  it("propagates deferred parameter values through every function", () => {
    const { outputs } = expand(
      {
        parameters: { principalId: { type: "string" }, tags: { type: "object", defaultValue: { a: "b" } } },
        resources: [],
        outputs: {
          plain: { type: "string", value: "[parameters('principalId')]" },
          joined: { type: "string", value: "[format('{0}-{1}', parameters('principalId'), 'x')]" },
          length: { type: "int", value: "[length(parameters('principalId'))]" },
          chosen: { type: "string", value: "[if(true(), 'known', parameters('principalId'))]" },
          tags: { type: "object", value: "[parameters('tags')]" },
        },
      },
      { parameters: { principalId: new DeferredValue("[reference('x').outputs.id.value]", "output of deployment x") } },
    );
    expect(JSON.parse(JSON.stringify(outputs))).toEqual({
      plain: { type: "string", value: { $deferred: "[parameters('principalId')]" } },
      joined: { type: "string", value: { $deferred: "[format('{0}-{1}', parameters('principalId'), 'x')]" } },
      length: { type: "int", value: { $deferred: "[length(parameters('principalId'))]" } },
      chosen: { type: "string", value: "known" },
      tags: { type: "object", value: { a: "b" } },
    });
    expect((outputs["joined"]?.value as DeferredValue).reason).toBe("output of deployment x");
  });

  it("defers newGuid()/utcNow() unless the runtime provides them", () => {
    const template = {
      parameters: {
        id: { type: "string", defaultValue: "[newGuid()]" },
        now: { type: "string", defaultValue: "[utcNow('u')]" },
      },
      resources: [],
      outputs: {
        id: { type: "string", value: "[parameters('id')]" },
        now: { type: "string", value: "[parameters('now')]" },
      },
    };
    expect(isDeferred(expand(template).outputs["id"]?.value)).toBe(true);
    const fixed = expand(template, {
      runtime: { newGuid: () => "11111111-2222-3333-4444-555555555555", utcNow: (f) => `now:${f ?? ""}` },
    });
    expect(fixed.outputs).toEqual({
      id: { type: "string", value: "11111111-2222-3333-4444-555555555555" },
      now: { type: "string", value: "now:u" },
    });
  });

  it("refuses runtime values where the deployment shape depends on them", () => {
    const ref = "[reference('id').principalId]";
    const base = { type: "Microsoft.ManagedIdentity/userAssignedIdentities", apiVersion: API, name: "id" };
    expect(() => expand({ resources: [base, storage(ref)] })).toThrow(
      /at resources\[1\]\.name: name must be known before deployment, but reference\(\) to .* \(expression: \[reference\('id'\)\.principalId\]\)/,
    );
    expect(() =>
      expand({ resources: [base, storage("s", { condition: `[equals(${ref.slice(1, -1)}, 'x')]` })] }),
    ).toThrow(/resources\[1\]\.condition: condition must be known before deployment/);
    expect(() =>
      expand({ resources: [base, storage("s", { copy: { name: "l", count: `[length(${ref.slice(1, -1)})]` } })] }),
    ).toThrow(/resources\[1\]\.copy\.count: copy count depends on a value known only at deployment time/);
  });

  it("still reports unknown functions and wrong arity when an argument is deferred", () => {
    const id = { type: "Microsoft.ManagedIdentity/userAssignedIdentities", apiVersion: API, name: "id" };
    expect(() =>
      expand({ resources: [id, storage("s", { properties: { a: "[frobnicate(reference('id').x)]" } })] }),
    ).toThrow(/resources\[1\]\.properties\.a: unknown function 'frobnicate'/);
    expect(() =>
      expand({ resources: [id, storage("s", { properties: { a: "[toLower(reference('id').x, 1)]" } })] }),
    ).toThrow(/function 'toLower' expects exactly 1 argument, got 2/);
  });

  it("keeps unknowable scope facts deferred instead of guessing", () => {
    const { outputs } = expand({
      resources: [],
      outputs: {
        tags: { type: "object", value: "[resourceGroup().tags]" },
        display: { type: "string", value: "[subscription().displayName]" },
      },
    });
    expect(JSON.parse(JSON.stringify(outputs))).toEqual({
      tags: { type: "object", value: { $deferred: "[resourceGroup().tags]" } },
      display: { type: "string", value: { $deferred: "[subscription().displayName]" } },
    });
  });
});

describe("subscription scope and nested deployments", () => {
  const subTemplate = {
    $schema: "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
    contentVersion: "1.0.0.0",
    parameters: { rgName: { type: "string", defaultValue: "rg-app" } },
    resources: [
      {
        type: "Microsoft.Resources/resourceGroups",
        apiVersion: "2022-09-01",
        name: "[parameters('rgName')]",
        location: "westeurope",
      },
      {
        type: "Microsoft.Resources/deployments",
        apiVersion: "2022-09-01",
        name: "app",
        resourceGroup: "[parameters('rgName')]",
        dependsOn: ["[resourceId('Microsoft.Resources/resourceGroups', parameters('rgName'))]"],
        properties: {
          mode: "Incremental",
          expressionEvaluationOptions: { scope: "inner" },
          parameters: { prefix: { value: "[parameters('rgName')]" } },
          template: {
            $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            contentVersion: "1.0.0.0",
            parameters: { prefix: { type: "string" } },
            resources: [
              storage("[concat('st', uniqueString(resourceGroup().id))]", { location: "[resourceGroup().location]" }),
              storage("logs", {
                dependsOn: [
                  "[resourceId('Microsoft.Storage/storageAccounts', concat('st', uniqueString(resourceGroup().id)))]",
                ],
              }),
            ],
          },
        },
      },
    ],
    outputs: {
      rgId: { type: "string", value: "[resourceId('Microsoft.Resources/resourceGroups', parameters('rgName'))]" },
    },
  };

  it("addresses resource groups as /subscriptions/{s}/resourceGroups/{name} and other resources under /providers", () => {
    const result = expandTemplate(subTemplate, { scope: subScope, templateName: "sub.json" });
    const rgId = `/subscriptions/${SUB}/resourceGroups/rg-app`;
    expect(result.outputs["rgId"]?.value).toBe(rgId);
    expect(result.resources[0]).toMatchObject({ id: rgId, name: "rg-app", location: "westeurope" });
    expect(result.resources[0]?.resourceGroup).toBeUndefined();
    expect(result.resources[1]).toMatchObject({
      id: `${rgId}/providers/Microsoft.Resources/deployments/app`,
      resourceGroup: "rg-app",
    });
  });

  it("expands an inline nested template into its resource group, with ordering through the deployment", () => {
    const { resources } = expandTemplate(subTemplate, { scope: subScope });
    const rgId = `/subscriptions/${SUB}/resourceGroups/rg-app`;
    const inner = resources.slice(2);
    expect(inner.map((r) => r.resourceGroup)).toEqual(["rg-app", "rg-app"]);
    const stName = inner[0]?.name as string;
    expect(stName).toMatch(/^st[a-z2-7]{13}$/);
    expect(inner[0]).toMatchObject({
      id: `${rgId}/providers/Microsoft.Storage/storageAccounts/${stName}`,
      location: "westeurope",
    });
    // Inner resources wait for what the deployment waits for; the deployment finishes after its contents.
    expect(inner[0]?.dependsOn).toEqual([rgId]);
    expect(inner[1]?.dependsOn).toEqual([inner[0]?.id, rgId]);
    expect(resources[1]?.dependsOn).toEqual([rgId, inner[0]?.id, inner[1]?.id]);
    expect((resources[1]?.properties as Record<string, unknown>)["template"]).toBe(
      subTemplate.resources[1]?.properties?.template,
    );
  });

  it("evaluates outer-scope nested templates with the parent's parameters", () => {
    const { resources } = expand({
      parameters: { name: { type: "string", defaultValue: "stouter" } },
      resources: [
        {
          type: "Microsoft.Resources/deployments",
          apiVersion: "2022-09-01",
          name: "nested",
          resourceGroup: "rg-other",
          properties: { mode: "Incremental", template: { resources: [storage("[parameters('name')]")] } },
        },
      ],
    });
    expect(resources[1]?.id).toBe(
      `/subscriptions/${SUB}/resourceGroups/rg-other/providers/Microsoft.Storage/storageAccounts/stouter`,
    );
  });

  it("passes Key Vault references into inner-scope templates as deferred values", () => {
    const { resources } = expand({
      resources: [
        {
          type: "Microsoft.Resources/deployments",
          apiVersion: "2022-09-01",
          name: "inner",
          properties: {
            mode: "Incremental",
            expressionEvaluationOptions: { scope: "inner" },
            parameters: {
              password: {
                reference: {
                  keyVault: { id: "/subscriptions/x/resourceGroups/y/providers/Microsoft.KeyVault/vaults/kv" },
                  secretName: "pw",
                },
              },
            },
            template: {
              parameters: { password: { type: "securestring" } },
              resources: [storage("st", { properties: { secret: "[parameters('password')]" } })],
            },
          },
        },
      ],
    });
    const secret = (resources[1]?.properties as Record<string, unknown>)["secret"];
    expect(secret).toBeInstanceOf(DeferredValue);
    expect((secret as DeferredValue).expression).toBe("[parameters('password')]");
    expect((secret as DeferredValue).reason).toMatch(/Key Vault secret references are resolved by ARM/);
  });

  it("refuses resourceGroup() at subscription scope and a subscription template at resource-group scope", () => {
    expect(() =>
      expandTemplate(
        { ...subTemplate, outputs: { x: { type: "string", value: "[resourceGroup().id]" } } },
        { scope: subScope },
      ),
    ).toThrow(/resourceGroup\(\) is only available in a resource-group scope deployment/);
    expect(() => expandTemplate(subTemplate, { scope: rgScope })).toThrow(/deploy it at subscription scope/);
  });
});

describe("languageVersion 2.0 symbolic resources", () => {
  it("accepts resources as an object, symbolic dependsOn and existing references", () => {
    const { resources } = expand({
      languageVersion: "2.0",
      resources: {
        shared: { ...storage("stshared"), existing: true },
        app: storage("stapp", {
          dependsOn: ["shared", "logs"],
          properties: { other: "[reference('shared').primaryEndpoints]" },
        }),
        logs: storage("stlogs"),
      },
    });
    expect(resources.map((r) => r.name)).toEqual(["stapp", "stlogs"]);
    expect(resources[0]?.dependsOn).toEqual([stId("stlogs")]);
    expect((resources[0]?.properties as Record<string, DeferredValue>)["other"]?.reason).toMatch(
      /needs a runtime lookup/,
    );
  });
});
