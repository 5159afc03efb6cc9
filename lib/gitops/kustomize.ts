import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { isScalar, parseAllDocuments, visit, type Scalar } from "yaml";
import { z } from "zod";

/**
 * A small kustomize for the subset this project's GitOps tree uses: `resources` (files and directories),
 * `components`, `patches` (JSON6902 lists or strategic-merge objects, optionally with a `target`) and `namespace`.
 * Any other kustomization field is refused rather than ignored, so the renderer never silently differs from Flux.
 */

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export class GitopsRenderError extends Error {
  override readonly name = "GitopsRenderError";
  constructor(
    message: string,
    /** File or folder (relative to the repository root) the error is about. */
    readonly location: string,
  ) {
    super(`${location}: ${message}`);
  }
}

const patchTargetSchema = z.strictObject({
  group: z.string().optional(),
  version: z.string().optional(),
  kind: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
});
type PatchTarget = z.infer<typeof patchTargetSchema>;

const patchSchema = z
  .strictObject({ path: z.string().optional(), patch: z.string().optional(), target: patchTargetSchema.optional() })
  .refine((p) => (p.path === undefined) !== (p.patch === undefined), "exactly one of path or patch");

const kustomizationFileSchema = z.strictObject({
  apiVersion: z.enum(["kustomize.config.k8s.io/v1beta1", "kustomize.config.k8s.io/v1alpha1"]),
  kind: z.enum(["Kustomization", "Component"]),
  namespace: z.string().optional(),
  resources: z.array(z.string()).optional(),
  components: z.array(z.string()).optional(),
  patches: z.array(patchSchema).optional(),
});

const objectSchema = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: z.looseObject({ name: z.string().min(1), namespace: z.string().optional() }),
});

/** Kinds kustomize itself knows to be cluster-scoped (it namespaces every other kind, CRDs included). */
const CLUSTER_SCOPED_BUILTINS = new Set([
  "Namespace",
  "PriorityClass",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "StorageClass",
  "PersistentVolume",
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
  "APIService",
  "CSIDriver",
  "RuntimeClass",
]);

const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

