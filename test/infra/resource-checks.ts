import { z } from "zod";
import type { PlanResource } from "../../lib/plan";

/**
 * Our own checks for the resource types infra/schema-allowlist.json lets through without an official schema: the
 * properties that matter, with unknown keys rejected (`strictObject`) so a misspelt property fails the way lib/check's
 * unknown-key walk would. Values only known at deploy time appear as `{ "$deferred": expr }`.
 */

const deferred = z.strictObject({ $deferred: z.string() });
const str = z.union([z.string().min(1), deferred]);
const int = z.union([z.number().int(), deferred]);
const resourceIdOf = (type: string) =>
  z.union([z.string().regex(new RegExp(`/providers/${type.replace(/[./]/g, (c) => `\\${c}`)}/[^/]+`, "i")), deferred]);

const retryPolicy = z.strictObject({
  maxDeliveryAttempts: z.number().int().min(1).max(30),
  eventTimeToLiveInMinutes: z.number().int().min(1).max(1440),
});

const advancedFilter = z.strictObject({
  operatorType: z.enum(["StringIn", "StringContains", "StringBeginsWith", "StringEndsWith", "StringNotIn"]),
  key: z.string().min(1),
  values: z.array(z.string().min(1)).min(1).max(25),
});

const eventSubscription = z.strictObject({
  destination: z.strictObject({
    endpointType: z.literal("AzureFunction"),
    properties: z.strictObject({
      resourceId: z.union([z.string().regex(/\/providers\/Microsoft\.Web\/sites\/[^/]+\/functions\/[^/]+$/), deferred]),
      maxEventsPerBatch: z.number().int().min(1).max(5000),
      preferredBatchSizeInKilobytes: z.number().int().min(1).max(1024),
    }),
  }),
  eventDeliverySchema: z.enum(["EventGridSchema", "CloudEventSchemaV1_0"]),
  filter: z.strictObject({
    includedEventTypes: z.array(z.string().min(1)).min(1),
    advancedFilters: z.array(advancedFilter).max(25).optional(),
  }),
  retryPolicy,
  deadLetterWithResourceIdentity: z.strictObject({
    identity: z.strictObject({ type: z.literal("SystemAssigned") }),
    deadLetterDestination: z.strictObject({
      endpointType: z.literal("StorageBlob"),
      properties: z.strictObject({
        resourceId: resourceIdOf("Microsoft.Storage/storageAccounts"),
        blobContainerName: z.string().regex(/^[a-z0-9](-?[a-z0-9])+$/),
      }),
    }),
  }),
});

const systemAssigned = z.strictObject({ type: z.literal("SystemAssigned") });
/** An empty value is a feature that is off (a notification channel, the Durable Task Scheduler connection). */
const appSetting = z.strictObject({ name: z.string().min(1), value: z.union([str, z.literal("")]) });

