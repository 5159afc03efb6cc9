import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  GitopsRenderError,
  renderKustomization,
  substituteString,
  variablesIn,
  type K8sObject,
} from "../../lib/gitops";

let root: string;

interface TestDeployment {
  spec: {
    replicas?: number;
    template: {
      spec: {
        tolerations: { key: string }[];
        containers: { name: string; image: string; env?: { name: string; value: string }[] }[];
      };
    };
  };
}
const asDeployment = (o: K8sObject | undefined): TestDeployment => o as unknown as TestDeployment;

function write(rel: string, text: string): void {
  const file = path.join(root, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      tolerations:
        - key: a
          operator: Exists
      containers:
        - name: web
          image: web:1
          env:
            - name: A
              value: "1"
        - name: sidecar
          image: side:1
`;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), "gitops-render-"));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe("renderKustomization", () => {
  it("collects files and directories, then sets the namespace on namespaced kinds only", () => {
    write(
      "base/app/kustomization.yaml",
      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deploy.yaml]\n",
    );
    write("base/app/deploy.yaml", deployment);
    write(
      "overlay/kustomization.yaml",
      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: team\nresources: [../base/app, ns.yaml]\n",
    );
    write("overlay/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n---\n");
    const out = renderKustomization(path.join(root, "overlay"), root);
    expect(out.map((o) => `${o.kind}/${o.metadata.namespace ?? "-"}/${o.metadata.name}`)).toEqual([
      "Deployment/team/web",
      "Namespace/-/team",
    ]);
  });

  it("applies a strategic-merge patch: named lists merge, other lists are replaced, null deletes", () => {
    write("app/deploy.yaml", deployment);
    write(
      "app/patch.yaml",
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: null
  template:
    spec:
      tolerations:
        - key: b
          operator: Exists
      containers:
        - name: web
          image: web:2
          env:
            - name: B
              value: "2"
`,
    );
    write(
      "app/kustomization.yaml",
      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deploy.yaml]\npatches:\n  - path: patch.yaml\n",
    );
    const { spec } = asDeployment(renderKustomization(path.join(root, "app"), root)[0]);
    expect(spec.replicas).toBeUndefined();
    expect(spec.template.spec.tolerations).toEqual([{ key: "b", operator: "Exists" }]);
    expect(spec.template.spec.containers.map((c) => `${c.name}=${c.image}`)).toEqual(["web=web:2", "sidecar=side:1"]);
    expect(spec.template.spec.containers[0]!.env).toEqual([
      { name: "A", value: "1" },
      { name: "B", value: "2" },
    ]);
  });

  it("applies JSON6902 operations to the targeted objects", () => {
    write("app/deploy.yaml", deployment);
    write(
      "app/kustomization.yaml",
      `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [deploy.yaml]
patches:
  - target: { group: apps, version: v1, kind: Deployment, name: web }
    patch: |
      - op: test
        path: /spec/replicas
        value: 1
      - op: replace
        path: /spec/replicas
        value: 3
      - op: add
        path: /spec/template/spec/tolerations/-
        value: { key: c, operator: Exists }
      - op: remove
        path: /spec/template/spec/containers/1
`,
    );
    const { spec } = asDeployment(renderKustomization(path.join(root, "app"), root)[0]);
    expect(spec.replicas).toBe(3);
    expect(spec.template.spec.tolerations.map((t) => t.key)).toEqual(["a", "c"]);
    expect(spec.template.spec.containers).toHaveLength(1);
  });

  it("adds a component's resources and patches the combined set", () => {
    write("base/deploy.yaml", deployment);
    write("comp/extra.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: x\ndata: {}\n");
    write(
      "comp/kustomization.yaml",
      `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources: [extra.yaml]
patches:
  - target: { kind: Deployment, name: web }
    patch: |
      - op: replace
        path: /spec/replicas
        value: 2
`,
    );
    write(
      "app/kustomization.yaml",
      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../base/deploy.yaml]\ncomponents: [../comp]\n",
    );
    const out = renderKustomization(path.join(root, "app"), root);
    expect(out.map((o) => o.kind)).toEqual(["Deployment", "ConfigMap"]);
    expect(asDeployment(out[0]).spec.replicas).toBe(2);
  });

  it("refuses what it cannot render faithfully", () => {
    const attempt = (kustomization: string, files: Record<string, string> = {}): string => {
      rmSync(root, { recursive: true, force: true });
      mkdirSync(root);
      write("app/kustomization.yaml", kustomization);
      for (const [f, t] of Object.entries(files)) write(f, t);
      try {
        renderKustomization(path.join(root, "app"), root);
        return "rendered";
      } catch (e) {
        expect(e).toBeInstanceOf(GitopsRenderError);
        return (e as Error).message;
      }
    };
    const head = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n";
    expect(attempt(`${head}commonLabels: { a: b }\n`)).toMatch(/commonLabels/);
    expect(attempt(`${head}resources: [../../outside]\n`)).toMatch(/outside the repository/);
    expect(attempt(`${head}resources: [a.yaml, a.yaml]\n`, { "app/a.yaml": deployment })).toMatch(/duplicate object/);
    expect(
      attempt(`${head}resources: [a.yaml]\n`, {
        "app/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  n: ${N}\n",
      }),
    ).toMatch(/unquoted placeholder \$\{N\}/);
    expect(
      attempt(
        `${head}resources: [a.yaml]\npatches:\n  - target: { kind: Service }\n    patch: "[{op: remove, path: /spec}]"\n`,
        { "app/a.yaml": deployment },
      ),
    ).toMatch(/matches nothing/);
    expect(attempt(`${head}resources: [missing.yaml]\n`)).toMatch(/does not exist/);
  });
});

describe("substituteString (Flux postBuild semantics)", () => {
  it("substitutes braced, defaulted and bare variables and keeps $$ as a literal dollar", () => {
    const r = substituteString("${A}-${B:=b}-${C:-c}-$A-$$HOME", { A: "a", C: "" });
    expect(r.value).toBe("a-b-c-a-$HOME");
    expect(r.missing).toEqual([]);
    expect(r.used).toEqual(["A", "B", "C", "A"]);
  });

  it("reports variables without a value instead of emptying them", () => {
    expect(substituteString("x-${MISSING}", {}).missing).toEqual(["MISSING"]);
    expect(variablesIn({ metadata: { name: "${A}" }, data: { "${K}": "$B" } })).toEqual(["A", "K", "B"]);
  });
});
