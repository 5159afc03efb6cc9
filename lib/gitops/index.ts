export * from "./contract";
export { GitopsRenderError, renderKustomization, readManifestFile, objectKey, type K8sObject } from "./kustomize";
export {
  renderCluster,
  appliedObjects,
  rawObjects,
  substituteString,
  variablesIn,
  type ClusterRender,
  type FluxLayer,
} from "./flux";
export { validateObjects, validatorFor, modelKinds, type ValidationIssue } from "./validate";
export { workloadIdentityServiceAccounts, fluxApplyOrder, dependsTransitively } from "./rules";
export {
  EXTRA_SCHEMAS,
  type AKSNodeClass,
  type SecretProviderClass,
  type KyvernoClusterPolicy,
  type Kiali,
} from "./extra-schemas";