/** Resource-level shape (location, sku, kind, identity) plus `properties`, per type (lower case). */
export const RESOURCE_CHECKS: Readonly<Record<string, z.ZodType>> = {
  "microsoft.web/serverfarms": z.object({
    location: str,
    kind: z.literal("functionapp"),
    sku: z.strictObject({ name: z.literal("FC1"), tier: z.literal("FlexConsumption") }),
    properties: z.strictObject({ reserved: z.literal(true) }),
  }),
  "microsoft.web/sites": z.object({
    location: str,
    kind: z.literal("functionapp,linux"),
    identity: z.strictObject({
      type: z.literal("UserAssigned"),
      userAssignedIdentities: z.record(z.string(), z.strictObject({})),
    }),
    properties: z.strictObject({
      serverFarmId: resourceIdOf("Microsoft.Web/serverfarms"),
      httpsOnly: z.literal(true),
      clientCertEnabled: z.boolean(),
      publicNetworkAccess: z.enum(["Enabled", "Disabled"]),
      keyVaultReferenceIdentity: resourceIdOf("Microsoft.ManagedIdentity/userAssignedIdentities"),
      siteConfig: z.strictObject({
        minTlsVersion: z.enum(["1.2", "1.3"]),
        scmMinTlsVersion: z.enum(["1.2", "1.3"]),
        ftpsState: z.literal("Disabled"),
        http20Enabled: z.boolean(),
        appSettings: z.array(appSetting),
      }),
      functionAppConfig: z.strictObject({
        deployment: z.strictObject({
          storage: z.strictObject({
            type: z.literal("blobContainer"),
            value: str,
            authentication: z.strictObject({
              type: z.literal("UserAssignedIdentity"),
              userAssignedIdentityResourceId: resourceIdOf("Microsoft.ManagedIdentity/userAssignedIdentities"),
            }),
          }),
        }),
        scaleAndConcurrency: z.strictObject({
          maximumInstanceCount: int,
          instanceMemoryMB: int,
        }),
        runtime: z.strictObject({ name: z.literal("node"), version: z.literal("22") }),
      }),
    }),
  }),
  "microsoft.web/sites/basicpublishingcredentialspolicies": z.object({
    name: z.string().regex(/\/(ftp|scm)$/),
    properties: z.strictObject({ allow: z.literal(false) }),
  }),
  "microsoft.eventgrid/topics": z.object({
    location: str,
    identity: systemAssigned,
    properties: z.strictObject({
      inputSchema: z.literal("EventGridSchema"),
      publicNetworkAccess: z.enum(["Enabled", "Disabled"]),
      disableLocalAuth: z.literal(true),
      minimumTlsVersionAllowed: z.enum(["1.2"]),
    }),
  }),
  "microsoft.eventgrid/systemtopics": z.object({
    location: str,
    tags: z.record(z.string(), z.string()).optional(),
    identity: systemAssigned,
    properties: z.strictObject({
      source: str,
      topicType: z.enum([
        "Microsoft.ResourceNotifications.HealthResources",
        "Microsoft.KeyVault.vaults",
        "Microsoft.ContainerService.ManagedClusters",
        // Azure subscriptions as an Event Grid source (Resources write/delete/action events; drift).
        "Microsoft.Resources.Subscriptions",
      ]),
    }),
  }),
  "microsoft.eventgrid/systemtopics/eventsubscriptions": z.object({ properties: eventSubscription }),
  "microsoft.eventgrid/topics/eventsubscriptions": z.object({ properties: eventSubscription }),
  "microsoft.insights/actiongroups": z.object({
    location: z.literal("Global"),
    properties: z.strictObject({
      groupShortName: z.string().min(1).max(12),
      enabled: z.literal(true),
      webhookReceivers: z
        .array(
          z.strictObject({
            name: z.string().min(1),
            serviceUri: str,
            useCommonAlertSchema: z.literal(true),
            useAadAuth: z.boolean(),
          }),
        )
        .min(1),
    }),
  }),
  // learn.microsoft.com/azure/templates/microsoft.durabletask/schedulers (2025-11-01): ipAllowlist and sku required;
  // an empty allow-list refuses every caller.
  "microsoft.durabletask/schedulers": z.object({
    location: str,
    properties: z.strictObject({
      sku: z.strictObject({
        name: z.union([z.enum(["Consumption", "Dedicated"]), deferred]),
        capacity: int.optional(),
      }),
      ipAllowlist: z.array(z.string().min(1)).min(1),
      publicNetworkAccess: z.enum(["Enabled", "Disabled"]).optional(),
    }),
  }),
  "microsoft.durabletask/schedulers/taskhubs": z.object({
    name: z.string().regex(/^[^/]+\/[a-zA-Z][a-zA-Z0-9]{2,44}$/),
    properties: z.strictObject({}),
  }),
  "microsoft.alertsmanagement/actionrules": z.object({
    location: z.literal("Global"),
    properties: z.strictObject({
      description: z.string().min(1),
      enabled: z.literal(true),
      scopes: z.array(str).min(1),
      conditions: z
        .array(
          z.strictObject({
            field: z.enum([
              "MonitorService",
              "Severity",
              "MonitorCondition",
              "AlertRuleName",
              "AlertRuleId",
              "TargetResourceType",
              "TargetResource",
              "AlertContext",
              "Description",
              "SignalType",
            ]),
            operator: z.enum(["Equals", "NotEquals", "Contains", "DoesNotContain"]),
            values: z.array(z.string().min(1)).min(1),
          }),
        )
        .min(1),
      actions: z
        .array(
          z.strictObject({
            actionType: z.literal("AddActionGroups"),
            actionGroupIds: z.array(resourceIdOf("Microsoft.Insights/actionGroups")).min(1),
          }),
        )
        .min(1),
    }),
  }),
};

/** Problems of one resource against its zod check (`path: message`), or undefined when the type has no check. */
export function checkResource(resource: PlanResource): string[] | undefined {
  const schema = RESOURCE_CHECKS[resource.type.toLowerCase()];
  if (!schema) return undefined;
  const result = schema.safeParse(resource);
  return result.success
    ? []
    : result.error.issues.map((i) => `${resource.id}: ${i.path.join(".") || "/"}: ${i.message}`);
}
