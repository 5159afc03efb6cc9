/**
 * Kubernetes and Istio add-on version arithmetic, pure.
 *
 * AKS upgrades the control plane one minor version at a time (skipping a minor is refused) and to any newer patch of
 * the same minor (learn.microsoft.com/azure/aks/upgrade-aks-cluster). The Istio add-on's revisions (`asm-X-Y`) each
 * support a set of Kubernetes minors (`meshRevisionProfiles` / `meshUpgradeProfiles` `compatibleWith`), and minor
 * revisions move by canary one or two revisions at a time (learn.microsoft.com/azure/aks/istio-upgrade).
 */

export interface KubernetesVersion {
  major: number;
  minor: number;
  /** Absent for a `1.34` target: the newest patch AKS offers. */
  patch?: number;
}

const VERSION = /^(\d+)\.(\d+)(?:\.(\d+))?$/;
const REVISION = /^asm-(\d+)-(\d+)$/;

export function parseKubernetesVersion(text: string): KubernetesVersion | undefined {
  const m = VERSION.exec(text.trim().replace(/^v/, ""));
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), ...(m[3] !== undefined ? { patch: Number(m[3]) } : {}) };
}

/** `1.33.2` → `1.33`. */
export function minorOf(version: string): string {
  const v = parseKubernetesVersion(version);
  return v ? `${v.major}.${v.minor}` : version;
}

/** Orders versions; a version without patch sorts as its minor's `.0`. */
export function compareVersions(a: string, b: string): number {
  const x = parseKubernetesVersion(a);
  const y = parseKubernetesVersion(b);
  if (!x || !y) return a.localeCompare(b);
  return x.major - y.major || x.minor - y.minor || (x.patch ?? 0) - (y.patch ?? 0);
}

/** Whether `actual` (`1.34.1`, `v1.34.1`) is the `target` (`1.34` matches any 1.34 patch). */
export function versionMatches(actual: string, target: string): boolean {
  const a = parseKubernetesVersion(actual);
  const t = parseKubernetesVersion(target);
  if (!a || !t) return false;
  return a.major === t.major && a.minor === t.minor && (t.patch === undefined || a.patch === t.patch);
}

export type VersionChange = "none" | "patch" | "minor" | "skips-minor" | "downgrade";

export function versionChange(current: string, target: string): VersionChange {
  if (versionMatches(current, target)) return "none";
  const c = parseKubernetesVersion(current);
  const t = parseKubernetesVersion(target);
  if (!c || !t) return "downgrade";
  if (compareVersions(target, current) < 0) return "downgrade";
  if (c.major === t.major && c.minor === t.minor) return "patch";
  if (c.major === t.major && t.minor === c.minor + 1) return "minor";
  return "skips-minor";
}

/**
 * The concrete version a target resolves to among what the upgrade profile offers: `1.34` → the newest `1.34.x`
 * offered; a full version only when offered. Undefined when nothing matches.
 */
export function resolveTarget(target: string, offered: readonly string[]): string | undefined {
  return offered
    .filter((v) => versionMatches(v, target))
    .sort(compareVersions)
    .at(-1);
}

/** The next minor after `version` (`1.33.2` → `1.34`). */
export function nextMinor(version: string): string | undefined {
  const v = parseKubernetesVersion(version);
  return v ? `${v.major}.${v.minor + 1}` : undefined;
}

export function isIstioRevision(text: string): boolean {
  return REVISION.test(text);
}

/** `asm-1-27` → 1027, for ordering. */
export function revisionNumber(revision: string): number {
  const m = REVISION.exec(revision);
  return m ? Number(m[1]) * 1000 + Number(m[2]) : -1;
}

/** A revision and the Kubernetes minors it supports, as `meshRevisionProfiles`/`meshUpgradeProfiles` list them. */
export interface MeshRevisionCompatibility {
  revision: string;
  upgrades: string[];
  kubernetesVersions: string[];
}

export function revisionSupports(revision: MeshRevisionCompatibility | undefined, kubernetesVersion: string): boolean {
  return revision !== undefined && revision.kubernetesVersions.some((v) => minorOf(v) === minorOf(kubernetesVersion));
}
