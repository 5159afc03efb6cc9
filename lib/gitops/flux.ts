import path from "node:path";
import { z } from "zod";
import { FLUX_GIT_SOURCE, clusterPath, type FluxSubstitutions } from "./contract";
import { GitopsRenderError, renderKustomization, type K8sObject } from "./kustomize";

/** Flux's postBuild substitution (drone/envsubst): `${VAR}`, `${VAR:=default}`, `${VAR:-default}`, bare `$VAR`, `$$` escape. */
const VAR_PATTERN = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[=-])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

export interface SubstitutionResult {
  value: string;
  used: string[];
  missing: string[];
}

/**
 * Substitutes one string. Unlike Flux (which silently empties unknown variables unless strict substitution is
 * switched on), missing variables are reported so a typo in the tree fails the tests instead of a reconciliation.
 */
export function substituteString(input: string, vars: Readonly<Record<string, string>>): SubstitutionResult {
  const used: string[] = [];
  const missing: string[] = [];
  const value = input.replace(
    VAR_PATTERN,
    (match: string, braced?: string, op?: string, fallback?: string, bare?: string) => {
      if (match === "$$") return "$";
      const name = braced ?? bare ?? "";
      used.push(name);
      const v = vars[name];
      if (v !== undefined && !(op?.startsWith(":") === true && v === "")) return v;
      if (op !== undefined) return fallback ?? "";
      missing.push(name);
      return "";
    },
  );
  return { value, used, missing };
}

/** Names of the variables an object refers to (keys and string values), in first-use order. */
export function variablesIn(value: unknown): string[] {
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === "string") substituteString(v, {}).used.forEach((n) => found.add(n));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === "object" && v !== null) {
      for (const [k, child] of Object.entries(v)) {
        walk(k);
        walk(child);
      }
    }
  };
  walk(value);
  return [...found];
}

const SUBSTITUTE_DISABLED = "kustomize.toolkit.fluxcd.io/substitute";

function substituteObject(o: K8sObject, vars: Readonly<Record<string, string>>, where: string): K8sObject {
  if (o.metadata.annotations?.[SUBSTITUTE_DISABLED] === "disabled") return o;
  const missing = new Set<string>();
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      const r = substituteString(v, vars);
      r.missing.forEach((m) => missing.add(m));
      return r.value;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === "object" && v !== null)
      return Object.fromEntries(Object.entries(v).map(([k, c]) => [walk(k) as string, walk(c)]));
    return v;
  };
  const out = walk(o) as K8sObject;
  if (missing.size > 0) {
    throw new GitopsRenderError(`${o.kind}/${o.metadata.name}: no value for ${[...missing].join(", ")}`, where);
  }
  return out;
}

const fluxKustomizationSchema = z.looseObject({
  apiVersion: z.literal("kustomize.toolkit.fluxcd.io/v1"),
  kind: z.literal("Kustomization"),
  metadata: z.looseObject({ name: z.string(), namespace: z.string().optional() }),
  spec: z.looseObject({
    path: z.string().optional(),
    sourceRef: z.looseObject({ kind: z.string(), name: z.string(), namespace: z.string().optional() }),
    dependsOn: z.array(z.looseObject({ name: z.string(), namespace: z.string().optional() })).optional(),
    postBuild: z
      .looseObject({
        substitute: z.record(z.string(), z.string()).optional(),
        substituteFrom: z
          .array(
            z.looseObject({
              kind: z.enum(["ConfigMap", "Secret"]),
              name: z.string(),
              optional: z.boolean().optional(),
            }),
          )
          .optional(),
      })
      .optional(),
  }),
});

/** One Flux Kustomization of the tree and what it applies. */
export interface FluxLayer {
  name: string;
  namespace: string;
  dependsOn: string[];
  source: { kind: string; name: string; namespace: string };
  path: string;
  /** False when the source is another repository (e.g. the Gateway API CRDs): its content is not rendered here. */
  local: boolean;
  /** Kustomize output before substitution (placeholders intact). */
  raw: K8sObject[];
  /** Objects as Flux applies them, after postBuild substitution. */
  objects: K8sObject[];
  /** Variables this layer's manifests refer to. */
  variables: string[];
}

export interface ClusterRender {
  cluster: string;
  /** What the extension's top-level kustomization applies (before and after its substitution). */
  top: { raw: K8sObject[]; objects: K8sObject[]; variables: string[] };
  layers: FluxLayer[];
}

