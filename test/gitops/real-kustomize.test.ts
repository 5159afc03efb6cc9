import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { repoRoot } from "../../lib/config";
import { objectKey, renderKustomization, type K8sObject } from "../../lib/gitops";
import { findKubectl, HOW_TO_INSTALL_KUBECTL, kubectlKustomize } from "../helpers/kubectl";

/**
 * lib/gitops/kustomize.ts renders the GitOps tree where no kustomize binary exists (the Functions host, `check`).
 * Here every kustomization of templates/gitops (each cluster overlay and each base it pulls in) is rendered by the
 * real kustomize too, and both must produce the same objects, field for field. Components are not built on their own
 * (our renderer refuses that, as Flux never does it); they are compared inside the overlays that include them.
 */

const root = repoRoot();
const gitops = path.join(root, "templates/gitops");

function kustomizationDirs(dir: string): string[] {
  const entries = readdirSync(dir);
  const here = entries.includes("kustomization.yaml") ? [dir] : [];
  return [
    ...here,
    ...entries
      .map((e) => path.join(dir, e))
      .filter((p) => statSync(p).isDirectory())
      .flatMap(kustomizationDirs),
  ];
}

const isComponent = (dir: string) =>
  (parse(readFileSync(path.join(dir, "kustomization.yaml"), "utf8")) as { kind?: string }).kind === "Component";
const all = kustomizationDirs(gitops);
const dirs = all.filter((d) => !isComponent(d)).map((d) => path.relative(root, d));
const kubectl = findKubectl();

const byKey = (objects: K8sObject[]) => new Map(objects.map((o) => [objectKey(o), o]));

describe.skipIf(kubectl === undefined)(
  kubectl === undefined
    ? `GitOps tree vs the real kustomize — SKIPPED: ${HOW_TO_INSTALL_KUBECTL}`
    : `GitOps tree vs the real kustomize (kubectl kustomize, kustomize v${kubectl.kustomizeVersion})`,
  () => {
    it("finds every cluster overlay among the kustomizations", () => {
      expect(dirs.filter((d) => d.includes("/clusters/")).sort()).toEqual(
        ["app1", "app2", "mgmt"].map((c) => `templates/gitops/clusters/${c}`),
      );
      expect(dirs.length).toBeGreaterThan(10);
      // Each component is included by some overlay, so its objects are compared there.
      for (const component of all.filter(isComponent)) {
        const name = path.relative(gitops, component);
        const includedBy = dirs.filter((d) =>
          readFileSync(path.join(root, d, "kustomization.yaml"), "utf8").includes(name),
        );
        expect(includedBy, `${name} is included by no overlay`).not.toEqual([]);
      }
    });

    it.each(dirs)("%s: our renderer produces exactly kustomize's objects", (dir) => {
      const real = parseAllDocuments(kubectlKustomize(kubectl!, path.join(root, dir)))
        .map((d) => d.toJS() as K8sObject | null)
        .filter((o): o is K8sObject => o !== null);
      const ours = renderKustomization(path.join(root, dir), root);
      expect(real.length).toBeGreaterThan(0);
      const [realByKey, oursByKey] = [byKey(real), byKey(ours)];
      expect([...oursByKey.keys()].sort()).toEqual([...realByKey.keys()].sort());
      for (const [key, object] of realByKey) expect(oursByKey.get(key), key).toEqual(object);
    });
  },
);
