import type { Command } from "commander";
import { handleUpgradeAction, handleUpgrades, upgradeInstanceId } from "../../../lib/api/upgrades";
import type { ApiRequest } from "../../../lib/api/http";
import { defaultSpec } from "../../../lib/spec";
import { renderUpgradePlan, type UpgradeTarget } from "../../../lib/upgrade";
import type { UpgradeRunStatus } from "../../../orchestrations/upgrade/contracts";
import { planUpgradeRun } from "../../../orchestrations/upgrade/planRun";
import { startLocalRuntime, type LocalRuntime } from "../../build/runner";
import { driverUpgradeInstances } from "../../upgrade/instances";
import { CliUsageError } from "../errors";
import type { RegisterCommand } from "./index";
import { SANDBOX_SUBSCRIPTION_ID, stateDirOf } from "../../build/target";
import { addTargetOptions, checkTarget, parseTimeScale, type TargetChoice } from "../target-options";
import { environmentOnTarget } from "../target-environments";

/**
 * `aks-platform upgrade plan|start|status|approve|reject|resume|cancel` (issue 20): the upgrade run driven in this
 * process through the local durable driver, on the sandbox platform `up --sandbox` built (`--sandbox`) or on Azure
 * (`--subscription`). `start` follows the run until it ends, waits for approval or is blocked; the run is kept in
 * the build's state folder, so `approve`/`resume` pick it up in a later call. Exit 0 when the run succeeded,
 * 1 when it is refused, blocked, waiting for approval, rejected or stopped, 2 on a usage error.
 */

/** Upgrades take hours of simulated time: the sandbox runs them faster than a build by default. */
const DEFAULT_UPGRADE_TIME_SCALE = 1200;

interface TargetOptions extends TargetChoice {
  timeScale: string;
  env: string;
}

interface StartOptions extends TargetOptions {
  kubernetesVersion?: string;
  istioRevision?: string;
  nodeImage?: boolean;
  yes?: boolean;
  format?: string;
}

function targetOptions(cmd: Command): Command {
  return addTargetOptions(cmd, undefined, DEFAULT_UPGRADE_TIME_SCALE).option(
    "--env <name>",
    "environment this target built or registered",
    defaultSpec.name,
  );
}

/** The runtime on the target's state folder; `startSandbox` false only reads it (status). */
async function runtimeFor(options: TargetOptions, startSandbox = Boolean(options.sandbox)): Promise<LocalRuntime> {
  const timeScale = parseTimeScale(options.timeScale);
  return startLocalRuntime({
    stateDir: stateDirOf(options),
    timeScale: startSandbox ? timeScale : 1,
    ...(startSandbox ? { sandbox: { timeScale, subscriptionId: SANDBOX_SUBSCRIPTION_ID } } : {}),
  });
}

function targetOf(options: StartOptions): UpgradeTarget {
  const target: UpgradeTarget = {
    ...(options.kubernetesVersion !== undefined ? { kubernetesVersion: options.kubernetesVersion } : {}),
    ...(options.istioRevision !== undefined ? { istioRevision: options.istioRevision } : {}),
    ...(options.nodeImage ? { nodeImage: true } : {}),
  };
  if (Object.keys(target).length === 0)
    throw new CliUsageError("give a target: --kubernetes-version, --istio-revision and/or --node-image");
  return target;
}

function apiRequest(method: string, params: Record<string, string>, body?: unknown): ApiRequest {
  return {
    method,
    url: `cli:/environments/${params.env}/upgrades${params.id ? `/${params.id}` : ""}`,
    params,
    query: new URLSearchParams(),
    headers: { get: () => null },
    text: () => Promise.resolve(body === undefined ? "" : JSON.stringify(body)),
  };
}

/** The run as lines: per stage and cluster, the steps, failed gates with their evidence. */
export function renderRunStatus(s: UpgradeRunStatus): string {
  const lines = [
    `upgrade ${s.runId} (${s.environment}): ${s.state.toUpperCase()}${s.waitingFor ? ` — waiting for ${s.waitingFor}` : ""}`,
  ];
  for (const p of s.problems) lines.push(`  refused: ${p}`);
  if (s.approvalReasons.length > 0) lines.push(`  approval: ${s.approvalReasons.join("; ")}`);
  for (const stage of s.stages) {
    lines.push(`  stage ${stage.name}: ${stage.state}`);
    for (const c of stage.clusters) {
      lines.push(`    ${c.cluster}: ${c.state}${c.window ? ` (window ${c.window})` : ""}`);
      for (const step of c.steps)
        lines.push(`      ${step.state.padEnd(11)} ${step.label}${step.detail ? ` — ${step.detail}` : ""}`);
      for (const g of c.gates.filter((x) => !x.ok)) {
        lines.push(`      gate ${g.gate} FAILED: ${g.summary}`);
        for (const e of g.evidence) lines.push(`        ${e}`);
      }
      if (c.reason) lines.push(`      ${c.reason}`);
    }
  }
  return lines.join("\n");
}

