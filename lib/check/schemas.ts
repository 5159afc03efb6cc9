import type { ExpandedResource } from "../arm";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import Ajv from "ajv-draft-04";
import type { ErrorObject, ValidateFunction } from "ajv";
import { loadAppConfig } from "../config";
import { ENUM_EXTENSIONS, SCHEMA_ALLOWLIST } from "./schema-allowlist";

/**
 * Offline validation against the official ARM JSON schemas (Azure/azure-resource-manager-schemas, draft-04), with the
 * repairs the published files need to be usable offline (see the schemas' README):
 * - the template envelope's `resource` definition points at a file that is not published in pieces: relaxed, each
 *   resource is validated against its own provider schema instead;
 * - child types are keyed `<parent>_<child>` and their `name` pattern covers the last segment only;
 * - Microsoft.KubernetesConfiguration has `definitions` only: `properties` is validated against the named definition;
 * - ordinary objects do not forbid unknown keys, so a separate walk reports keys the schema does not declare;
 * - DataProtection's polymorphic bases put `additionalProperties:false` inside `allOf` and use draft-06 `const`.
 * Values only known at deploy time (`{ "$deferred": expr }`) validate as the ARM expression they stand for.
 */

const SCHEMA_URL = "https://schema.management.azure.com/schemas/";

export const SCHEMAS_HELP =
  "The official ARM JSON schemas are the `schemas/` folder of https://github.com/Azure/azure-resource-manager-schemas " +
  "(e.g. `git clone --depth 1 https://github.com/Azure/azure-resource-manager-schemas`); point --schemas DIR or the " +
  "setting AKS_PLATFORM_ARM_SCHEMAS_DIR at that `schemas/` folder (default: ../shared/arm-schemas beside the repository).";

/** The schemas folder of the app settings (AKS_PLATFORM_ARM_SCHEMAS_DIR, default ../shared/arm-schemas); undefined if absent. */
export function resolveSchemasDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = loadAppConfig(env).armSchemasDir;
  return existsSync(path.join(dir, "common", "definitions.json")) ? dir : undefined;
}

/** A resource as the plan holds it: the parts of an expanded template resource that its schema covers. */
export type ResourceToValidate = Pick<
  ExpandedResource,
  "id" | "type" | "apiVersion" | "name" | "location" | "sku" | "kind" | "identity" | "zones" | "tags" | "properties"
>;

export interface SchemaProblem {
  /** Resource id, template file or parameter file the problem is in. */
  subject: string;
  /** JSON pointer inside the validated document. */
  path: string;
  message: string;
}

export type ResourceSchemaResult =
  | { status: "valid" }
  | { status: "invalid"; problems: SchemaProblem[] }
  | { status: "allowed-without-schema"; reason: string }
  | { status: "no-schema" };

type JsonSchema = Record<string, unknown>;
/** A (sub)schema and the file id its local `$ref`s resolve against. */
interface SchemaAt {
  schema: unknown;
  base: string;
}

interface SchemaLocation {
  /** `$ref` of the definition to validate against. */
  ref: string;
  /** What is validated: the whole resource, or only its `properties` (definitions-only providers). */
  target: "resource" | "properties";
  /** Child definitions (`*_childResource`) expect the short type (`extensions`), not the full one. */
  shortType?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Types whose `properties` are validated against a named definition: KubernetesConfiguration publishes definitions
 * only (trap 3), and the Compute snapshot's VM-extension child definition refers to Microsoft.Compute.Extensions.json,
 * which the snapshot lacks, while its properties definition is complete.
 */
const PROPERTIES_ONLY: readonly { type: string; file: string; definition: string }[] = [
  {
    type: "microsoft.kubernetesconfiguration/extensions",
    file: "Microsoft.KubernetesConfiguration.json",
    definition: "ExtensionProperties",
  },
  {
    type: "microsoft.kubernetesconfiguration/fluxconfigurations",
    file: "Microsoft.KubernetesConfiguration.json",
    definition: "FluxConfigurationProperties",
  },
  {
    type: "microsoft.compute/virtualmachines/extensions",
    file: "Microsoft.Compute.json",
    definition: "VirtualMachineExtensionProperties",
  },
];

const DEFINITION_GROUPS = [
  "resourceDefinitions",
  "subscription_resourceDefinitions",
  "extension_resourceDefinitions",
  "tenant_resourceDefinitions",
  "managementGroup_resourceDefinitions",
];

function listJsonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...listJsonFiles(full));
    else if (entry.endsWith(".json")) out.push(full);
  }
  return out;
}

