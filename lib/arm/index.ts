// Offline ARM template engine: expression language, template functions and template expansion.
export { expandTemplate } from "./expand";
export { DeferredValue, isDeferred } from "./deferred";
export { ArmTemplateError } from "./errors";
export { isSubscriptionTemplate } from "./template";
export { uniqueString, armGuid } from "./hash";
export { formatDateTime } from "./functions/date";
export type { ArmRuntime, DeploymentScope, ExpandOptions, ExpandedDeployment, ExpandedResource } from "./types";
