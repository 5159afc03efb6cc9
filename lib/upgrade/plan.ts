import type { MaintenanceWindowSpec, PlatformSpec } from "../spec";
import { upgradeSettings, type UpgradeSettings } from "./settings";
import {
  compareVersions,
  minorOf,
  resolveTarget,
  revisionNumber,
  revisionSupports,
  versionChange,
  type MeshRevisionCompatibility,
} from "./versions";
import { describeWindow } from "./windows";

/**
 * An upgrade run's plan, pure: from what AKS reports per cluster (versions, upgrade profiles, mesh upgrade
 * profiles) and the target, the ordered steps of every cluster, what needs approval, and what is refused and why.
 */

export interface UpgradeTarget {
  /** `1.34` (the newest 1.34 patch offered) or `1.34.1`. */
  kubernetesVersion?: string;
  /** Bring every pool to the newest node image. */
  nodeImage?: boolean;
  /** An Istio add-on revision such as `asm-1-27`, reached by canary. */
  istioRevision?: string;
}

export interface PoolUpgradeState {
  name: string;
  mode: "System" | "User";
  kubernetesVersion: string;
  nodeImageVersion: string;
  latestNodeImageVersion?: string;
  count: number;
  provisioningState: string;
  /** The pool's last operation error (`status.provisioningError`). */
  error?: string;
}

/** What the AKS API says about one cluster (read by an activity). */
export interface ClusterUpgradeState {
  cluster: string;
  kubernetesVersion: string;
  provisioningState: string;
  /** The cluster's last operation error (`status.provisioningError`). */
  error?: string;
  /** `upgradeProfiles/default` control plane upgrades. */
  controlPlaneUpgrades: string[];
  pools: PoolUpgradeState[];
  /** `serviceMeshProfile.istio.revisions`: one, or two while a canary upgrade is in progress. */
  istioRevisions: string[];
  /** `meshUpgradeProfiles/istio` upgrades of the current revision. */
  istioUpgrades: string[];
}

export type UpgradeStep =
  | { kind: "istio-canary"; from: string; to: string }
  | { kind: "control-plane"; from: string; to: string }
  | { kind: "pool"; pool: string; from: string; to: string; maxSurge: string }
  | { kind: "node-image"; pool: string; from: string; to: string; maxSurge: string };

export interface ClusterUpgradePlan {
  cluster: string;
  stage: string;
  /** Human lines: `Kubernetes 1.33.2 → 1.34.1`, `pool system 1.33.2 → 1.34.1`, … */
  changes: string[];
  steps: UpgradeStep[];
  approvalReasons: string[];
  window?: { spec: MaintenanceWindowSpec; description: string };
  /** Why this cluster cannot be upgraded to the target; the run is refused when any cluster has one. */
  refused: string[];
  /** The Kubernetes version the nodes must run after the run (gates check it). */
  finalKubernetesVersion: string;
  finalIstioRevision?: string;
}

export interface UpgradePlan {
  environment: string;
  target: UpgradeTarget;
  stages: UpgradeSettings["stages"];
  clusters: ClusterUpgradePlan[];
  /** Every refusal, `cluster: reason`. */
  problems: string[];
  approvalReasons: string[];
}

export interface PlanUpgradeInput {
  spec: Pick<PlatformSpec, "name" | "clusters" | "upgrades">;
  target: UpgradeTarget;
  states: ClusterUpgradeState[];
  /** The region's Istio revisions with their Kubernetes compatibility (`meshRevisionProfiles/istio`). */
  meshRevisions: MeshRevisionCompatibility[];
  /** Clusters whose state could not be read, with AKS's error. */
  unreadable?: Record<string, string>;
}

export function targetIsEmpty(target: UpgradeTarget): boolean {
  return target.kubernetesVersion === undefined && !target.nodeImage && target.istioRevision === undefined;
}

export function describeTarget(target: UpgradeTarget): string {
  const parts = [
    ...(target.kubernetesVersion !== undefined ? [`Kubernetes ${target.kubernetesVersion}`] : []),
    ...(target.istioRevision !== undefined ? [`Istio ${target.istioRevision}`] : []),
    ...(target.nodeImage ? ["newest node images"] : []),
  ];
  return parts.join(", ") || "nothing";
}

function supportedList(rev: MeshRevisionCompatibility | undefined): string {
  return rev ? rev.kubernetesVersions.join(", ") : "unknown";
}

