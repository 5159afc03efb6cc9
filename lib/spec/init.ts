import { Document, isMap, isPair, isScalar, type Node, type Pair } from "yaml";
import { z } from "zod";
import { defaultSpec, seedCluster } from "./default";
import { platformSpecSchema, type PlatformSpec } from "./schema";

/**
 * Starting points for writing a spec: a new spec shaped like the seed for other cluster names (`spec init`), the
 * JSON Schema editors validate against (`spec schema`, shipped as schemas/platform-spec.schema.json), and the
 * commented YAML both are written as.
 */

/** Where the repository ships the JSON Schema, relative to its root. */
export const SPEC_SCHEMA_FILE = "schemas/platform-spec.schema.json";

/** The JSON Schema of a spec as written (YAML integers for zones included), generated from the zod schema. */
export function specJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(platformSpecSchema, { io: "input", target: "draft-7" }),
    title: "AKS Platform Automation platform spec",
    description:
      "A platform of AKS clusters with their network, shared services, access, GitOps and notifications. " +
      "Validated by `aks-platform plan|check --spec FILE`, which also applies the rules relating fields to each other.",
  };
}

export interface SpecInitOptions {
  /** Environment name (resource names derive from it). */
  name?: string;
  location?: string;
  /** Cluster names; the first is the management cluster hosting Bastion and the jump VM. */
  clusters?: readonly string[];
}

/**
 * A spec like the seed for other names: the first cluster is the management cluster (ingress, Kiali), the
 * others are workload clusters (Kyverno), the first workload cluster with an ingress gateway too. Each cluster
 * gets the VNet 10.<n>.0.0/16 in the order given.
 */
export function initSpec(options: SpecInitOptions = {}): PlatformSpec {
  const name = options.name ?? defaultSpec.name;
  const names = options.clusters ?? defaultSpec.clusters.map((c) => c.name);
  const renamed = JSON.parse(
    JSON.stringify(defaultSpec)
      .replaceAll(defaultSpec.name, name)
      .replaceAll("acrk8sdemo", `acr${name.replace(/-/g, "")}`),
  ) as PlatformSpec;
  const host = names[0] ?? "mgmt";
  return {
    ...renamed,
    location: options.location ?? defaultSpec.location,
    clusters: names.map((cluster, i) =>
      i === 0
        ? seedCluster(cluster, 1, "management", true, false, name)
        : seedCluster(cluster, i + 1, "workload", i === 1, true, name),
    ),
    access: { ...renamed.access, hostCluster: host },
  };
}

/** What a person needs to know next to each key of the spec (top-level and the first level below). */
const COMMENTS: Record<string, string> = {
  name: "Environment name: resource groups, the build's instance id and GitOps substitutions derive from it.",
  subscriptionId:
    "All zeros = not set: the sandbox plays it; a real build takes --subscription (or set the subscription here).",
  location: "Azure region of every resource (koreacentral in the seed).",
  commonResourceGroup: "The shared resource group (VNets, Key Vault, monitoring, backup vault, registry).",
  tags: "Tags on every resource group and resource.",
  clusters:
    "One entry per AKS cluster. zones: 1, 2, 3 (numbers or strings). vmSize: an Azure size name such as " +
    "Standard_D2s_v5 with at least 2 vCPUs. pools.spot: Karpenter Spot capacity by VM family letter.",
  access: "Bastion and the private jump VM, in the VNet of hostCluster.",
  shared: "Shared services. Key Vault and registry names are global in Azure: pick your own for a real build.",
  defenderForContainers: "Microsoft Defender for Containers on the subscription.",
  istio: "revision: pin the Istio add-on revision (asm-1-26); leave it out to use the region's default.",
  gitops: "The Flux source every cluster syncs from, and the ingress certificate's host and ACME account.",
  notifications:
    "Teams/Slack channels by the app setting holding their webhook URL (never the URL itself), routes by severity.",
};

/** The spec as commented YAML, with the `$schema` line editors (the YAML language server) follow. */
export function renderSpecYaml(spec: PlatformSpec, schemaRef: string): string {
  // The seed shares one pool object between clusters: written out in full, not as YAML anchors.
  const doc = new Document(spec, { aliasDuplicateObjects: false });
  doc.commentBefore = [
    ` yaml-language-server: $schema=${schemaRef}`,
    ` Platform spec for aks-platform (plan, check, up, serve). Every field: ${SPEC_SCHEMA_FILE}.`,
    " Check it with `aks-platform plan --spec FILE`; build it with `aks-platform up --spec FILE --sandbox`.",
  ].join("\n");
  if (isMap(doc.contents)) {
    for (const item of doc.contents.items as Pair<Node, Node>[]) {
      if (!isPair(item) || !isScalar(item.key)) continue;
      const comment = COMMENTS[String(item.key.value)];
      if (comment !== undefined) item.key.commentBefore = ` ${comment}`;
    }
  }
  return doc.toString({ lineWidth: 0 });
}
