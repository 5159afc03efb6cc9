import { describe, expect, it } from "vitest";
import { buildDeploymentUnits } from "../../lib/plan/units";
import { defaultSpec } from "../../lib/spec";
import {
  buildInputSchema,
  deploymentRequestSchema,
  deployUnitsInputSchema,
} from "../../orchestrations/build/contracts";
import { ContractViolation, parseAt } from "../../orchestrations/shared/boundary";

describe("the build room's contracts at the Durable boundary", () => {
  const units = buildDeploymentUnits(defaultSpec);
  const target = { subscriptionId: defaultSpec.subscriptionId, location: defaultSpec.location };

  it("accept what the build itself sends: every unit of the seed, a build input, a group handed to a child", () => {
    for (const unit of units)
      expect(() =>
        parseAt("activity startDeployment", deploymentRequestSchema, {
          ...target,
          environment: defaultSpec.name,
          unit: { ...unit, expectedSeconds: 120 },
          parameters: unit.parameters,
        }),
      ).not.toThrow();
    expect(buildInputSchema.parse({ spec: defaultSpec, mode: "deploy" }).spec.name).toBe(defaultSpec.name);
    const group = {
      environment: defaultSpec.name,
      target,
      label: "cluster app1",
      mode: "redeploy",
      units: units.filter((u) => u.cluster === "app1"),
      deployments: [
        { name: units[0]!.name, phase: units[0]!.phase, state: "running", startedAt: "2026-12-07T09:00:00.000Z" },
      ],
      outputs: { [units[0]!.name]: { id: "/subscriptions/x" } },
    };
    expect(deployUnitsInputSchema.parse(group).units.length).toBeGreaterThan(0);
  });

  it("refuse a malformed input naming every path that does not fit", () => {
    const unit = units[0]!;
    const { template: _dropped, ...withoutTemplate } = unit;
    let caught: unknown;
    try {
      parseAt("activity startDeployment", deploymentRequestSchema, {
        ...target,
        environment: "",
        unit: { ...withoutTemplate, scope: "tenant" },
        parameters: {},
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ContractViolation);
    expect((caught as ContractViolation).issues.map((i) => i.split(":")[0]).sort()).toEqual([
      "environment",
      "unit.scope",
      "unit.template",
    ]);
    expect(buildInputSchema.safeParse({ spec: defaultSpec, mode: "destroy" }).success).toBe(false);
  });
});
