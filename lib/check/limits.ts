import type { Plan } from "../plan";
import { planDeployments } from "../plan";

/** ARM template limits (azure-notes.md): per deployment, after expansion. */
export const ARM_LIMITS = { resources: 800, parameters: 256, outputs: 64, templateBytes: 4 * 1024 * 1024 } as const;

export interface LimitUsage {
  deployment: string;
  resources: number;
  parameters: number;
  outputs: number;
  /** Size of the expanded deployment (resources and parameter values) as JSON. */
  bytes: number;
}

export function limitUsage(plan: Plan): LimitUsage[] {
  return planDeployments(plan).map((d) => ({
    deployment: d.name,
    resources: d.resources.length,
    parameters: Object.keys(d.parameters).length,
    outputs: d.outputs.length,
    bytes: Buffer.byteLength(JSON.stringify({ parameters: d.parameters, resources: d.resources }), "utf8"),
  }));
}

/** Deployments (and the whole plan, taken as one) over a limit. */
export function limitProblems(plan: Plan): string[] {
  const usage = limitUsage(plan);
  const total: LimitUsage = usage.reduce(
    (acc, u) => ({
      deployment: "(whole plan)",
      resources: acc.resources + u.resources,
      parameters: Math.max(acc.parameters, u.parameters),
      outputs: Math.max(acc.outputs, u.outputs),
      bytes: acc.bytes + u.bytes,
    }),
    { deployment: "(whole plan)", resources: 0, parameters: 0, outputs: 0, bytes: 0 },
  );
  const problems: string[] = [];
  for (const u of [...usage, total]) {
    if (u.resources > ARM_LIMITS.resources)
      problems.push(`${u.deployment}: ${u.resources} resources (limit ${ARM_LIMITS.resources})`);
    if (u.parameters > ARM_LIMITS.parameters)
      problems.push(`${u.deployment}: ${u.parameters} parameters (limit ${ARM_LIMITS.parameters})`);
    if (u.outputs > ARM_LIMITS.outputs)
      problems.push(`${u.deployment}: ${u.outputs} outputs (limit ${ARM_LIMITS.outputs})`);
    if (u.bytes > ARM_LIMITS.templateBytes)
      problems.push(`${u.deployment}: ${u.bytes} bytes expanded (limit ${ARM_LIMITS.templateBytes})`);
  }
  return problems;
}
