import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../lib/config";
import { expandMain, ofType, single } from "./infra";

/**
 * The Durable backend is a parameter of infra/main.json (durableBackend): the Azure Storage provider by default, or
 * the Durable Task Scheduler (Microsoft.DurableTask/schedulers + taskHubs, identity-only, Durable Task Data
 * Contributor). host.json stays one file: its hub comes from %AKS_PLATFORM_TASK_HUB%, its provider from app settings
 * that override host.json (`AzureFunctionsJobHost__<path>`, learn.microsoft.com functions-host-json, "Override
 * host.json values"), set by the template for the chosen backend.
 */

const DURABLE_TASK_DATA_CONTRIBUTOR = "0ad04412-c4d5-4796-b79c-f76d14c8d402";
const PROVIDER_TYPE = "AzureFunctionsJobHost__extensions__durableTask__storageProvider__type";
const PROVIDER_CONNECTION = "AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName";

type Setting = { name: string; value: unknown };
const props = (r: { properties?: unknown }) => r.properties as Record<string, unknown>;

function deploy(durableBackend?: string) {
  const main = expandMain(durableBackend === undefined ? {} : { durableBackend });
  const site = single(main.resources, "Microsoft.Web/sites");
  const settings = new Map(
    ((props(site).siteConfig as { appSettings: Setting[] }).appSettings ?? []).map((s) => [s.name, s.value]),
  );
  return { main, site, settings };
}

const deferredText = (v: unknown) => (v as { $deferred: string }).$deferred;

describe("infra: the Durable backend, chosen by a parameter", () => {
  const hostJson = JSON.parse(readFileSync(path.join(repoRoot(), "host.json"), "utf8")) as {
    extensions: { durableTask: { hubName: string; storageProvider: Record<string, string> } };
  };

  it("defaults to the Azure Storage provider: no scheduler, host.json's provider on the host's own storage", () => {
    const { main, settings } = deploy();
    expect(main.resources.filter((r) => /durabletask/i.test(r.type))).toEqual([]);
    expect(settings.get(PROVIDER_TYPE)).toBe("AzureStorage");
    expect(settings.get(PROVIDER_CONNECTION)).toBe("AzureWebJobsStorage");
    expect(settings.get("DURABLE_TASK_SCHEDULER_CONNECTION_STRING")).toBe("");
    expect(settings.get("TASKHUB_NAME")).toBe(settings.get("AKS_PLATFORM_TASK_HUB"));
    const grants = ofType(main.resources, "Microsoft.Authorization/roleAssignments");
    expect(JSON.stringify(grants)).not.toContain(DURABLE_TASK_DATA_CONTRIBUTOR);
  });

  it("DurableTaskScheduler deploys the scheduler and the app's task hub, grants the data role, sets the settings", () => {
    const { main, site, settings } = deploy("DurableTaskScheduler");
    const scheduler = single(main.resources, "Microsoft.DurableTask/schedulers");
    expect(scheduler).toMatchObject({
      apiVersion: "2025-11-01",
      location: "koreacentral",
      properties: { sku: { name: "Consumption" } },
    });
    // An empty allow-list refuses every caller; Flex Consumption has no fixed outbound addresses.
    expect((props(scheduler).ipAllowlist as string[]).length).toBeGreaterThan(0);
    const hub = single(main.resources, "Microsoft.DurableTask/schedulers/taskHubs");
    expect(hub.name).toBe(`${scheduler.name}/${String(settings.get("AKS_PLATFORM_TASK_HUB"))}`);
    expect(settings.get("TASKHUB_NAME")).toBe(hub.name.split("/")[1]);

    const grant = ofType(main.resources, "Microsoft.Authorization/roleAssignments").find((r) =>
      JSON.stringify(props(r).roleDefinitionId).includes(DURABLE_TASK_DATA_CONTRIBUTOR),
    )!;
    expect(grant.scope).toBe(scheduler.id);
    expect(props(grant)).toMatchObject({ principalType: "ServicePrincipal" });
    expect(JSON.stringify(props(grant).principalId)).toMatch(/userAssignedIdentities.*principalId/);

    expect(settings.get(PROVIDER_TYPE)).toBe("azureManaged");
    expect(settings.get(PROVIDER_CONNECTION)).toBe("DURABLE_TASK_SCHEDULER_CONNECTION_STRING");
    const connection = deferredText(settings.get("DURABLE_TASK_SCHEDULER_CONNECTION_STRING"));
    expect(connection).toContain("Endpoint={0};Authentication=ManagedIdentity;ClientID={1}");
    expect(connection).toMatch(/reference\(resourceId\('Microsoft\.DurableTask\/schedulers'.*\)\.endpoint/);
    expect(connection).toMatch(/userAssignedIdentities.*\)\.clientId/);
    expect(connection).not.toMatch(/key|secret|password/i);
    // The app starts once its hub exists and its identity may use it.
    const dependsOn = JSON.stringify(site.dependsOn);
    expect(dependsOn).toContain(hub.id);
    expect(dependsOn).toContain(grant.id);
  });

  it("the app-setting overrides name paths host.json has; host.json's hub is the app setting both backends use", () => {
    expect(hostJson.extensions.durableTask.hubName).toBe("%AKS_PLATFORM_TASK_HUB%");
    expect(hostJson.extensions.durableTask.storageProvider.type).toBe("AzureStorage");
    for (const backend of ["AzureStorage", "DurableTaskScheduler"]) {
      for (const name of deploy(backend).settings.keys()) {
        if (!name.startsWith("AzureFunctionsJobHost__")) continue;
        const keys = name.split("__").slice(1);
        const parent = keys.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], hostJson);
        expect(parent, `${name}: host.json has no ${keys.slice(0, -1).join(".")}`).toBeTypeOf("object");
      }
    }
  });

  it("refuses a backend it does not know, naming the parameter", () => {
    expect(() => deploy("Netherite")).toThrow(/durableBackend/);
  });

  it("main.bicep and azd's parameters pass the choice through", () => {
    const bicep = readFileSync(path.join(repoRoot(), "infra/main.bicep"), "utf8");
    expect(bicep).toMatch(/param durableBackend string = 'AzureStorage'/);
    expect(bicep).toMatch(/durableBackend: durableBackend/);
    const azdParameters = readFileSync(path.join(repoRoot(), "infra/main.parameters.json"), "utf8");
    expect(azdParameters).toContain("${AKS_PLATFORM_DURABLE_BACKEND=AzureStorage}");
  });
});
