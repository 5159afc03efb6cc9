import { z } from "zod";

/**
 * Schemas for the kinds no @kubernetes-models package covers, limited to the fields this tree uses and strict
 * (an unknown or misspelt field fails). Each entry names where the upstream CRD lives, to re-check on upgrades.
 */

const metadata = z.looseObject({
  name: z.string().min(1),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const toleration = z.strictObject({
  key: z.string().optional(),
  operator: z.enum(["Exists", "Equal"]).optional(),
  value: z.string().optional(),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
});

/** Upstream: github.com/Azure/karpenter-provider-azure pkg/apis/crds/karpenter.azure.com_aksnodeclasses.yaml (v1beta1). */
const aksNodeClass = z.strictObject({
  apiVersion: z.literal("karpenter.azure.com/v1beta1"),
  kind: z.literal("AKSNodeClass"),
  metadata,
  spec: z.strictObject({
    imageFamily: z.enum(["Ubuntu", "Ubuntu2204", "Ubuntu2404", "AzureLinux"]).optional(),
    osDiskSizeGB: z.int().min(30).max(2048).optional(),
    maxPods: z.int().min(10).max(250).optional(),
    vnetSubnetID: z.string().startsWith("/subscriptions/").optional(),
    tags: z.record(z.string(), z.string()).optional(),
  }),
});

/** Upstream: github.com/kubernetes-sigs/secrets-store-csi-driver config/crd (v1) + the Azure provider's parameters. */
const secretProviderClass = z.strictObject({
  apiVersion: z.literal("secrets-store.csi.x-k8s.io/v1"),
  kind: z.literal("SecretProviderClass"),
  metadata,
  spec: z.strictObject({
    provider: z.literal("azure"),
    secretObjects: z
      .array(
        z.strictObject({
          secretName: z.string().min(1),
          type: z.string().min(1),
          labels: z.record(z.string(), z.string()).optional(),
          data: z.array(z.strictObject({ objectName: z.string().min(1), key: z.string().min(1) })).min(1),
        }),
      )
      .optional(),
    // The driver passes parameters to the provider as a string map; the Azure provider's keys are fixed.
    parameters: z.strictObject({
      usePodIdentity: z.enum(["true", "false"]).optional(),
      useVMManagedIdentity: z.enum(["true", "false"]).optional(),
      clientID: z.string().min(1).optional(),
      keyvaultName: z.string().regex(/^[a-zA-Z0-9-]{3,24}$/, "a Key Vault name"),
      tenantId: z.string().min(1),
      cloudName: z.string().optional(),
      objects: z.string().min(1),
    }),
  }),
});

const kyvernoResourceFilter = z.strictObject({
  resources: z.strictObject({
    kinds: z.array(z.string()).min(1).optional(),
    names: z.array(z.string()).optional(),
    namespaces: z.array(z.string()).optional(),
    operations: z.array(z.enum(["CREATE", "UPDATE", "DELETE", "CONNECT"])).optional(),
    namespaceSelector: z.strictObject({ matchLabels: z.record(z.string(), z.string()) }).optional(),
  }),
});

const kyvernoCondition = z.strictObject({
  key: z.unknown(),
  operator: z.enum([
    "Equals",
    "NotEquals",
    "In",
    "AnyIn",
    "AllIn",
    "NotIn",
    "AnyNotIn",
    "AllNotIn",
    "GreaterThan",
    "GreaterThanOrEquals",
    "LessThan",
    "LessThanOrEquals",
    "DurationGreaterThan",
    "DurationLessThan",
  ]),
  value: z.unknown(),
  message: z.string().optional(),
});
const kyvernoConditions = z.strictObject({
  any: z.array(kyvernoCondition).optional(),
  all: z.array(kyvernoCondition).optional(),
});

/** Upstream: github.com/kyverno/kyverno config/crds/kyverno/kyverno.io_clusterpolicies.yaml (kyverno.io/v1, Kyverno 1.15). */
const kyvernoClusterPolicy = z.strictObject({
  apiVersion: z.literal("kyverno.io/v1"),
  kind: z.literal("ClusterPolicy"),
  metadata,
  spec: z.strictObject({
    background: z.boolean().optional(),
    rules: z
      .array(
        z.strictObject({
          name: z.string().min(1).max(63),
          match: z.strictObject({
            any: z.array(kyvernoResourceFilter).optional(),
            all: z.array(kyvernoResourceFilter).optional(),
          }),
          exclude: z
            .strictObject({
              any: z.array(kyvernoResourceFilter).optional(),
              all: z.array(kyvernoResourceFilter).optional(),
            })
            .optional(),
          preconditions: kyvernoConditions.optional(),
          context: z
            .array(
              z.strictObject({
                name: z.string().min(1),
                apiCall: z.strictObject({ urlPath: z.string().startsWith("/"), jmesPath: z.string().optional() }),
              }),
            )
            .optional(),
          validate: z
            .strictObject({
              // Per-rule action (Kyverno ≥ 1.13); the policy-wide validationFailureAction is deprecated.
              failureAction: z.enum(["Enforce", "Audit"]),
              message: z.string().min(1),
              pattern: z.record(z.string(), z.unknown()).optional(),
              deny: z.strictObject({ conditions: kyvernoConditions }).optional(),
            })
            .refine((v) => (v.pattern === undefined) !== (v.deny === undefined), "exactly one of pattern or deny"),
        }),
      )
      .min(1),
  }),
});

/** Upstream: github.com/kiali/kiali-operator crd-docs/crd/kiali.io_kialis.yaml (kiali.io/v1alpha1, Kiali 2.x). */
const kiali = z.strictObject({
  apiVersion: z.literal("kiali.io/v1alpha1"),
  kind: z.literal("Kiali"),
  metadata,
  spec: z.strictObject({
    istio_namespace: z.string().min(1),
    auth: z.strictObject({ strategy: z.enum(["anonymous", "token", "openid", "header", "openshift"]) }),
    deployment: z
      .strictObject({
        cluster_wide_access: z.boolean().optional(),
        view_only_mode: z.boolean().optional(),
        priority_class_name: z.string().optional(),
        tolerations: z.array(toleration).optional(),
      })
      .optional(),
    external_services: z
      .strictObject({
        istio: z
          .strictObject({
            config_map_name: z.string().optional(),
            istio_sidecar_injector_config_map_name: z.string().optional(),
            istiod_deployment_name: z.string().optional(),
            url_service_version: z.url().optional(),
          })
          .optional(),
        grafana: z.strictObject({ enabled: z.boolean() }).optional(),
        tracing: z.strictObject({ enabled: z.boolean() }).optional(),
        prometheus: z.strictObject({ url: z.url() }).optional(),
      })
      .optional(),
  }),
});

export interface ExtraSchema {
  scope: "Namespaced" | "Cluster";
  schema: z.ZodType;
  upstream: string;
}

/** Keyed by `apiVersion/kind`. */
export const EXTRA_SCHEMAS: Readonly<Record<string, ExtraSchema>> = {
  "karpenter.azure.com/v1beta1/AKSNodeClass": {
    scope: "Cluster",
    schema: aksNodeClass,
    upstream: "Azure/karpenter-provider-azure",
  },
  "secrets-store.csi.x-k8s.io/v1/SecretProviderClass": {
    scope: "Namespaced",
    schema: secretProviderClass,
    upstream: "kubernetes-sigs/secrets-store-csi-driver",
  },
  "kyverno.io/v1/ClusterPolicy": { scope: "Cluster", schema: kyvernoClusterPolicy, upstream: "kyverno/kyverno" },
  "kiali.io/v1alpha1/Kiali": { scope: "Namespaced", schema: kiali, upstream: "kiali/kiali-operator" },
};

export type AKSNodeClass = z.infer<typeof aksNodeClass>;
export type SecretProviderClass = z.infer<typeof secretProviderClass>;
export type KyvernoClusterPolicy = z.infer<typeof kyvernoClusterPolicy>;
export type Kiali = z.infer<typeof kiali>;