export function objectKey(o: K8sObject): string {
  return `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
}

function rel(root: string, p: string): string {
  return path.relative(root, p) || ".";
}

/**
 * Flux substitutes variables in the serialized YAML, so a plain (unquoted) scalar that is only `${VAR}` would come
 * back typed (`64` a number, `true` a boolean). Requiring quotes keeps every substituted value a string.
 */
function assertPlaceholdersQuoted(doc: ReturnType<typeof parseAllDocuments>[number], where: string): void {
  visit(doc, {
    Scalar(_key, node: Scalar) {
      if (node.type === "PLAIN" && typeof node.value === "string" && /^\$\{[^}]+\}$/.test(node.value)) {
        throw new GitopsRenderError(`unquoted placeholder ${node.value}: quote it so it stays a string`, where);
      }
    },
  });
}

/** Parses a multi-document YAML manifest file into objects. */
export function readManifestFile(file: string, root: string): K8sObject[] {
  const where = rel(root, file);
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  if (!Array.isArray(docs)) throw new GitopsRenderError("not a YAML stream", where);
  const out: K8sObject[] = [];
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) throw new GitopsRenderError(`YAML error: ${doc.errors[0]?.message ?? ""}`, where);
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return;
    assertPlaceholdersQuoted(doc, where);
    const parsed = objectSchema.safeParse(doc.toJS());
    if (!parsed.success) {
      throw new GitopsRenderError(
        `document ${index + 1} is not a Kubernetes object: ${z.prettifyError(parsed.error)}`,
        where,
      );
    }
    out.push(parsed.data);
  });
  return out;
}

function readYamlValue(file: string, root: string): unknown {
  const doc = parseAllDocuments(readFileSync(file, "utf8"));
  if (!Array.isArray(doc) || doc.length !== 1 || doc[0] === undefined || doc[0].errors.length > 0) {
    throw new GitopsRenderError("expected exactly one valid YAML document", rel(root, file));
  }
  return doc[0].toJS() as unknown;
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf("/");
  return slash < 0
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

function matchesTarget(o: K8sObject, t: PatchTarget): boolean {
  const { group, version } = splitApiVersion(o.apiVersion);
  return (
    (t.group === undefined || t.group === group) &&
    (t.version === undefined || t.version === version) &&
    (t.kind === undefined || t.kind === o.kind) &&
    (t.name === undefined || new RegExp(`^(?:${t.name})$`).test(o.metadata.name)) &&
    (t.namespace === undefined || t.namespace === (o.metadata.namespace ?? ""))
  );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function decodePointer(pointer: string, where: string): string[] {
  if (!pointer.startsWith("/")) throw new GitopsRenderError(`JSON pointer must start with "/": ${pointer}`, where);
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** Applies one RFC 6902 operation in place on `doc` (add, remove, replace, test). */
function applyJsonPatchOp(doc: unknown, op: Record<string, unknown>, where: string): void {
  const kind = op["op"];
  const pointer = op["path"];
  if (typeof kind !== "string" || typeof pointer !== "string")
    throw new GitopsRenderError("JSON6902 op needs op and path", where);
  const parts = decodePointer(pointer, where);
  const last = parts.pop();
  if (last === undefined) throw new GitopsRenderError(`JSON6902 ${kind} on the document root is not supported`, where);
  let parent: unknown = doc;
  for (const p of parts) {
    parent = Array.isArray(parent) ? parent[Number(p)] : isRecord(parent) ? parent[p] : undefined;
    if (parent === undefined) throw new GitopsRenderError(`JSON6902 ${kind}: ${pointer} does not exist`, where);
  }
  const value = structuredClone(op["value"]);
  if (Array.isArray(parent)) {
    const index = last === "-" ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) {
      throw new GitopsRenderError(`JSON6902 ${kind}: bad array index in ${pointer}`, where);
    }
    if (kind === "add") parent.splice(index, 0, value);
    else if (kind === "remove") parent.splice(index, 1);
    else if (kind === "replace") parent[index] = value;
    else if (kind === "test") {
      if (JSON.stringify(parent[index]) !== JSON.stringify(value))
        throw new GitopsRenderError(`JSON6902 test failed at ${pointer}`, where);
    } else throw new GitopsRenderError(`JSON6902 op ${kind} is not supported`, where);
    return;
  }
  if (!isRecord(parent)) throw new GitopsRenderError(`JSON6902 ${kind}: parent of ${pointer} is not an object`, where);
  if (kind === "add") parent[last] = value;
  else if (kind === "remove" || kind === "replace") {
    if (!(last in parent)) throw new GitopsRenderError(`JSON6902 ${kind}: ${pointer} does not exist`, where);
    if (kind === "remove") delete parent[last];
    else parent[last] = value;
  } else if (kind === "test") {
    if (JSON.stringify(parent[last]) !== JSON.stringify(value))
      throw new GitopsRenderError(`JSON6902 test failed at ${pointer}`, where);
  } else throw new GitopsRenderError(`JSON6902 op ${kind} is not supported`, where);
}

/** Built-in kinds (core and `*.k8s.io`-less groups like apps, policy) merge named list items; CRDs replace lists. */
function isBuiltinApi(apiVersion: string): boolean {
  const { group } = splitApiVersion(apiVersion);
  return group === "" || !group.includes(".") || group.endsWith(".k8s.io");
}

/**
 * Strategic merge as kustomize applies it to the kinds this tree uses: maps merge recursively, `null` deletes a
 * key; on built-in kinds, lists whose items all carry `name` (containers, volumes, env, ports…) merge by name;
 * every other list (and every list of a custom resource, which has no merge keys) is replaced.
 */
function strategicMerge(target: unknown, patch: unknown, builtin: boolean): unknown {
  if (isRecord(target) && isRecord(patch)) {
    const out: Record<string, unknown> = { ...target };
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete out[k];
      else out[k] = k in out ? strategicMerge(out[k], v, builtin) : structuredClone(v);
    }
    return out;
  }
  const named = (l: unknown[]): l is Record<string, unknown>[] =>
    l.every((i) => isRecord(i) && typeof i["name"] === "string");
  if (builtin && Array.isArray(target) && Array.isArray(patch) && named(target) && named(patch)) {
    const out = target.map((i) => structuredClone(i));
    for (const item of patch) {
      const at = out.findIndex((i) => i["name"] === item["name"]);
      if (at < 0) out.push(structuredClone(item));
      else out[at] = strategicMerge(out[at], item, builtin) as Record<string, unknown>;
    }
    return out;
  }
  return structuredClone(patch);
}

function applyPatch(
  objects: K8sObject[],
  content: unknown,
  target: PatchTarget | undefined,
  where: string,
): K8sObject[] {
  if (Array.isArray(content)) {
    if (target === undefined) throw new GitopsRenderError("a JSON6902 patch needs a target", where);
    const hits = objects.filter((o) => matchesTarget(o, target));
    if (hits.length === 0) throw new GitopsRenderError(`patch target ${JSON.stringify(target)} matches nothing`, where);
    return objects.map((o) => {
      if (!hits.includes(o)) return o;
      const copy = structuredClone(o);
      for (const op of content) {
        if (!isRecord(op)) throw new GitopsRenderError("JSON6902 operations must be objects", where);
        applyJsonPatchOp(copy, op, where);
      }
      return copy;
    });
  }
  const parsed = objectSchema.safeParse(content);
  if (!parsed.success) throw new GitopsRenderError("a strategic-merge patch must be a Kubernetes object", where);
  const p = parsed.data;
  const effective: PatchTarget = target ?? {
    ...splitApiVersion(p.apiVersion),
    kind: p.kind,
    name: p.metadata.name,
    ...(p.metadata.namespace === undefined ? {} : { namespace: p.metadata.namespace }),
  };
  let hit = false;
  const out = objects.map((o) => {
    if (!matchesTarget(o, effective)) return o;
    hit = true;
    // The patch's own identity fields select the object; they are not merged into a differently named target.
    const { apiVersion: _a, kind: _k, metadata, ...rest } = p;
    const { name: _n, namespace: _ns, ...metaRest } = metadata;
    return strategicMerge(o, { ...rest, metadata: metaRest }, isBuiltinApi(o.apiVersion)) as K8sObject;
  });
  if (!hit)
    throw new GitopsRenderError(`strategic-merge patch for ${p.kind}/${p.metadata.name} matches nothing`, where);
  return out;
}

function findKustomizationFile(dir: string): string | undefined {
  return KUSTOMIZATION_FILES.map((f) => path.join(dir, f)).find((f) => existsSync(f));
}

function resolveInside(root: string, base: string, ref: string, where: string): string {
  const resolved = path.resolve(base, ref);
  const inside = path.relative(root, resolved);
  if (inside.startsWith("..") || path.isAbsolute(inside)) {
    throw new GitopsRenderError(`${ref} points outside the repository`, where);
  }
  if (!existsSync(resolved)) throw new GitopsRenderError(`${ref} does not exist`, where);
  return resolved;
}

function build(dir: string, root: string, expectKind: "Kustomization" | "Component", stack: string[]): K8sObject[] {
  const where = rel(root, dir);
  if (stack.includes(dir))
    throw new GitopsRenderError(`kustomization cycle: ${[...stack, dir].map((d) => rel(root, d)).join(" -> ")}`, where);
  const file = findKustomizationFile(dir);
  if (file === undefined) throw new GitopsRenderError("no kustomization.yaml", where);
  const parsed = kustomizationFileSchema.safeParse(readYamlValue(file, root));
  if (!parsed.success) throw new GitopsRenderError(z.prettifyError(parsed.error), rel(root, file));
  const k = parsed.data;
  if (k.kind !== expectKind)
    throw new GitopsRenderError(`expected a ${expectKind}, found a ${k.kind}`, rel(root, file));
  const next = [...stack, dir];

  let objects: K8sObject[] = [];
  const add = (more: K8sObject[], from: string): void => {
    for (const o of more) {
      if (objects.some((e) => objectKey(e) === objectKey(o)))
        throw new GitopsRenderError(`duplicate object ${objectKey(o)}`, from);
      objects.push(o);
    }
  };
  for (const ref of k.resources ?? []) {
    const target = resolveInside(root, dir, ref, rel(root, file));
    if (statSync(target).isDirectory()) add(build(target, root, "Kustomization", next), rel(root, target));
    else add(readManifestFile(target, root), rel(root, target));
  }
  for (const ref of k.components ?? []) {
    const componentDir = resolveInside(root, dir, ref, rel(root, file));
    objects = applyComponent(componentDir, root, objects, next);
  }
  // A component's patches apply to the including kustomization's combined set (applyComponent), not here.
  if (k.kind === "Component") return objects;
  objects = applyPatches(k.patches ?? [], dir, root, objects, rel(root, file));
  if (k.namespace !== undefined) {
    const ns = k.namespace;
    objects = objects.map((o) =>
      CLUSTER_SCOPED_BUILTINS.has(o.kind) ? o : { ...o, metadata: { ...o.metadata, namespace: ns } },
    );
  }
  return objects;
}

function applyPatches(
  patches: z.infer<typeof patchSchema>[],
  dir: string,
  root: string,
  objects: K8sObject[],
  where: string,
): K8sObject[] {
  let out = objects;
  for (const p of patches) {
    const content: unknown =
      p.path !== undefined
        ? readYamlValue(resolveInside(root, dir, p.path, where), root)
        : parseAllDocuments(p.patch ?? "")[0]?.toJS();
    out = applyPatch(out, content, p.target, p.path === undefined ? where : rel(root, path.resolve(dir, p.path)));
  }
  return out;
}

/** A component adds its resources to the including kustomization's, then patches the combined set. */
function applyComponent(dir: string, root: string, accumulated: K8sObject[], stack: string[]): K8sObject[] {
  const file = findKustomizationFile(dir);
  if (file === undefined) throw new GitopsRenderError("no kustomization.yaml", rel(root, dir));
  const parsed = kustomizationFileSchema.safeParse(readYamlValue(file, root));
  if (!parsed.success || parsed.data.kind !== "Component")
    throw new GitopsRenderError("expected a Component", rel(root, file));
  if (parsed.data.namespace !== undefined)
    throw new GitopsRenderError("namespace in a Component is not supported", rel(root, file));
  const own = build(dir, root, "Component", stack);
  const combined = [...accumulated];
  for (const o of own) {
    if (combined.some((e) => objectKey(e) === objectKey(o)))
      throw new GitopsRenderError(`duplicate object ${objectKey(o)}`, rel(root, dir));
    combined.push(o);
  }
  return applyPatches(parsed.data.patches ?? [], dir, root, combined, rel(root, file));
}

/**
 * Renders the kustomization in `dir` the way `kustomize build` would for the supported fields.
 * `root` is the repository root: references may not leave it (Flux builds with the same restriction).
 */
export function renderKustomization(dir: string, root: string): K8sObject[] {
  return build(path.resolve(dir), path.resolve(root), "Kustomization", []);
}
