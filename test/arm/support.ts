import { expandTemplate } from "../../lib/arm";
import type { DeploymentScope, ExpandOptions, ExpandedDeployment } from "../../lib/arm";

export const SUB = "00000000-0000-0000-0000-000000000000";

export const rgScope: DeploymentScope = {
  kind: "resourceGroup",
  subscriptionId: SUB,
  tenantId: SUB,
  resourceGroup: "rg-example",
  location: "koreacentral",
  deploymentName: "test-deployment",
};

export const subScope: DeploymentScope = {
  kind: "subscription",
  subscriptionId: SUB,
  tenantId: SUB,
  location: "koreacentral",
  deploymentName: "test-deployment",
};

export const RG_ID = `/subscriptions/${SUB}/resourceGroups/rg-example`;

export function expand(template: Record<string, unknown>, options: Partial<ExpandOptions> = {}): ExpandedDeployment {
  return expandTemplate(
    {
      $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
      contentVersion: "1.0.0.0",
      ...template,
    },
    { scope: rgScope, templateName: "test.json", ...options },
  );
}

/** Evaluates one expression as the value of an output of an otherwise empty template. */
export function evaluate(
  expression: unknown,
  extra: { parameters?: Record<string, unknown>; variables?: Record<string, unknown> } = {},
  options: Partial<ExpandOptions> = {},
): unknown {
  const result = expand(
    { ...extra, resources: [], outputs: { result: { type: "object", value: expression } } },
    options,
  );
  return result.outputs["result"]?.value;
}