/**
 * Repairs described in the header: draft-06 `const` → `enum`, no `additionalProperties:false` inside `allOf`, and the
 * listed extensions of closed enums (schema-allowlist.ts).
 */
function repair(node: unknown, file: string): unknown {
  if (Array.isArray(node)) return node.map((n) => repair(n, file));
  if (!isObject(node)) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "const") out.enum = [value];
    else if (key === "enum" && Array.isArray(value)) {
      const values = value as unknown[];
      const extensions = ENUM_EXTENSIONS.filter((x) => x.file === file && values.includes(x.enumContaining));
      out.enum = [...values, ...extensions.flatMap((x) => x.added.filter((v) => !values.includes(v)))];
    } else if (key === "allOf" && Array.isArray(value)) {
      out.allOf = value.map((part) => {
        const fixed = repair(part, file);
        if (isObject(fixed) && fixed.additionalProperties === false) {
          const { additionalProperties: _dropped, ...rest } = fixed;
          return rest;
        }
        return fixed;
      });
    } else out[key] = repair(value, file);
  }
  return out;
}

function enumOf(schema: unknown, key: string): string[] {
  if (!isObject(schema) || !isObject(schema.properties)) return [];
  const prop = schema.properties[key];
  if (!isObject(prop)) return [];
  if (Array.isArray(prop.enum)) return prop.enum.filter((v): v is string => typeof v === "string");
  return [];
}

/**
 * `{ "$deferred": expr }` → `"[expr]"` (the ARM expression it stands for), and `null` properties dropped (ARM sends
 * no value for them: a template's `null()` means "not set").
 */
function materializeDeferred(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(materializeDeferred);
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === "$deferred" && typeof value.$deferred === "string") {
    const expr = value.$deferred;
    return expr.startsWith("[") && expr.endsWith("]") ? expr : `[${expr}]`;
  }
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, materializeDeferred(v)]),
  );
}

