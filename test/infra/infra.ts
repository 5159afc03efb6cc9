import { readFileSync } from "node:fs";
import path from "node:path";
import { expandTemplate, type DeploymentScope } from "../../lib/arm";
import { repoRoot } from "../../lib/config";
import type { Plan, PlanDeployment, PlanResource } from "../../lib/plan";

/** The app's own templates (infra/), expanded offline with lib/arm the way ARM would deploy them. */

export const INFRA_DIR = path.join(repoRoot(), "infra");
export const SUBSCRIPTION_ID = "3f2b8c1e-7d4a-4e55-9c1b-2a6f0e9d4b17";
export const TENANT_ID = "9a1c4e2f-5b3d-4c6e-8f7a-1b2c3d4e5f60";
export const LOCATION = "koreacentral";
export const ENVIRONMENT = "aksops";
export const APP_RESOURCE_GROUP = `rg-${ENVIRONMENT}`;

/** Sample secret values: tests assert they end up in Key Vault secrets and nowhere else. */
export const TEAMS_URL = "https://prod-00.koreacentral.logic.azure.com/workflows/teams-sample-signature";
export const SLACK_URL = "https://hooks.slack.com/services/T000/B000/slack-sample-token";

export type InfraFile = "main.json" | "eventgrid-subscriptions.json" | "platform-access.json";

export interface InfraDeployment {
  file: InfraFile;
  template: unknown;
  parameters: Record<string, unknown>;
  /** Expanded resources as plain JSON (deploy-time values appear as `{ "$deferred": expr }`). */
  resources: PlanResource[];
  outputs: Record<string, { type: string; value: unknown }>;
}

export function readInfraTemplate(file: InfraFile): unknown {
  return JSON.parse(readFileSync(path.join(INFRA_DIR, file), "utf8"));
}

export function expandInfra(
  file: InfraFile,
  parameters: Record<string, unknown>,
  kind: DeploymentScope["kind"],
): InfraDeployment {
  const template = readInfraTemplate(file);
  const expanded = expandTemplate(template, {
    parameters,
    templateName: `infra/${file}`,
    scope: {
      kind,
      subscriptionId: SUBSCRIPTION_ID,
      tenantId: TENANT_ID,
      ...(kind === "resourceGroup" ? { resourceGroup: APP_RESOURCE_GROUP } : {}),
      location: LOCATION,
      deploymentName: `${ENVIRONMENT}-${path.basename(file, ".json")}`,
    },
  });
  // Deferred values become their JSON form, as the plan (and lib/check) hold them.
  const plain = JSON.parse(JSON.stringify(expanded)) as Pick<InfraDeployment, "resources" | "outputs">;
  return { file, template, parameters, resources: plain.resources, outputs: plain.outputs };
}

/** main.json parameters as `azd provision` passes them (environment name, location, the webhook URLs). */
export function mainParameters(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    environmentName: ENVIRONMENT,
    location: LOCATION,
    teamsWebhookUrl: TEAMS_URL,
    slackWebhookUrl: SLACK_URL,
    ...overrides,
  };
}

/** The values scripts/azd-postdeploy.sh passes on from main.json's outputs. */
const APP_OUTPUTS = {
  functionAppName: "func-sample",
  storageAccountName: "stsample",
  customTopicName: "evgt-sample",
  healthSystemTopicName: "evgst-health-sample",
  resourcesSystemTopicName: "evgst-resources-sample",
};

export function expandMain(overrides: Record<string, unknown> = {}): InfraDeployment {
  return expandInfra("main.json", mainParameters(overrides), "subscription");
}

export function expandSubscriptions(): InfraDeployment {
  return expandInfra("eventgrid-subscriptions.json", APP_OUTPUTS, "resourceGroup");
}

export function expandPlatformAccess(): InfraDeployment {
  return expandInfra(
    "platform-access.json",
    {
      principalId: "6d1e2f3a-4b5c-4d7e-8f90-a1b2c3d4e5f6",
      runCommandRoleId: "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9",
      ingressRoleId: "1c2d3e4f-5061-4728-9304-b5c6d7e8f9a0",
      appResourceGroup: APP_RESOURCE_GROUP,
      functionAppName: APP_OUTPUTS.functionAppName,
      storageAccountName: APP_OUTPUTS.storageAccountName,
    },
    "subscription",
  );
}

export function allInfraDeployments(): InfraDeployment[] {
  return [expandMain(), expandSubscriptions(), expandPlatformAccess()];
}

/** The deployments as a plan, so lib/check's best-practice rules run over them unchanged. */
export function asPlan(deployments: readonly InfraDeployment[]): Plan {
  const planDeployments: PlanDeployment[] = deployments.map((d) => ({
    name: `infra-${path.basename(d.file, ".json")}`,
    phase: "sharedServices",
    scope: d.file === "eventgrid-subscriptions.json" ? "resourceGroup" : "subscription",
    template: `../../infra/${d.file}`,
    parameters: d.parameters,
    dependsOn: [],
    resources: d.resources,
    outputs: Object.keys(d.outputs),
  }));
  return {
    environment: ENVIRONMENT,
    location: LOCATION,
    subscriptionId: SUBSCRIPTION_ID,
    phases: [{ name: "sharedServices", dependsOn: [], deployments: planDeployments }],
  };
}

export const ofType = (resources: readonly PlanResource[], type: string): PlanResource[] =>
  resources.filter((r) => r.type.toLowerCase() === type.toLowerCase());

export function single(resources: readonly PlanResource[], type: string): PlanResource {
  const found = ofType(resources, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0]!;
}
