/**
 * The one typed registry of the app's function, orchestration and activity names.
 *
 * Every `app.*` / `df.app.*` registration and every call site (callActivity, callSubOrchestrator, startNew,
 * routes that name a function) takes its name from here, so a name is written exactly once.
 *
 * To add a name: add `key: "registeredName"` to the matching table below (key = how code refers to it,
 * value = the name the Functions host registers; keep them camelCase and unique across all three tables),
 * then register with `df.app.activity(Activities.key, …)` and call with `context.df.callActivity(Activities.key, …)`.
 */

/** A table of names: code key → registered function name. */
export type NameTable = Readonly<Record<string, string>>;

/** The registered names a table holds, e.g. `NameOf<typeof Activities>`. */
export type NameOf<T extends NameTable> = T[keyof T];

/** Orchestrator functions (`df.app.orchestration`). */
export const Orchestrations = {
  provisionPlatform: "provisionPlatform",
  deployUnits: "deployUnits",
  evictionWatch: "evictionWatch",
  certificateReaction: "certificateReaction",
  backupFailureReaction: "backupFailureReaction",
  lifecycleNotice: "lifecycleNotice",
  backupVerification: "backupVerification",
  restoreCluster: "restoreCluster",
  teardownCluster: "teardownCluster",
  driftWatch: "driftWatch",
  driftCheck: "driftCheck",
  upgradePlatform: "upgradePlatform",
  upgradeCluster: "upgradeCluster",
  upgradeProposal: "upgradeProposal",
} as const satisfies NameTable;

/** Activity functions (`df.app.activity`). */
export const Activities = {
  computePlan: "computePlan",
  lookupIstioRevision: "lookupIstioRevision",
  startDeployment: "startDeployment",
  getDeploymentStatus: "getDeploymentStatus",
  commitNetworkManager: "commitNetworkManager",
  getNetworkManagerCommitStatus: "getNetworkManagerCommitStatus",
  whatIfDeployment: "whatIfDeployment",
  cancelDeployment: "cancelDeployment",
  notifyBuildResult: "notifyBuildResult",
  checkSpotRecovery: "checkSpotRecovery",
  renewCertificate: "renewCertificate",
  checkCertificateRollout: "checkCertificateRollout",
  restartIngressGateway: "restartIngressGateway",
  retryBackup: "retryBackup",
  notifyEvent: "notifyEvent",
  listBackupInstances: "listBackupInstances",
  verifyBackupInstance: "verifyBackupInstance",
  validateRestore: "validateRestore",
  writeBackupReport: "writeBackupReport",
  notifyBackupSummary: "notifyBackupSummary",
  validateRestoreTarget: "validateRestoreTarget",
  triggerRestore: "triggerRestore",
  getRestoreJob: "getRestoreJob",
  checkWorkloads: "checkWorkloads",
  notifyRestoreResult: "notifyRestoreResult",
  stopRestoreRebuild: "stopRestoreRebuild",
  forgetClusterDeployments: "forgetClusterDeployments",
  planClusterTeardown: "planClusterTeardown",
  deleteResource: "deleteResource",
  stopBackupProtection: "stopBackupProtection",
  notifyTeardownResult: "notifyTeardownResult",
  checkUnitDrift: "checkUnitDrift",
  storeDriftReport: "storeDriftReport",
  notifyDrift: "notifyDrift",
  checkRemediationGate: "checkRemediationGate",
  cleanDeploymentHistory: "cleanDeploymentHistory",
  planUpgradeRun: "planUpgradeRun",
  writeMaintenanceWindows: "writeMaintenanceWindows",
  startUpgradeStep: "startUpgradeStep",
  getUpgradeStepState: "getUpgradeStepState",
  runHealthGates: "runHealthGates",
  moveIstioWorkloads: "moveIstioWorkloads",
  notifyUpgrade: "notifyUpgrade",
  recordEnvironmentState: "recordEnvironmentState",
} as const satisfies NameTable;

/** Trigger functions: HTTP, Event Grid and timer (`app.*` / `df.app.client.*`). */
export const Functions = {
  provision: "provision",
  provisionCancel: "provisionCancel",
  plan: "plan",
  notifyRetry: "notifyRetry",
  eventgridHealth: "eventgridHealth",
  eventgridKeyVault: "eventgridKeyVault",
  eventgridCustom: "eventgridCustom",
  monitorAlert: "monitorAlert",
  certificateScan: "certificateScan",
  backupVerifyTimer: "backupVerifyTimer",
  opsPage: "opsPage",
  opsData: "opsData",
  opsAsset: "opsAsset",
  runbooks: "runbooks",
  restoreClusterRequest: "restoreClusterRequest",
  restoreClusterCancel: "restoreClusterCancel",
  deleteCluster: "deleteCluster",
  eventgridResources: "eventgridResources",
  driftSweep: "driftSweep",
  upgrades: "upgrades",
  upgradeAction: "upgradeAction",
  deleteClusterCancel: "deleteClusterCancel",
  environments: "environments",
  environmentRemove: "environmentRemove",
} as const satisfies NameTable;

export type OrchestrationName = NameOf<typeof Orchestrations>;
export type ActivityName = NameOf<typeof Activities>;
export type FunctionName = NameOf<typeof Functions>;