/** Follows the run until it ends or waits for a person; prints stage changes as they happen. */
async function follow(runtime: LocalRuntime, env: string): Promise<{ status: UpgradeRunStatus; ended: boolean }> {
  const instances = driverUpgradeInstances(runtime.driver);
  let last = "";
  for (;;) {
    const view = await instances.get(upgradeInstanceId(env));
    const s = view?.customStatus as UpgradeRunStatus | undefined;
    if (view?.runtimeStatus === "Failed") throw new Error(`the upgrade run failed: ${JSON.stringify(view.output)}`);
    if (view?.runtimeStatus === "Terminated") throw new Error("the upgrade run was cancelled");
    if (s) {
      const line = `${s.state} ${s.stages.map((st) => `${st.name}:${st.state}`).join(" ")}`;
      if (line !== last) process.stderr.write(`… ${line}\n`);
      last = line;
      if (view?.runtimeStatus === "Completed") return { status: s, ended: true };
      if (s.waitingFor !== undefined) return { status: s, ended: false };
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function finishWith(runtime: LocalRuntime, env: string, setExitCode: (c: number) => void): Promise<void> {
  const { status, ended } = await follow(runtime, env);
  process.stdout.write(`${renderRunStatus(status)}\n`);
  if (!ended && status.waitingFor === "approval")
    process.stdout.write(`approve with: aks-platform upgrade approve ${status.runId} (same target options)\n`);
  if (!ended && status.waitingFor === "resume")
    process.stdout.write(`fix the cause, then: aks-platform upgrade resume ${status.runId} (or cancel)\n`);
  setExitCode(ended && status.state === "succeeded" ? 0 : 1);
}

export const register: RegisterCommand = (program, setExitCode) => {
  const upgrade = program
    .command("upgrade")
    .description("Staged upgrades of Kubernetes, node images and the Istio revision (OPS-8).");
  const withTarget = (cmd: Command) =>
    cmd
      .option("--kubernetes-version <version>", "target Kubernetes version, e.g. 1.34 (the newest patch) or 1.34.1")
      .option("--istio-revision <revision>", "target Istio add-on revision, e.g. asm-1-27 (canary)")
      .option("--node-image", "bring every pool to the newest node image");

  withTarget(targetOptions(upgrade.command("plan")))
    .description(
      "Per cluster: current → target versions, Istio compatibility, the stages and windows; exit 1 when refused.",
    )
    .option("--format <format>", "text or json", "text")
    .action(async (options: StartOptions) => {
      checkTarget(options);
      const target = targetOf(options);
      const runtime = await runtimeFor(options);
      try {
        const { spec } = await environmentOnTarget(runtime, options.env, options);
        const plan = await planUpgradeRun({ spec, target }, new AbortController().signal);
        process.stdout.write(
          options.format === "json" ? `${JSON.stringify(plan, null, 2)}\n` : `${renderUpgradePlan(plan)}\n`,
        );
        setExitCode(plan.problems.length > 0 ? 1 : 0);
      } finally {
        await runtime.stop();
      }
    });

  withTarget(targetOptions(upgrade.command("start")))
    .description("Start an upgrade run and follow it (approval asked unless --yes).")
    .option("--yes", "approve up front what the spec says needs approval")
    .action(async (options: StartOptions) => {
      checkTarget(options);
      const target = targetOf(options);
      const runtime = await runtimeFor(options);
      try {
        const { spec, environments } = await environmentOnTarget(runtime, options.env, options);
        const res = await handleUpgrades(
          apiRequest("POST", { env: spec.name }, { target, approved: Boolean(options.yes), requestedBy: "cli" }),
          driverUpgradeInstances(runtime.driver),
          environments,
          () => new Date(),
        );
        if (res.status !== 202) throw new Error((res.jsonBody as { error?: string }).error ?? `HTTP ${res.status}`);
        process.stderr.write(`upgrade run ${(res.jsonBody as { runId: string }).runId} started\n`);
        await finishWith(runtime, spec.name, setExitCode);
      } finally {
        await runtime.stop();
      }
    });

  targetOptions(upgrade.command("status"))
    .description("The environment's last upgrade run (exit 0 when it succeeded).")
    .action(async (options: TargetOptions) => {
      checkTarget(options);
      const runtime = await runtimeFor(options, false);
      try {
        const { spec } = await environmentOnTarget(runtime, options.env, options);
        const view = await driverUpgradeInstances(runtime.driver).get(upgradeInstanceId(spec.name));
        if (!view?.customStatus) throw new Error(`no upgrade run of ${spec.name} on this machine`);
        const s = view.customStatus as UpgradeRunStatus;
        process.stdout.write(`${renderRunStatus(s)}\n`);
        setExitCode(s.state === "succeeded" ? 0 : 1);
      } finally {
        await runtime.stop();
      }
    });

  for (const [action, text] of [
    ["approve", "Approve a run waiting for approval and follow it."],
    ["reject", "Reject a run waiting for approval."],
    ["resume", "Resume a blocked run after the fix and follow it."],
    ["cancel", "Stop a run (a blocked one ends cleanly; AKS operations already started finish on their own)."],
  ] as const) {
    targetOptions(upgrade.command(`${action} <runId>`))
      .description(text)
      .action(async (runId: string, options: TargetOptions) => {
        checkTarget(options);
        const runtime = await runtimeFor(options);
        try {
          const { spec, environments } = await environmentOnTarget(runtime, options.env, options);
          const res = await handleUpgradeAction(
            apiRequest("POST", { env: spec.name, id: runId, action }),
            driverUpgradeInstances(runtime.driver),
            environments,
          );
          if (res.status !== 202) throw new Error((res.jsonBody as { error?: string }).error ?? `HTTP ${res.status}`);
          await finishWith(runtime, spec.name, setExitCode);
        } finally {
          await runtime.stop();
        }
      });
  }
};
