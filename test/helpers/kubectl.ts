import { spawnSync } from "node:child_process";

/**
 * The real kustomize, as `kubectl kustomize` (kubectl embeds kustomize; v5 on these machines, azure-notes.md).
 * AKS_PLATFORM_KUBECTL names another binary; tests that need it skip with HOW_TO_INSTALL_KUBECTL when it is missing.
 */
export const HOW_TO_INSTALL_KUBECTL =
  "kubectl with kustomize v5 not found: install kubectl (Debian/Ubuntu: `apt-get install kubectl` from the Kubernetes " +
  "apt repository pkgs.k8s.io, which .ci/run does when the package is available; or the binary from " +
  "https://kubernetes.io/docs/tasks/tools/) or set AKS_PLATFORM_KUBECTL to its path";

export interface Kubectl {
  path: string;
  kustomizeVersion: string;
}

/** The kubectl to use, when it runs and embeds kustomize v5; undefined otherwise. */
export function findKubectl(): Kubectl | undefined {
  const path = process.env.AKS_PLATFORM_KUBECTL ?? "kubectl";
  const version = spawnSync(path, ["version", "--client"], { encoding: "utf8", timeout: 30_000 });
  const kustomize = /Kustomize Version:\s*v?(\d+\.\d+\.\d+)/.exec(version.stdout ?? "")?.[1];
  if (version.status !== 0 || kustomize === undefined || !kustomize.startsWith("5.")) return undefined;
  return { path, kustomizeVersion: kustomize };
}

/** `kubectl kustomize <dir>`: the rendered YAML stream, or an error carrying kustomize's own message. */
export function kubectlKustomize(kubectl: Kubectl, dir: string): string {
  const run = spawnSync(kubectl.path, ["kustomize", dir], { encoding: "utf8", timeout: 60_000 });
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} exited ${run.status}: ${run.stderr.trim()}`);
  return run.stdout;
}