export function planUpgrade(input: PlanUpgradeInput): UpgradePlan {
  const settings = upgradeSettings(input.spec);
  const { target } = input;
  const byRevision = new Map(input.meshRevisions.map((r) => [r.revision, r]));
  const stageOf = new Map(settings.stages.flatMap((s) => s.clusters.map((c) => [c, s.name] as const)));
  const clusters: ClusterUpgradePlan[] = [];
  for (const stage of settings.stages) {
    for (const name of stage.clusters) {
      const state = input.states.find((s) => s.cluster === name);
      if (!state) {
        clusters.push({
          cluster: name,
          stage: stageOf.get(name) ?? stage.name,
          changes: [],
          steps: [],
          approvalReasons: [],
          refused: [`could not be read: ${input.unreadable?.[name] ?? "no state (is the cluster built?)"}`],
          finalKubernetesVersion: "",
        });
        continue;
      }
      clusters.push(planCluster(state, stage.name, target, settings, byRevision));
    }
  }
  if (targetIsEmpty(target)) {
    for (const c of clusters) c.refused.push("no target: give a Kubernetes version, an Istio revision or node images");
  }
  return {
    environment: input.spec.name,
    target,
    stages: settings.stages,
    clusters,
    problems: clusters.flatMap((c) => c.refused.map((r) => `${c.cluster}: ${r}`)),
    approvalReasons: [...new Set(clusters.flatMap((c) => c.approvalReasons))],
  };
}

function planCluster(
  state: ClusterUpgradeState,
  stage: string,
  target: UpgradeTarget,
  settings: UpgradeSettings,
  byRevision: Map<string, MeshRevisionCompatibility>,
): ClusterUpgradePlan {
  const refused: string[] = [];
  const changes: string[] = [];
  const approvalReasons: string[] = [];
  const steps: UpgradeStep[] = [];
  const window = settings.maintenanceWindows[state.cluster];
  const current = state.kubernetesVersion;

  // Kubernetes: what AKS offers this cluster (upgradeProfiles/default), one minor at a time.
  let finalK8s = current;
  let k8sStep: UpgradeStep | undefined;
  if (target.kubernetesVersion !== undefined) {
    const change = versionChange(current, target.kubernetesVersion);
    const resolved = change === "none" ? current : resolveTarget(target.kubernetesVersion, state.controlPlaneUpgrades);
    if (change === "downgrade")
      refused.push(`Kubernetes ${current} cannot be downgraded to ${target.kubernetesVersion}`);
    else if (change === "skips-minor")
      refused.push(
        `Kubernetes ${current} → ${target.kubernetesVersion} skips a minor version; AKS upgrades one minor at a time (next: ${minorOf(current).replace(/\d+$/, (m) => String(Number(m) + 1))})`,
      );
    else if (resolved === undefined)
      refused.push(
        `AKS does not offer Kubernetes ${target.kubernetesVersion} to this cluster (offered: ${state.controlPlaneUpgrades.join(", ") || "none"})`,
      );
    else {
      finalK8s = resolved;
      if (change !== "none") {
        k8sStep = { kind: "control-plane", from: current, to: resolved };
        changes.push(`Kubernetes ${current} → ${resolved}`);
        const minor = change === "minor";
        if (minor ? settings.approval.kubernetesMinor : settings.approval.kubernetesPatch)
          approvalReasons.push(`Kubernetes ${minor ? "minor" : "patch"} upgrade ${minorOf(current)} → ${resolved}`);
      }
    }
  }

  // Istio: canary to the target revision (meshUpgradeProfiles), compatible with the Kubernetes version before and after.
  const currentRevision = [...state.istioRevisions].sort((a, b) => revisionNumber(a) - revisionNumber(b))[0];
  let finalRevision = currentRevision;
  let istioStep: UpgradeStep | undefined;
  if (state.istioRevisions.length > 1)
    refused.push(
      `an Istio canary upgrade is already in progress (revisions ${state.istioRevisions.join(", ")}); complete or roll it back first`,
    );
  if (target.istioRevision !== undefined && currentRevision !== undefined && state.istioRevisions.length === 1) {
    if (currentRevision !== target.istioRevision) {
      if (!state.istioUpgrades.includes(target.istioRevision))
        refused.push(
          `Istio ${currentRevision} cannot be upgraded to ${target.istioRevision} (offered: ${state.istioUpgrades.join(", ") || "none"})`,
        );
      else {
        finalRevision = target.istioRevision;
        istioStep = { kind: "istio-canary", from: currentRevision, to: target.istioRevision };
        changes.push(`Istio ${currentRevision} → ${target.istioRevision} (canary)`);
        if (settings.approval.istioRevision)
          approvalReasons.push(`Istio revision ${currentRevision} → ${target.istioRevision}`);
      }
    }
  }
  // A cluster without the Istio add-on (AKS-12: app2) takes no part in an Istio revision upgrade.

  if (finalRevision !== undefined && !revisionSupports(byRevision.get(finalRevision), finalK8s)) {
    const fits = [...byRevision.values()]
      .filter((r) => revisionSupports(r, finalK8s) && state.istioUpgrades.includes(r.revision))
      .map((r) => r.revision);
    refused.push(
      `Kubernetes ${minorOf(finalK8s)} is not supported by Istio revision ${finalRevision} (it supports ${supportedList(byRevision.get(finalRevision))})` +
        (fits.length > 0
          ? `; upgrade Istio too (--istio-revision ${fits.at(-1)!})`
          : "; no Istio revision offered to this cluster supports it"),
    );
  }

  // Order: Istio first when the new revision runs on today's Kubernetes, else Kubernetes first.
  const istioFirst = istioStep !== undefined && revisionSupports(byRevision.get(finalRevision!), current);
  if (istioStep && !istioFirst && k8sStep && !revisionSupports(byRevision.get(currentRevision!), finalK8s))
    refused.push(
      `no order works: ${currentRevision} does not run on ${minorOf(finalK8s)} and ${finalRevision} not on ${minorOf(current)}`,
    );
  if (istioStep && istioFirst) steps.push(istioStep);
  if (k8sStep) steps.push(k8sStep);

  // Pools: system first (AKS needs a system pool to schedule system pods), then the others by name.
  const pools = [...state.pools].sort((a, b) =>
    a.mode === b.mode ? a.name.localeCompare(b.name) : a.mode === "System" ? -1 : 1,
  );
  for (const pool of pools) {
    // Also when the control plane is already there: a run stopped after the control plane left the pools behind.
    const poolBehind = target.kubernetesVersion !== undefined && compareVersions(pool.kubernetesVersion, finalK8s) < 0;
    if (poolBehind) {
      if (!k8sStep) {
        const minor = versionChange(pool.kubernetesVersion, finalK8s) === "minor";
        if (minor ? settings.approval.kubernetesMinor : settings.approval.kubernetesPatch)
          approvalReasons.push(
            `Kubernetes ${minor ? "minor" : "patch"} upgrade of pool ${pool.name} ${pool.kubernetesVersion} → ${finalK8s}`,
          );
      }
      steps.push({
        kind: "pool",
        pool: pool.name,
        from: pool.kubernetesVersion,
        to: finalK8s,
        maxSurge: settings.maxSurge,
      });
      changes.push(`pool ${pool.name} (${pool.count} nodes) ${pool.kubernetesVersion} → ${finalK8s}`);
    } else if (
      target.nodeImage &&
      pool.latestNodeImageVersion !== undefined &&
      pool.latestNodeImageVersion !== pool.nodeImageVersion
    ) {
      steps.push({
        kind: "node-image",
        pool: pool.name,
        from: pool.nodeImageVersion,
        to: pool.latestNodeImageVersion,
        maxSurge: settings.maxSurge,
      });
      changes.push(`pool ${pool.name} node image ${pool.nodeImageVersion} → ${pool.latestNodeImageVersion}`);
      if (settings.approval.nodeImage) approvalReasons.push(`node image ${pool.latestNodeImageVersion}`);
    }
  }
  if (istioStep && !istioFirst) steps.push(istioStep);

  return {
    cluster: state.cluster,
    stage,
    changes,
    steps: refused.length > 0 ? [] : steps,
    approvalReasons,
    ...(window ? { window: { spec: window, description: describeWindow(window) } } : {}),
    refused,
    finalKubernetesVersion: finalK8s,
    ...(finalRevision !== undefined ? { finalIstioRevision: finalRevision } : {}),
  };
}

