import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ContractViolation, orchestrationInput, parseAt } from "../../orchestrations/shared/boundary";

const contract = z.object({ environment: z.string().min(1), webhook: z.url(), clusters: z.array(z.string()) });

describe("the Durable boundary", () => {
  it("passes through what fits its contract", () => {
    const input = { environment: "lab", webhook: "https://hooks.example/x", clusters: ["app1"] };
    expect(parseAt("activity notify", contract, input)).toEqual(input);
  });

  it("names the function and every path that does not fit, never the values", () => {
    const secret = "https://hooks.slack.example/services/T000/B000/SECRET";
    let caught: unknown;
    try {
      parseAt("activity notify", contract, { environment: "", webhook: secret.replace("https://", ""), clusters: [1] });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ContractViolation);
    const violation = caught as ContractViolation;
    expect(violation.where).toBe("activity notify");
    expect(violation.issues.map((i) => i.split(":")[0])).toEqual(["environment", "webhook", "clusters.0"]);
    expect(violation.message).not.toContain("SECRET");
  });

  it("reads an orchestration's input through the same check", () => {
    const context = { df: { instanceId: "build:lab", getInput: () => ({ environment: "lab" }) } };
    expect(() => orchestrationInput(context, contract)).toThrow(/orchestration build:lab: input does not match/);
  });
});
