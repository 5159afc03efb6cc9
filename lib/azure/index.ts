// Adapters over Azure: one connection factory, typed results, transient failures thrown for Durable retries.
export { createArmConnection } from "./connection";
export { azureContext, prepareAzureContext } from "./app-context";
export type { ArmConnection, ArmConnectionOptions, ArmClientOptions } from "./connection";
export {
  createAzureContext,
  discoverCloud,
  isLoopbackUrl,
  knownCloudOf,
  storageFromConnectionString,
  tokenMayGoTo,
  LocalTokenIssuer,
  StaticTokenCredential,
  TokenHostError,
  AZURE_CLOUDS,
  ARM_TOKEN_ENV,
  LOCAL_CLIENT_ID,
  LOCAL_TENANT_ID,
  STORAGE_AUDIENCE,
} from "./context";
export type { AzureCloudName, AzureContext, AzureContextOptions, CloudSettings, HostStorage } from "./context";
export {
  TransientArmError,
  ArmContractError,
  classifyArmError,
  isTransientStatus,
  armCall,
  armErrorDetailSchema,
} from "./errors";
export type { ArmResult, ArmFailure, ArmFailureKind, ArmErrorDetail } from "./errors";
export { DeploymentsAdapter } from "./deployments";
export type {
  CallOptions,
  DeploymentRef,
  DeploymentInput,
  DeploymentAccepted,
  DeploymentState,
  DeploymentStatus,
  DeploymentOperationInfo,
  WhatIfChangeInfo,
  WhatIfPropertyChangeInfo,
} from "./deployments";
export { ResourceGroupsAdapter } from "./resourceGroups";
export type { ResourceGroupInfo } from "./resourceGroups";
export { AksAdapter } from "./aks";
export type { RunCommandOutcome, MeshRevisionInfo, AksUpgradeState } from "./aks";
export {
  DataProtectionClient,
  DATA_PROTECTION_API_VERSION,
  backupInstanceInfoSchema,
  backupJobInfoSchema,
} from "./dataProtection";
export type { BackupInstanceInfo, RecoveryPointInfo, BackupJobInfo, DataProtectionVault } from "./dataProtection";
export * from "./resources";
export { DeploymentHistoryAdapter } from "./deploymentHistory";
export type { DeploymentRecordInfo } from "./deploymentHistory";
export { NetworkManagersAdapter, NETWORK_MANAGER_API_VERSION } from "./networkManagers";
export type { NetworkManagerCommit, NetworkManagerDeployment } from "./networkManagers";