function formatAjvError(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  if (e.keyword === "enum" && Array.isArray(params.allowedValues))
    return `must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
  if (e.keyword === "additionalProperties" && typeof params.additionalProperty === "string")
    return `has unknown property '${params.additionalProperty}'`;
  return e.message ?? e.keyword;
}

/** Errors of a failed oneOf/anyOf are noisy: keep the deepest ones (they name the property at fault). */
function deepestErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const meaningful = errors.filter((e) => e.keyword !== "oneOf" && e.keyword !== "anyOf" && e.keyword !== "allOf");
  const pool = meaningful.length > 0 ? meaningful : [...errors];
  // An error about a string not being an expression is the other branch of a oneOf: drop it when others exist.
  const notExpression = pool.filter(
    (e) => !(e.keyword === "pattern" && String((e.params as { pattern?: unknown }).pattern).startsWith("^\\[")),
  );
  const candidates = notExpression.length > 0 ? notExpression : pool;
  // "must be string" at a parent is the expression branch of its oneOf failing alongside the real, deeper error.
  const paths = candidates.map((e) => e.instancePath);
  const informative = candidates.filter(
    (e) =>
      !(
        e.keyword === "type" &&
        (e.params as { type?: unknown }).type === "string" &&
        paths.some((p) => p.startsWith(`${e.instancePath}/`))
      ),
  );
  const depth = (e: ErrorObject): number => e.instancePath.split("/").length;
  const max = Math.max(...informative.map(depth));
  const seen = new Set<string>();
  return informative.filter((e) => {
    const key = `${e.instancePath}|${formatAjvError(e)}`;
    if (depth(e) < max - 1 || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export class ArmSchemas {
  private readonly ajv: Ajv;
  private readonly schemasById = new Map<string, JsonSchema>();
  /** `type|apiVersion` (lower-case type) → where its schema is. */
  private readonly index = new Map<string, SchemaLocation>();
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(readonly dir: string) {
    this.ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, logger: false });
    const childDefinitions: { type: string; apiVersion: string; location: SchemaLocation }[] = [];
    for (const file of listJsonFiles(dir)) {
      const relative = path.relative(dir, file).split(path.sep).join("/");
      const raw = JSON.parse(readFileSync(file, "utf8")) as JsonSchema;
      const schema = repair(raw, relative) as JsonSchema;
      const id = `${SCHEMA_URL}${relative}`;
      schema.id = `${id}#`;
      if (relative.endsWith("deploymentTemplate.json") && isObject(schema.definitions)) {
        // Trap 1: `resource` refers to the unpublished autogeneratedResources.json.
        schema.definitions.resource = { type: "object" };
      }
      this.schemasById.set(id, schema);
      this.ajv.addSchema(schema, id);
      const namespace = path.basename(relative, ".json").replace(/^(Microsoft\.[A-Za-z]+)\..*$/, "$1");
      const apiFolder = relative.split("/")[0] ?? "";
      for (const group of DEFINITION_GROUPS) {
        const defs = schema[group];
        if (!isObject(defs)) continue;
        for (const [key, def] of Object.entries(defs)) {
          for (const type of enumOf(def, "type")) {
            for (const apiVersion of enumOf(def, "apiVersion")) {
              this.index.set(`${type.toLowerCase()}|${apiVersion}`, {
                ref: `${id}#/${group}/${key}`,
                target: "resource",
              });
            }
          }
        }
      }
      if (isObject(schema.definitions)) {
        for (const [key, def] of Object.entries(schema.definitions)) {
          const match = /^(.+)_childResource$/.exec(key);
          if (!match?.[1]) continue;
          const shortType = enumOf(def, "type")[0];
          if (!shortType) continue;
          const type = `${namespace}/${match[1].split("_").join("/")}`;
          for (const apiVersion of enumOf(def, "apiVersion")) {
            childDefinitions.push({
              type,
              apiVersion,
              location: { ref: `${id}#/definitions/${key}`, target: "resource", shortType },
            });
          }
        }
        for (const { type, file: fileName, definition } of PROPERTIES_ONLY) {
          if (isObject(schema.definitions[definition]) && relative.endsWith(`/${fileName}`)) {
            this.index.set(`${type}|${apiFolder}`, { ref: `${id}#/definitions/${definition}`, target: "properties" });
          }
        }
      }
    }
    // Child definitions only where no top-level definition exists (e.g. virtualMachines/extensions).
    for (const { type, apiVersion, location } of childDefinitions) {
      const key = `${type.toLowerCase()}|${apiVersion}`;
      if (!this.index.has(key)) this.index.set(key, location);
    }
  }

  /** Resource types and api-versions the folder has schemas for. */
  knownTypes(): string[] {
    return [...this.index.keys()].sort();
  }

  /**
   * Compiles a definition. A `$ref` into a file missing from the folder gets a stand-in that rejects every value:
   * compiling succeeds, and a resource that actually uses the missing part fails loudly instead of passing.
   */
  private validator(ref: string): ValidateFunction {
    const cached = this.compiled.get(ref);
    if (cached) return cached;
    for (let attempt = 0; ; attempt++) {
      try {
        const v = this.ajv.compile({ $ref: ref });
        this.compiled.set(ref, v);
        return v;
      } catch (err) {
        const missing = (err as { missingRef?: unknown }).missingRef;
        if (typeof missing !== "string" || attempt > 50) throw err;
        this.addMissingStandIn(missing);
      }
    }
  }

  private addMissingStandIn(missingRef: string): void {
    const [file = "", pointer = ""] = missingRef.split("#");
    const parts = pointer.split("/").filter(Boolean);
    const existing = this.schemasById.get(file);
    const doc: JsonSchema = existing ?? {
      id: `${file}#`,
      description: `not in ${this.dir}: stand-in that rejects every value`,
    };
    let node: Record<string, unknown> = doc;
    for (const [i, part] of parts.entries()) {
      const next = node[part];
      if (i === parts.length - 1)
        node[part] = { not: {}, description: `missing from the schemas folder: ${missingRef}` };
      else if (isObject(next)) node = next;
      else node = node[part] = {};
    }
    if (existing) this.ajv.removeSchema(file);
    this.schemasById.set(file, doc);
    this.ajv.addSchema(doc, file);
  }

  private resolveRef(ref: string, base: string): SchemaAt {
    const [file, pointer = ""] = ref.split("#");
    const fileId = file === "" ? base : file!.startsWith("http") ? file! : new URL(file!, base).toString();
    const doc = this.schemasById.get(fileId);
    let node: unknown = doc;
    for (const part of pointer.split("/").filter(Boolean))
      node = isObject(node) ? node[decodeURIComponent(part)] : undefined;
    return { schema: node, base: fileId };
  }

  /**
   * The object schemas a value may match (through $ref, oneOf, anyOf, allOf), ARM expression branches excluded.
   * Used by the unknown-key walk.
   */
  private objectBranches(
    schema: unknown,
    base: string,
    depth = 0,
  ): { schema: Record<string, unknown>; base: string }[] {
    if (!isObject(schema) || depth > 20) return [];
    if (typeof schema.$ref === "string") {
      if (schema.$ref.endsWith("#/definitions/expression")) return [];
      const target = this.resolveRef(schema.$ref, base);
      return this.objectBranches(target.schema, target.base, depth + 1);
    }
    const out: { schema: Record<string, unknown>; base: string }[] = [];
    if (schema.type === "object" || isObject(schema.properties) || schema.additionalProperties !== undefined)
      out.push({ schema, base });
    for (const key of ["oneOf", "anyOf", "allOf"]) {
      const list = schema[key];
      if (Array.isArray(list)) for (const part of list) out.push(...this.objectBranches(part, base, depth + 1));
    }
    return out;
  }

  private arrayItemSchemas(schema: unknown, base: string, depth = 0): SchemaAt[] {
    if (!isObject(schema) || depth > 20) return [];
    if (typeof schema.$ref === "string") {
      const target = this.resolveRef(schema.$ref, base);
      return this.arrayItemSchemas(target.schema, target.base, depth + 1);
    }
    const out: { schema: unknown; base: string }[] = [];
    if (schema.items !== undefined) out.push({ schema: schema.items, base });
    for (const key of ["oneOf", "anyOf", "allOf"]) {
      const list = schema[key];
      if (Array.isArray(list)) for (const part of list) out.push(...this.arrayItemSchemas(part, base, depth + 1));
    }
    return out;
  }

  /**
   * Keys no schema of `candidates` declares (trap 4: the schemas do not forbid unknown keys themselves). A value that
   * may match several schemas (oneOf/anyOf, a key declared by several branches) is checked against their union.
   */
  private unknownKeys(
    value: unknown,
    candidates: readonly SchemaAt[],
    pointer: string,
    out: SchemaProblem[],
    subject: string,
  ): void {
    if (Array.isArray(value)) {
      const items = candidates.flatMap((c) => this.arrayItemSchemas(c.schema, c.base));
      if (items.length > 0) value.forEach((item, i) => this.unknownKeys(item, items, `${pointer}/${i}`, out, subject));
      return;
    }
    if (!isObject(value)) return;
    const branches = candidates.flatMap((c) => this.objectBranches(c.schema, c.base));
    if (branches.length === 0) return;
    const declared = new Map<string, SchemaAt[]>();
    const maps: SchemaAt[] = [];
    let open = false;
    for (const b of branches) {
      const props = b.schema.properties;
      if (isObject(props))
        for (const [k, s] of Object.entries(props))
          declared.set(k, [...(declared.get(k) ?? []), { schema: s, base: b.base }]);
      const extra = b.schema.additionalProperties;
      if (isObject(extra)) maps.push({ schema: extra, base: b.base });
      if (extra === true || isObject(extra) || (!isObject(props) && extra === undefined)) open = true;
    }
    for (const [key, child] of Object.entries(value)) {
      const schemas = declared.get(key) ?? maps;
      if (schemas.length > 0) this.unknownKeys(child, schemas, `${pointer}/${key}`, out, subject);
      else if (!open)
        out.push({
          subject,
          path: `${pointer}/${key}`,
          message: `unknown property '${key}' (not declared by the schema)`,
        });
    }
  }

  /** Where the schema of a type + api-version is; undefined when the folder has none. */
  locate(type: string, apiVersion: string): SchemaLocation | undefined {
    return this.index.get(`${type.toLowerCase()}|${apiVersion}`);
  }

  validateResource(resource: ResourceToValidate): ResourceSchemaResult {
    const location = this.locate(resource.type, resource.apiVersion);
    if (!location) {
      const allowed = SCHEMA_ALLOWLIST.find((a) => a.type.toLowerCase() === resource.type.toLowerCase());
      return allowed ? { status: "allowed-without-schema", reason: allowed.reason } : { status: "no-schema" };
    }
    const subject = `${resource.id} (${resource.type}@${resource.apiVersion})`;
    const segments = resource.name.split("/");
    // Trap 2: child names are mostly validated as their last segment; a few schemas (blobServices) want the full name.
    const lastSegment = this.validateInstance(
      resource,
      location,
      segments[segments.length - 1] ?? resource.name,
      subject,
    );
    const problems =
      segments.length > 1 && lastSegment.some((p) => p.path === "/name")
        ? this.validateInstance(resource, location, resource.name, subject)
        : lastSegment;
    return problems.length === 0 ? { status: "valid" } : { status: "invalid", problems };
  }

  private validateInstance(
    resource: ResourceToValidate,
    location: SchemaLocation,
    name: string,
    subject: string,
  ): SchemaProblem[] {
    const instance: Record<string, unknown> = {
      type: location.shortType ?? resource.type,
      apiVersion: resource.apiVersion,
      name,
    };
    for (const key of ["location", "sku", "kind", "identity", "zones", "tags", "properties"] as const) {
      if (resource[key] !== undefined) instance[key] = materializeDeferred(resource[key]);
    }
    const target = location.target === "properties" ? instance.properties : instance;
    const problems: SchemaProblem[] = [];
    let validate: ValidateFunction;
    try {
      validate = this.validator(location.ref);
    } catch (err) {
      return [
        {
          subject,
          path: "/",
          message: `the schema cannot be compiled: ${err instanceof Error ? err.message : String(err)}`,
        },
      ];
    }
    if (!validate(target)) {
      for (const e of deepestErrors(validate.errors ?? []))
        problems.push({ subject, path: e.instancePath || "/", message: formatAjvError(e) });
    }
    const root = this.resolveRef(location.ref, location.ref.split("#")[0] ?? "");
    this.unknownKeys(target, [root], location.target === "properties" ? "/properties" : "", problems, subject);
    return problems;
  }

  /** Template envelope (deploymentTemplate.json, `resource` relaxed). */
  validateTemplate(template: unknown, subject: string): SchemaProblem[] {
    return this.validateDocument(`${SCHEMA_URL}2019-04-01/deploymentTemplate.json`, template, subject);
  }

  /** A parameter file as `az deployment … --parameters @file` takes it. */
  validateParametersFile(file: unknown, subject: string): SchemaProblem[] {
    return this.validateDocument(`${SCHEMA_URL}2019-04-01/deploymentParameters.json`, file, subject);
  }

  private validateDocument(id: string, doc: unknown, subject: string): SchemaProblem[] {
    if (!this.schemasById.has(id)) return [{ subject, path: "/", message: `schema ${id} is missing from ${this.dir}` }];
    const validate = this.validator(`${id}#`);
    if (validate(doc)) return [];
    return deepestErrors(validate.errors ?? []).map((e) => ({
      subject,
      path: e.instancePath || "/",
      message: formatAjvError(e),
    }));
  }
}

const cache = new Map<string, ArmSchemas>();

/** Loads (once per folder) the schemas of a folder laid out like schema.management.azure.com/schemas. */
export function loadArmSchemas(dir: string): ArmSchemas {
  const resolved = path.resolve(dir);
  if (!existsSync(path.join(resolved, "common", "definitions.json"))) {
    throw new Error(
      `${resolved} does not look like an ARM schemas folder (no common/definitions.json). ${SCHEMAS_HELP}`,
    );
  }
  let schemas = cache.get(resolved);
  if (!schemas) {
    schemas = new ArmSchemas(resolved);
    cache.set(resolved, schemas);
  }
  return schemas;
}

/** `az deployment … --parameters @file` form of plain parameter values. */
export function parametersFile(parameters: Record<string, unknown>): Record<string, unknown> {
  return {
    $schema: `${SCHEMA_URL}2019-04-01/deploymentParameters.json#`,
    contentVersion: "1.0.0.0",
    parameters: Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, { value: materializeDeferred(v) }])),
  };
}