/** The plan as text: per stage and cluster, current → target, Istio compatibility, windows, approvals, refusals. */
export function renderUpgradePlan(plan: UpgradePlan): string {
  const lines = [`upgrade plan for ${plan.environment}: ${describeTarget(plan.target)}`];
  for (const stage of plan.stages) {
    lines.push(`stage ${stage.name} (soak ${stage.soakMinutes} min)`);
    for (const c of plan.clusters.filter((x) => x.stage === stage.name)) {
      lines.push(`  ${c.cluster}${c.window ? ` — window ${c.window.description}` : " — any time"}`);
      for (const ch of c.changes) lines.push(`    ${ch}`);
      if (c.changes.length === 0 && c.refused.length === 0) lines.push("    already on target (health gates only)");
      if (c.finalIstioRevision !== undefined && c.finalKubernetesVersion)
        lines.push(
          `    Istio ${c.finalIstioRevision} on Kubernetes ${minorOf(c.finalKubernetesVersion)}: ${c.refused.some((r) => r.includes("not supported by Istio")) ? "NOT supported" : "supported"}`,
        );
      for (const r of c.refused) lines.push(`    REFUSED: ${r}`);
    }
  }
  if (plan.approvalReasons.length > 0) lines.push(`needs approval: ${plan.approvalReasons.join("; ")}`);
  if (plan.problems.length > 0) lines.push(`refused: ${plan.problems.length} problem(s)`);
  return lines.join("\n");
}