function isFluxKustomization(o: K8sObject): boolean {
  return o.apiVersion.startsWith("kustomize.toolkit.fluxcd.io/") && o.kind === "Kustomization";
}

/** Values a layer's postBuild gives: its `substituteFrom` ConfigMaps (found among applied objects), then `substitute`. */
function layerVariables(
  k: z.infer<typeof fluxKustomizationSchema>,
  namespace: string,
  applied: readonly K8sObject[],
  where: string,
): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const ref of k.spec.postBuild?.substituteFrom ?? []) {
    const found = applied.find(
      (o) =>
        o.apiVersion === "v1" &&
        o.kind === ref.kind &&
        o.metadata.name === ref.name &&
        o.metadata.namespace === namespace,
    );
    if (found === undefined) {
      if (ref.optional === true) continue;
      throw new GitopsRenderError(
        `Kustomization ${k.metadata.name}: substituteFrom ${ref.kind}/${ref.name} is not applied by the tree`,
        where,
      );
    }
    const data = z.record(z.string(), z.string()).safeParse(found["data"] ?? {});
    if (!data.success) throw new GitopsRenderError(`${ref.kind}/${ref.name}: data must be strings`, where);
    Object.assign(vars, data.data);
  }
  Object.assign(vars, k.spec.postBuild?.substitute ?? {});
  return vars;
}

/**
 * Renders one cluster the way Flux would reconcile it: the extension's top-level kustomization (path
 * `clusters/<name>`, substituted with the contract values), then every Flux Kustomization it declares, following
 * each `spec.path` in this repository (recursively) with that Kustomization's own postBuild substitution.
 */
export function renderCluster(repoRoot: string, cluster: string, substitutions: FluxSubstitutions): ClusterRender {
  const root = path.resolve(repoRoot);
  const topDir = path.join(root, clusterPath(cluster));
  const where = clusterPath(cluster);
  const topRaw = renderKustomization(topDir, root);
  const topObjects = topRaw.map((o) => substituteObject(o, substitutions, where));
  const applied: K8sObject[] = [...topObjects];
  const layers: FluxLayer[] = [];
  const queue = topObjects.filter(isFluxKustomization);
  const seen = new Set<string>();

  while (queue.length > 0) {
    const next = queue.shift();
    if (next === undefined) break;
    const parsed = fluxKustomizationSchema.safeParse(next);
    if (!parsed.success)
      throw new GitopsRenderError(`Flux Kustomization ${next.metadata.name}: ${z.prettifyError(parsed.error)}`, where);
    const k = parsed.data;
    const namespace = k.metadata.namespace ?? "default";
    const id = `${namespace}/${k.metadata.name}`;
    if (seen.has(id)) throw new GitopsRenderError(`Flux Kustomization ${id} is declared twice`, where);
    seen.add(id);
    const source = {
      kind: k.spec.sourceRef.kind,
      name: k.spec.sourceRef.name,
      namespace: k.spec.sourceRef.namespace ?? namespace,
    };
    const local =
      source.kind === FLUX_GIT_SOURCE.kind &&
      source.name === FLUX_GIT_SOURCE.name &&
      source.namespace === FLUX_GIT_SOURCE.namespace;
    const layerPath = k.spec.path ?? "./";
    let raw: K8sObject[] = [];
    let objects: K8sObject[] = [];
    if (local) {
      const layerWhere = `${where} -> Kustomization ${k.metadata.name} (${layerPath})`;
      raw = renderKustomization(path.join(root, layerPath), root);
      const vars = layerVariables(k, namespace, applied, layerWhere);
      objects = raw.map((o) => substituteObject(o, vars, layerWhere));
      applied.push(...objects);
      queue.push(...objects.filter(isFluxKustomization));
    }
    layers.push({
      name: k.metadata.name,
      namespace,
      dependsOn: (k.spec.dependsOn ?? []).map((d) => d.name),
      source,
      path: layerPath,
      local,
      raw,
      objects,
      variables: variablesIn(raw),
    });
  }
  return { cluster, top: { raw: topRaw, objects: topObjects, variables: variablesIn(topRaw) }, layers };
}

/** Every object Flux applies on the cluster (top level and all local layers), after substitution. */
export function appliedObjects(render: ClusterRender): K8sObject[] {
  return [...render.top.objects, ...render.layers.flatMap((l) => l.objects)];
}

/** The same objects before substitution, with their placeholders. */
export function rawObjects(render: ClusterRender): K8sObject[] {
  return [...render.top.raw, ...render.layers.flatMap((l) => l.raw)];
}
