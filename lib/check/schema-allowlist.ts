/**
 * The one place where the plan may deviate from what the official schemas allow, each deviation with its reason:
 * resource types deployed without a schema, and values of enums the schema generator closed although the REST
 * specification declares them extensible (`modelAsString`). The schema test fails on anything not listed here.
 */
export interface SchemaAllowlistEntry {
  type: string;
  reason: string;
}

/** Resource types allowed without a schema. Empty: every deployed type has one. */
export const SCHEMA_ALLOWLIST: readonly SchemaAllowlistEntry[] = [];

export interface EnumExtension {
  /** Schema file (relative to the schemas folder) whose enums are extended. */
  file: string;
  /** Only enums already containing this value are extended. */
  enumContaining: string;
  added: readonly string[];
  reason: string;
}

export const ENUM_EXTENSIONS: readonly EnumExtension[] = [
  {
    file: "2024-03-11/Microsoft.Insights.json",
    enumContaining: "Microsoft-Syslog",
    added: [
      "Microsoft-PrometheusMetrics",
      "Microsoft-ContainerLogV2",
      "Microsoft-KubeEvents",
      "Microsoft-KubePodInventory",
      "Microsoft-KubeNodeInventory",
      "Microsoft-KubePVInventory",
      "Microsoft-KubeServices",
      "Microsoft-KubeMonAgentEvents",
      "Microsoft-ContainerInventory",
      "Microsoft-ContainerNodeInventory",
    ],
    reason:
      "KnownDataFlowStreams / KnownExtensionDataSourceStreams are extensible in the REST specification; Managed Prometheus and Container Insights use these streams in Microsoft's own AKS onboarding templates.",
  },
];
