import { z } from "zod";
import { EXTRA_SCHEMAS } from "./extra-schemas";
import { objectKey, type K8sObject } from "./kustomize";

/**
 * Schema validation of rendered objects. Kinds covered by the @kubernetes-models packages are checked with the
 * package's generated validator (the packages are ESM-only, hence the dynamic imports); the rest with
 * extra-schemas.ts. A kind in neither table is an error: nothing in the tree goes unvalidated.
 */

interface ValidatingModel {
  validate(): void;
}
interface ModelStatics {
  apiVersion?: unknown;
  kind?: unknown;
}
// Model constructors differ in their data types; every one accepts the plain object it describes.
type ModelClass = new (...args: never[]) => ValidatingModel;

interface ModelEntry {
  scope: "Namespaced" | "Cluster";
  package: string;
  load: () => Promise<ModelClass>;
}

/** Keyed by `apiVersion/kind`: exactly the kinds this tree uses. */
const MODELS: Readonly<Record<string, ModelEntry>> = {
  "v1/Namespace": {
    scope: "Cluster",
    package: "kubernetes-models",
    load: async () => (await import("kubernetes-models/v1/Namespace")).Namespace,
  },
  "v1/ConfigMap": {
    scope: "Namespaced",
    package: "kubernetes-models",
    load: async () => (await import("kubernetes-models/v1/ConfigMap")).ConfigMap,
  },
  "v1/ServiceAccount": {
    scope: "Namespaced",
    package: "kubernetes-models",
    load: async () => (await import("kubernetes-models/v1/ServiceAccount")).ServiceAccount,
  },
  "v1/Service": {
    scope: "Namespaced",
    package: "kubernetes-models",
    load: async () => (await import("kubernetes-models/v1/Service")).Service,
  },
  "apps/v1/Deployment": {
    scope: "Namespaced",
    package: "kubernetes-models",
    load: async () => (await import("kubernetes-models/apps/v1/Deployment")).Deployment,
  },
  "policy/v1/PodDisruptionBudget": {
    scope: "Namespaced",
    package: "kubernetes-models",
    load: async () => (await import("kubernetes-models/policy/v1/PodDisruptionBudget")).PodDisruptionBudget,
  },
  "scheduling.k8s.io/v1/PriorityClass": {
    scope: "Cluster",
    package: "kubernetes-models",
    load: async () => (await import("kubernetes-models/scheduling.k8s.io/v1/PriorityClass")).PriorityClass,
  },
  "source.toolkit.fluxcd.io/v1/GitRepository": {
    scope: "Namespaced",
    package: "@kubernetes-models/flux-cd",
    load: async () =>
      (await import("@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1/GitRepository")).GitRepository,
  },
  "source.toolkit.fluxcd.io/v1/HelmRepository": {
    scope: "Namespaced",
    package: "@kubernetes-models/flux-cd",
    load: async () =>
      (await import("@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1/HelmRepository")).HelmRepository,
  },
  "kustomize.toolkit.fluxcd.io/v1/Kustomization": {
    scope: "Namespaced",
    package: "@kubernetes-models/flux-cd",
    load: async () =>
      (await import("@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1/Kustomization")).Kustomization,
  },
  "helm.toolkit.fluxcd.io/v2/HelmRelease": {
    scope: "Namespaced",
    package: "@kubernetes-models/flux-cd",
    load: async () => (await import("@kubernetes-models/flux-cd/helm.toolkit.fluxcd.io/v2/HelmRelease")).HelmRelease,
  },
  "cert-manager.io/v1/ClusterIssuer": {
    scope: "Cluster",
    package: "@kubernetes-models/cert-manager",
    load: async () => (await import("@kubernetes-models/cert-manager/cert-manager.io/v1/ClusterIssuer")).ClusterIssuer,
  },
  "cert-manager.io/v1/Certificate": {
    scope: "Namespaced",
    package: "@kubernetes-models/cert-manager",
    load: async () => (await import("@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate")).Certificate,
  },
  "external-secrets.io/v1/SecretStore": {
    scope: "Namespaced",
    package: "@kubernetes-models/external-secrets",
    load: async () =>
      (await import("@kubernetes-models/external-secrets/external-secrets.io/v1/SecretStore")).SecretStore,
  },
  "external-secrets.io/v1alpha1/PushSecret": {
    scope: "Namespaced",
    package: "@kubernetes-models/external-secrets",
    load: async () =>
      (await import("@kubernetes-models/external-secrets/external-secrets.io/v1alpha1/PushSecret")).PushSecret,
  },
  "networking.istio.io/v1/Gateway": {
    scope: "Namespaced",
    package: "@kubernetes-models/istio",
    load: async () => (await import("@kubernetes-models/istio/networking.istio.io/v1/Gateway")).Gateway,
  },
  "networking.istio.io/v1/VirtualService": {
    scope: "Namespaced",
    package: "@kubernetes-models/istio",
    load: async () => (await import("@kubernetes-models/istio/networking.istio.io/v1/VirtualService")).VirtualService,
  },
  "karpenter.sh/v1/NodePool": {
    scope: "Cluster",
    package: "@kubernetes-models/karpenter",
    load: async () => (await import("@kubernetes-models/karpenter/karpenter.sh/v1/NodePool")).NodePool,
  },
};

export interface ValidationIssue {
  object: string;
  message: string;
}

/** How each covered kind is validated: the model package, or the project's own schema. */
export function validatorFor(
  apiVersion: string,
  kind: string,
): { scope: "Namespaced" | "Cluster"; by: string } | undefined {
  const key = `${apiVersion}/${kind}`;
  const model = MODELS[key];
  if (model !== undefined) return { scope: model.scope, by: model.package };
  const extra = EXTRA_SCHEMAS[key];
  return extra === undefined ? undefined : { scope: extra.scope, by: `extra-schemas (${extra.upstream})` };
}

/** Kinds validated by a model package (for tests that check the package really exports them). */
export function modelKinds(): string[] {
  return Object.keys(MODELS);
}

/** Validates objects against their schema and scope; returns every problem (empty when all are valid). */
export async function validateObjects(objects: readonly K8sObject[]): Promise<ValidationIssue[]> {
  const issues: ValidationIssue[] = [];
  for (const o of objects) {
    const key = `${o.apiVersion}/${o.kind}`;
    const id = objectKey(o);
    const model = MODELS[key];
    const extra = EXTRA_SCHEMAS[key];
    const scope = model?.scope ?? extra?.scope;
    if (scope === undefined) {
      issues.push({
        object: id,
        message: `no schema for ${key}: add it to lib/gitops/validate.ts or extra-schemas.ts`,
      });
      continue;
    }
    if (scope === "Cluster" && o.metadata.namespace !== undefined)
      issues.push({ object: id, message: "cluster-scoped kind has a namespace" });
    if (scope === "Namespaced" && o.metadata.namespace === undefined)
      issues.push({ object: id, message: "namespaced kind has no namespace" });
    if (model !== undefined) {
      const Ctor = await model.load();
      const statics = Ctor as unknown as ModelStatics;
      // Guards the table above: the package must model exactly this apiVersion and kind.
      if (statics.apiVersion !== o.apiVersion || statics.kind !== o.kind) {
        issues.push({
          object: id,
          message: `${model.package} maps ${key} to ${String(statics.apiVersion)}/${String(statics.kind)}`,
        });
        continue;
      }
      try {
        (Reflect.construct(Ctor, [o]) as ValidatingModel).validate();
      } catch (e) {
        issues.push({ object: id, message: `${model.package}: ${e instanceof Error ? e.message : String(e)}` });
      }
    } else if (extra !== undefined) {
      const r = extra.schema.safeParse(o);
      if (!r.success) issues.push({ object: id, message: `extra-schemas: ${z.prettifyError(r.error)}` });
    }
  }
  return issues;
}
