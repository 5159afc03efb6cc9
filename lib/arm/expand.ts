import { DeferredValue, isDeferred } from "./deferred";
import { ArmExpressionError, ArmTemplateError } from "./errors";
import type { Environment, ResolvedResource, UserFunction } from "./evaluator";
import { Evaluator, pathKey } from "./evaluator";
import {
  idKey,
  parseRelativeResource,
  providerPath,
  resourceGroupPrefix,
  resourceIdUnder,
  subscriptionPrefix,
} from "./ids";
import { checkCycles, uniqueIds } from "./graph";
import { validateParameter } from "./parameters";
import type { ArmTemplate } from "./template";
import { isSubscriptionTemplate, parseTemplate } from "./template";
import type { ArmRuntime, DeploymentScope, ExpandOptions, ExpandedDeployment, ExpandedResource } from "./types";
import { isObject, typeName } from "./values";
import type { JsonObject } from "./values";

/** State shared by the root template and the inline templates of nested deployments. */
interface Shared {
  templateName: string;
  runtime: ArmRuntime;
  /** Every resource id declared anywhere in this expansion (lower-cased key). */
  registry: Map<string, { id: string; omitted: boolean; path: string }>;
  /** Locations of resource groups created by this expansion, for nested deployments into them. */
  groupLocations: Map<string, unknown>;
}

/** One resource (one copy iteration) of a template. */
interface Instance {
  path: string;
  decl: JsonObject;
  evaluator: Evaluator;
  symbolicName: string | undefined;
  loopName: string | undefined;
  type: string;
  name: string;
  apiVersion: string;
  id: string;
  omitted: boolean;
  /** languageVersion 2.0 `existing: true`: a reference to a resource this template does not deploy. */
  existing: boolean;
  subscriptionId: string;
  resourceGroup: string | undefined;
  extensionScope: string | undefined;
  /** Implicit dependencies: the parent of a nested child, the previous batch of a serial copy loop. */
  extraDeps: Instance[];
  nested: TemplateExpansion | undefined;
  output: ExpandedResource | undefined;
}

type ParameterSource = { kind: "own"; values: Record<string, unknown> } | { kind: "outer"; outer: TemplateExpansion };

const DEPLOYMENTS = "microsoft.resources/deployments";
const RESOURCE_GROUPS = "microsoft.resources/resourcegroups";

function prefixed(base: string, path: string): string {
  if (!base) return path;
  return path.startsWith("[") ? `${base}${path}` : `${base}.${path}`;
}

/** Provider path of a resource, or undefined when its name does not fit its type (only for omitted resources). */
function safeProviderPath(type: string, name: string): string | undefined {
  try {
    return providerPath(type, [name]);
  } catch {
    return undefined;
  }
}

class TemplateExpansion {
  readonly env: Environment;
  private readonly evaluator: Evaluator;
  private readonly instances: Instance[] = [];
  private readonly index = {
    id: new Map<string, Instance[]>(),
    symbol: new Map<string, Instance[]>(),
    loop: new Map<string, Instance[]>(),
    typeName: new Map<string, Instance[]>(),
    name: new Map<string, Instance[]>(),
  };
  private readonly paramDefs = new Map<string, { name: string; def: JsonObject }>();
  private readonly paramValues = new Map<string, unknown>();
  private readonly paramStack: string[] = [];
  private readonly supplied = new Map<string, unknown>();
  private readonly variableDefs = new Map<string, { name: string; value: unknown; copy?: JsonObject; path: string }>();
  private readonly variableValues = new Map<string, unknown>();
  private readonly variableStack: string[] = [];
  private readonly functions = new Map<string, UserFunction>();
  private currentRefs: Set<string> | undefined;

  constructor(
    private readonly shared: Shared,
    private readonly template: ArmTemplate,
    private readonly basePath: string,
    private readonly target: DeploymentScope,
    /** resourceGroup().location: unknown offline when deploying into a group this expansion does not create. */
    groupLocation: unknown,
    private readonly params: ParameterSource,
    private readonly parentExpansion: TemplateExpansion | undefined,
  ) {
    const resolveResource = (t: string): ResolvedResource => this.resolveResource(t);
    const noteReference = (id: string): void => {
      this.currentRefs?.add(id);
    };
    if (params.kind === "outer") {
      this.env = { ...params.outer.env, resolveResource, noteReference };
    } else {
      this.env = {
        templateName: shared.templateName,
        scope: target,
        runtime: shared.runtime,
        contentVersion: template.contentVersion ?? "1.0.0.0",
        groupLocation,
        parameter: (name) => this.parameter(name),
        variable: (name) => this.variable(name),
        userFunction: (name) => this.functions.get(name),
        resolveResource,
        noteReference,
      };
    }
    this.evaluator = new Evaluator(this.env);
  }

  private path(p: string): string {
    return prefixed(this.basePath, p);
  }

  private error(path: string, reason: string, expression?: string): ArmTemplateError {
    return new ArmTemplateError(this.shared.templateName, path, expression, reason);
  }

  // ---- parameters, variables, functions -------------------------------------------------------------

  prepare(): void {
    for (const fnDef of this.template.functions ?? []) {
      for (const [member, def] of Object.entries(fnDef.members)) {
        const name = `${fnDef.namespace}.${member}`;
        this.functions.set(name.toLowerCase(), { name, parameters: def.parameters ?? [], output: def.output });
      }
    }
    if (this.params.kind === "outer") return;
    for (const [name, def] of Object.entries(this.template.parameters ?? {})) {
      this.paramDefs.set(name.toLowerCase(), { name, def });
    }
    for (const [name, value] of Object.entries(this.params.values)) {
      if (!this.paramDefs.has(name.toLowerCase())) {
        const declared = [...this.paramDefs.values()].map((p) => p.name).join(", ") || "none";
        throw this.error(
          this.path(pathKey("parameters", name)),
          `parameter '${name}' is supplied but not declared in the template (declared: ${declared})`,
        );
      }
      this.supplied.set(name.toLowerCase(), value);
    }
    for (const [name, value] of Object.entries(this.template.variables ?? {})) {
      if (name.toLowerCase() === "copy" && Array.isArray(value)) {
        value.forEach((spec, i) => {
          const path = this.path(`variables.copy[${i}]`);
          if (!isObject(spec) || typeof spec["name"] !== "string" || !("input" in spec)) {
            throw this.error(path, "a variable copy loop needs a name, a count and an input");
          }
          this.variableDefs.set(spec["name"].toLowerCase(), { name: spec["name"], value: undefined, copy: spec, path });
        });
      } else {
        this.variableDefs.set(name.toLowerCase(), { name, value, path: this.path(pathKey("variables", name)) });
      }
    }
    // ARM validates every parameter up front, used or not.
    for (const { name } of this.paramDefs.values()) this.parameter(name);
  }

  private parameter(name: string): unknown {
    const key = name.toLowerCase();
    if (this.paramValues.has(key)) return this.paramValues.get(key);
    const entry = this.paramDefs.get(key);
    if (!entry) {
      const declared = [...this.paramDefs.values()].map((p) => p.name).join(", ") || "none";
      throw new ArmExpressionError(`parameter '${name}' is not declared in the template (declared: ${declared})`);
    }
    if (this.paramStack.includes(key)) {
      throw new ArmExpressionError(
        `parameter default values refer to each other: ${[...this.paramStack, key].join(" -> ")}`,
      );
    }
    const path = this.path(pathKey("parameters", entry.name));
    let value: unknown;
    if (this.supplied.has(key)) {
      value = this.supplied.get(key);
    } else if ("defaultValue" in entry.def) {
      this.paramStack.push(key);
      try {
        const env: Environment = {
          ...this.env,
          variable: (v) => {
            throw new ArmExpressionError(`variables('${v}') cannot be used in a parameter default value`);
          },
        };
        value = new Evaluator(env).evaluateValue(entry.def["defaultValue"], `${path}.defaultValue`);
      } finally {
        this.paramStack.pop();
      }
    } else {
      throw this.error(path, `missing value for required parameter '${entry.name}' (it has no defaultValue)`);
    }
    const problem = validateParameter(entry.def, value);
    if (problem) throw this.error(path, `parameter '${entry.name}': ${problem}`);
    this.paramValues.set(key, value);
    return value;
  }

  private variable(name: string): unknown {
    const key = name.toLowerCase();
    if (this.variableValues.has(key)) return this.variableValues.get(key);
    const def = this.variableDefs.get(key);
    if (!def) {
      const declared = [...this.variableDefs.values()].map((v) => v.name).join(", ") || "none";
      throw new ArmExpressionError(`variable '${name}' is not declared in the template (declared: ${declared})`);
    }
    if (this.variableStack.includes(key)) {
      throw this.error(
        def.path,
        `variables refer to each other in a cycle: ${[...this.variableStack, key].join(" -> ")}`,
      );
    }
    this.variableStack.push(key);
    let value: unknown;
    try {
      if (def.copy) {
        const count = this.evaluator.evaluateCount(def.copy["count"], `${def.path}.count`);
        const items: unknown[] = [];
        for (let i = 0; i < count; i++) {
          items.push(
            this.evaluator
              .withLoop({ name: def.name, index: i, kind: "variable" })
              .evaluateValue(def.copy["input"], `${def.path}.input`),
          );
        }
        value = items;
      } else {
        value = this.evaluator.evaluateValue(def.value, def.path);
      }
    } finally {
      this.variableStack.pop();
    }
    this.variableValues.set(key, value);
    return value;
  }

  // ---- pass 1: resource instances, names and ids ------------------------------------------------------

  collect(): void {
    const resources = this.template.resources ?? [];
    const decls: [string | undefined, JsonObject, string][] = Array.isArray(resources)
      ? resources.map((r, i) => [undefined, r, this.path(`resources[${i}]`)])
      : Object.entries(resources).map(([sym, r]) => [sym, r, this.path(pathKey("resources", sym))]);
    this.collectDecls(decls, undefined, this.evaluator);
  }

  private collectDecls(
    decls: [string | undefined, JsonObject, string][],
    parent: Instance | undefined,
    evaluator: Evaluator,
  ): void {
    for (const [sym, decl, path] of decls) {
      const copy = decl["copy"];
      if (copy === undefined) {
        this.createInstance(decl, path, evaluator, parent, sym, undefined);
        continue;
      }
      if (!isObject(copy) || typeof copy["name"] !== "string") {
        throw this.error(`${path}.copy`, "copy must be an object with a name and a count");
      }
      const loopName = copy["name"];
      const count = evaluator.evaluateCount(copy["count"], `${path}.copy.count`);
      const created: Instance[] = [];
      for (let i = 0; i < count; i++) {
        const ev = evaluator.withLoop({ name: loopName, index: i, kind: "resource" });
        created.push(this.createInstance(decl, path, ev, parent, sym, loopName));
      }
      const mode = evaluator.evaluateValue(copy["mode"] ?? "parallel", `${path}.copy.mode`);
      if (typeof mode !== "string" || !/^(serial|parallel)$/i.test(mode)) {
        throw this.error(`${path}.copy.mode`, `copy mode must be 'serial' or 'parallel', got ${JSON.stringify(mode)}`);
      }
      if (mode.toLowerCase() === "serial") {
        const batch = evaluator.evaluateValue(copy["batchSize"] ?? 1, `${path}.copy.batchSize`);
        if (typeof batch !== "number" || !Number.isInteger(batch) || batch < 1) {
          throw this.error(
            `${path}.copy.batchSize`,
            `batchSize must be a positive Integer, got ${JSON.stringify(batch)}`,
          );
        }
        // Serial batches run one after another: every member of batch k waits for all of batch k-1.
        created.forEach((inst, i) => {
          const b = Math.floor(i / batch);
          if (b > 0) inst.extraDeps.push(...created.slice((b - 1) * batch, b * batch));
        });
      }
    }
  }

  private evalString(ev: Evaluator, decl: JsonObject, field: string, path: string, allowDeferred: boolean): string {
    const fieldPath = `${path}.${field}`;
    if (!(field in decl)) throw this.error(fieldPath, `resource ${field} is required`);
    const value = ev.evaluateValue(decl[field], fieldPath);
    if (isDeferred(value)) {
      if (allowDeferred) return value.expression;
      throw this.error(fieldPath, `${field} must be known before deployment, but ${value.reason}`, value.expression);
    }
    if (typeof value !== "string") {
      throw this.error(
        fieldPath,
        `${field} must be a String, got ${typeName(value)}`,
        typeof decl[field] === "string" ? decl[field] : undefined,
      );
    }
    return value;
  }

  private createInstance(
    decl: JsonObject,
    path: string,
    ev: Evaluator,
    parent: Instance | undefined,
    symbolicName: string | undefined,
    loopName: string | undefined,
  ): Instance {
    let omitted = parent?.omitted ?? false;
    if ("condition" in decl && !omitted) {
      const cond = ev.evaluateValue(decl["condition"], `${path}.condition`);
      if (isDeferred(cond)) {
        throw this.error(
          `${path}.condition`,
          `condition must be known before deployment, but ${cond.reason}`,
          cond.expression,
        );
      }
      if (typeof cond !== "boolean")
        throw this.error(`${path}.condition`, `condition must be a Boolean, got ${typeName(cond)}`);
      omitted = !cond;
    }
    const existing = decl["existing"] === true;
    let type = this.evalString(ev, decl, "type", path, false);
    let name = this.evalString(ev, decl, "name", path, omitted);
    const apiVersion = this.evalString(ev, decl, "apiVersion", path, omitted);

    if (parent) {
      if (!type.includes("/")) {
        type = `${parent.type}/${type}`;
        name = `${parent.name}/${name}`;
      } else if (name.split("/").length < type.split("/").length - 1) {
        name = `${parent.name}/${name}`;
      }
    }

    const subscriptionId =
      "subscriptionId" in decl ? this.evalString(ev, decl, "subscriptionId", path, false) : this.target.subscriptionId;
    const resourceGroup =
      "resourceGroup" in decl
        ? this.evalString(ev, decl, "resourceGroup", path, false)
        : this.target.kind === "resourceGroup"
          ? this.target.resourceGroup
          : undefined;
    const prefix = resourceGroup
      ? resourceGroupPrefix(subscriptionId, resourceGroup)
      : subscriptionPrefix(subscriptionId);

    let id: string;
    let extensionScope: string | undefined;
    try {
      const typeParts = type.split("/");
      const providersAt = typeParts.findIndex((t, i) => i >= 2 && t.toLowerCase() === "providers");
      if ("scope" in decl) {
        extensionScope = this.resolveScope(this.evalString(ev, decl, "scope", path, false), prefix, `${path}.scope`);
        id = `${extensionScope}/providers/${providerPath(type, [name])}`;
      } else if (providersAt > 0) {
        // Older extension syntax: type 'Ns/parentType/providers/extType', name 'parent/ExtNs/extName'.
        const baseType = typeParts.slice(0, providersAt).join("/");
        const baseDepth = providersAt - 1;
        const nameParts = name.split("/");
        if (nameParts.length < baseDepth + 2) {
          throw new ArmExpressionError(
            `extension resource name '${name}' must be '<${baseType} name>/<extension namespace>/<name>'`,
          );
        }
        extensionScope = resourceIdUnder(prefix, baseType, nameParts.slice(0, baseDepth));
        type = [nameParts[baseDepth] as string, ...typeParts.slice(providersAt + 1)].join("/");
        name = nameParts.slice(baseDepth + 1).join("/");
        id = `${extensionScope}/providers/${providerPath(type, [name])}`;
      } else {
        id = resourceIdUnder(prefix, type, [name]);
      }
    } catch (err) {
      if (!(err instanceof ArmExpressionError)) throw err;
      // A resource that is not deployed may carry a name known only at deployment time; it only needs a key here.
      if (!omitted) throw this.error(`${path}.name`, err.message);
      id = `${prefix}/providers/${type}/${name}`;
    }

    const inst: Instance = {
      path,
      decl,
      evaluator: ev,
      symbolicName,
      loopName,
      type,
      name,
      apiVersion,
      id,
      omitted,
      existing,
      subscriptionId,
      resourceGroup,
      extensionScope,
      extraDeps: parent ? [parent] : [],
      nested: undefined,
      output: undefined,
    };
    this.register(inst);

    if (!omitted && type.toLowerCase() === RESOURCE_GROUPS && "location" in decl) {
      this.shared.groupLocations.set(idKey(id), ev.evaluateValue(decl["location"], `${path}.location`));
    }

    const children = decl["resources"];
    if (children !== undefined) {
      if (!Array.isArray(children) || !children.every((c) => isObject(c))) {
        throw this.error(`${path}.resources`, "child resources must be an array of objects");
      }
      this.collectDecls(
        children.map((c, i) => [undefined, c, `${path}.resources[${i}]`]),
        inst,
        ev,
      );
    }
    return inst;
  }

  private resolveScope(scope: string, prefix: string, path: string): string {
    if (scope.startsWith("/")) return scope.replace(/\/+$/, "");
    const relative = parseRelativeResource(scope);
    if (relative) return resourceIdUnder(prefix, relative.type, relative.names);
    const bySymbol = this.index.symbol.get(scope.toLowerCase());
    if (bySymbol?.length === 1) return (bySymbol[0] as Instance).id;
    throw this.error(path, `scope '${scope}' is neither a resource id nor 'Namespace/type/name'`);
  }

  private register(inst: Instance): void {
    const add = (map: Map<string, Instance[]>, key: string | undefined): void => {
      if (key === undefined) return;
      const k = key.toLowerCase();
      const list = map.get(k);
      if (list) list.push(inst);
      else map.set(k, [inst]);
    };
    const key = idKey(inst.id);
    const twin = this.index.id.get(key)?.find((other) => !other.omitted && !other.existing);
    if (twin && !inst.omitted && !inst.existing) {
      throw this.error(inst.path, `resource '${inst.id}' is declared twice (also at ${twin.path})`);
    }
    add(this.index.id, key);
    add(this.index.symbol, inst.symbolicName);
    add(this.index.loop, inst.loopName);
    add(this.index.typeName, `${inst.type}/${inst.name}`);
    add(this.index.typeName, safeProviderPath(inst.type, inst.name));
    add(this.index.name, inst.name);
    this.instances.push(inst);
    if (inst.existing) return;
    // A nested deployment may deploy a resource the parent also declares; the first deployed declaration wins here.
    const prev = this.shared.registry.get(key);
    if (!prev || prev.omitted) this.shared.registry.set(key, { id: inst.id, omitted: inst.omitted, path: inst.path });
  }

  /** reference()/list*() target: a resource id, or a name / `type/name` / symbolic name of this template. */
  resolveResource(target: string): ResolvedResource {
    if (target.startsWith("/")) {
      const hit = this.shared.registry.get(idKey(target));
      return { id: hit?.id ?? target, inTemplate: hit !== undefined, omitted: hit?.omitted ?? false };
    }
    const found = this.lookupLocal(target);
    if (found) {
      if (found.length > 1) {
        throw new ArmExpressionError(`'${target}' matches ${found.length} resources; use resourceId(...) to pick one`);
      }
      const inst = found[0] as Instance;
      return inst.existing
        ? { id: inst.id, inTemplate: false, omitted: false }
        : { id: inst.id, inTemplate: true, omitted: inst.omitted };
    }
    if (this.parentExpansion) return this.parentExpansion.resolveResource(target);
    throw new ArmExpressionError(`'${target}' is neither a resource id nor a resource declared in this template`);
  }

  private lookupLocal(target: string): Instance[] | undefined {
    const key = target.toLowerCase();
    return this.index.symbol.get(key) ?? this.index.typeName.get(key) ?? this.index.name.get(key);
  }

  private resolveDependency(entry: string, path: string): Instance[] {
    const key = entry.startsWith("/") ? idKey(entry) : entry.toLowerCase();
    const found = entry.startsWith("/")
      ? this.index.id.get(key)
      : (this.index.symbol.get(key) ??
        this.index.loop.get(key) ??
        this.index.typeName.get(key) ??
        this.index.name.get(key));
    if (!found) {
      throw this.error(
        path,
        `dependsOn '${entry}' does not match any resource, copy loop or symbolic name in this template`,
      );
    }
    const types = new Set(found.map((i) => i.type.toLowerCase()));
    if (!entry.startsWith("/") && !this.index.loop.has(key) && types.size > 1) {
      throw this.error(path, `dependsOn '${entry}' is ambiguous: it names resources of types ${[...types].join(", ")}`);
    }
    return found;
  }

  // ---- nested deployments ------------------------------------------------------------------------------

  expandNested(): void {
    for (const inst of this.instances) {
      if (inst.omitted || inst.existing || inst.type.toLowerCase() !== DEPLOYMENTS) continue;
      const props = inst.decl["properties"];
      if (!isObject(props) || !isObject(props["template"])) continue;
      const propsPath = `${inst.path}.properties`;
      const options = props["expressionEvaluationOptions"];
      const scopeMode = isObject(options)
        ? inst.evaluator.evaluateValue(options["scope"], `${propsPath}.expressionEvaluationOptions.scope`)
        : "outer";
      const inner = typeof scopeMode === "string" && scopeMode.toLowerCase() === "inner";
      const targetScope: DeploymentScope = {
        kind: inst.resourceGroup ? "resourceGroup" : "subscription",
        subscriptionId: inst.subscriptionId,
        tenantId: this.target.tenantId,
        ...(inst.resourceGroup ? { resourceGroup: inst.resourceGroup } : {}),
        location: this.nestedLocation(inst),
        deploymentName: inst.name,
      };
      const groupLocation = inst.resourceGroup
        ? this.groupLocation(inst.subscriptionId, inst.resourceGroup)
        : undefined;
      const template = parseTemplate(props["template"], this.shared.templateName, `${propsPath}.template`);
      const expansion = new TemplateExpansion(
        this.shared,
        template,
        `${propsPath}.template`,
        targetScope,
        groupLocation,
        inner ? { kind: "own", values: this.nestedParameters(inst, props, propsPath) } : { kind: "outer", outer: this },
        this,
      );
      expansion.run();
      inst.nested = expansion;
    }
  }

  private nestedLocation(inst: Instance): string {
    if ("location" in inst.decl) {
      const loc = inst.evaluator.evaluateValue(inst.decl["location"], `${inst.path}.location`);
      if (typeof loc === "string") return loc;
    }
    return this.target.location;
  }

  private groupLocation(subscriptionId: string, group: string): unknown {
    if (
      this.target.kind === "resourceGroup" &&
      this.target.resourceGroup?.toLowerCase() === group.toLowerCase() &&
      this.target.subscriptionId.toLowerCase() === subscriptionId.toLowerCase()
    ) {
      return this.env.groupLocation;
    }
    const created = this.shared.groupLocations.get(idKey(resourceGroupPrefix(subscriptionId, group)));
    if (created !== undefined) return created;
    return new DeferredValue(
      "[resourceGroup().location]",
      `the location of resource group '${group}' is only known in Azure`,
    );
  }

  private nestedParameters(inst: Instance, props: JsonObject, propsPath: string): Record<string, unknown> {
    const raw = props["parameters"];
    if (raw === undefined) return {};
    const evaluated = inst.evaluator.evaluateValue(raw, `${propsPath}.parameters`);
    if (!isObject(evaluated))
      throw this.error(`${propsPath}.parameters`, "nested deployment parameters must be an object");
    const values: Record<string, unknown> = {};
    for (const [name, entry] of Object.entries(evaluated)) {
      if (isObject(entry) && "value" in entry) values[name] = entry["value"];
      else if (isObject(entry) && isObject(entry["reference"])) {
        values[name] = new DeferredValue(
          `[keyVaultReference(${JSON.stringify(entry["reference"])})]`,
          "Key Vault secret references are resolved by ARM at deployment time",
        );
      } else {
        throw this.error(
          pathKey(`${propsPath}.parameters`, name),
          "a parameter entry needs a 'value' or a Key Vault 'reference'",
        );
      }
    }
    return values;
  }

  // ---- pass 2: properties and dependencies -------------------------------------------------------------

  resolve(): void {
    for (const inst of this.instances) {
      if (inst.omitted || inst.existing) continue;
      this.currentRefs = new Set();
      const { decl, path, evaluator: ev } = inst;
      // Keys in the order ARM shows them, optional ones only when the template sets them.
      const out = { id: inst.id, type: inst.type, apiVersion: inst.apiVersion, name: inst.name } as ExpandedResource;
      if (inst.resourceGroup) out.resourceGroup = inst.resourceGroup;
      for (const field of ["location", "sku", "kind", "identity", "zones", "tags"] as const) {
        if (field in decl) out[field] = ev.evaluateValue(decl[field], `${path}.${field}`);
      }
      const props = decl["properties"];
      if (inst.nested && isObject(props)) {
        // The inline template is expanded separately (its resources follow this one); keep it as written.
        const evaluated: JsonObject = {};
        for (const [k, v] of Object.entries(props)) {
          evaluated[k] = k === "template" ? v : ev.evaluateValue(v, pathKey(`${path}.properties`, k));
        }
        out.properties = evaluated;
      } else {
        out.properties = props === undefined ? {} : ev.evaluateValue(props, `${path}.properties`);
      }
      out.dependsOn = [];
      if (inst.extensionScope) out.scope = inst.extensionScope;

      const deps: string[] = [];
      const rawDeps = decl["dependsOn"];
      if (rawDeps !== undefined) {
        const list = ev.evaluateValue(rawDeps, `${path}.dependsOn`);
        if (!Array.isArray(list))
          throw this.error(`${path}.dependsOn`, `dependsOn must be an Array, got ${typeName(list)}`);
        list.forEach((entry, i) => {
          const entryPath = `${path}.dependsOn[${i}]`;
          if (isDeferred(entry)) {
            throw this.error(
              entryPath,
              `dependsOn must be known before deployment, but ${entry.reason}`,
              entry.expression,
            );
          }
          if (typeof entry !== "string")
            throw this.error(entryPath, `dependsOn entries must be Strings, got ${typeName(entry)}`);
          for (const dep of this.resolveDependency(entry, entryPath)) {
            if (!dep.omitted && !dep.existing) deps.push(dep.id);
          }
        });
      }
      for (const dep of inst.extraDeps) if (!dep.omitted && !dep.existing) deps.push(dep.id);
      for (const ref of this.currentRefs) deps.push(ref);
      out.dependsOn = uniqueIds(deps, inst.id);
      inst.output = out;
    }
    this.currentRefs = undefined;

    for (const inst of this.instances) {
      if (!inst.nested || !inst.output) continue;
      const inner = inst.nested.resources();
      const outer = inst.output;
      for (const r of inner) r.dependsOn = uniqueIds([...r.dependsOn, ...outer.dependsOn], r.id);
      // A deployment finishes when everything in it has: dependants of the deployment wait for its contents.
      outer.dependsOn = uniqueIds([...outer.dependsOn, ...inner.map((r) => r.id)], outer.id);
    }
  }

  run(): void {
    this.prepare();
    this.collect();
    this.expandNested();
    this.resolve();
  }

  /** Expanded resources in template order, each nested deployment followed by its contents. */
  resources(): ExpandedResource[] {
    const out: ExpandedResource[] = [];
    for (const inst of this.instances) {
      if (!inst.output) continue;
      out.push(inst.output);
      if (inst.nested) out.push(...inst.nested.resources());
    }
    return out;
  }

  outputs(): ExpandedDeployment["outputs"] {
    const result: ExpandedDeployment["outputs"] = {};
    for (const [name, def] of Object.entries(this.template.outputs ?? {})) {
      const path = this.path(pathKey("outputs", name));
      if ("condition" in def) {
        const cond = this.evaluator.evaluateValue(def["condition"], `${path}.condition`);
        if (isDeferred(cond)) {
          throw this.error(
            `${path}.condition`,
            `condition must be known before deployment, but ${cond.reason}`,
            cond.expression,
          );
        }
        if (typeof cond !== "boolean")
          throw this.error(`${path}.condition`, `condition must be a Boolean, got ${typeName(cond)}`);
        if (!cond) continue;
      }
      const type = def["type"];
      if (typeof type !== "string") throw this.error(`${path}.type`, "output type is required");
      const copy = def["copy"];
      if (copy !== undefined) {
        if (!isObject(copy) || !("input" in copy))
          throw this.error(`${path}.copy`, "output copy needs a count and an input");
        const count = this.evaluator.evaluateCount(copy["count"], `${path}.copy.count`);
        const items: unknown[] = [];
        for (let i = 0; i < count; i++) {
          items.push(
            this.evaluator
              .withLoop({ name: undefined, index: i, kind: "output" })
              .evaluateValue(copy["input"], `${path}.copy.input`),
          );
        }
        result[name] = { type, value: items };
      } else {
        result[name] = { type, value: this.evaluator.evaluateValue(def["value"], `${path}.value`) };
      }
    }
    return result;
  }

  pathOf(id: string): string {
    return this.shared.registry.get(idKey(id))?.path ?? "resources";
  }
}

/**
 * Expands an ARM JSON template offline: parameters validated, variables and copy loops evaluated, conditions
 * applied, child and nested-deployment resources flattened, dependsOn resolved to resource ids. Values only Azure
 * knows stay DeferredValue markers unless `runtime` supplies them.
 */
export function expandTemplate(template: unknown, options: ExpandOptions): ExpandedDeployment {
  const templateName = options.templateName ?? "template";
  const parsed = parseTemplate(template, templateName, "");
  const { scope } = options;
  if (scope.kind === "resourceGroup" && !scope.resourceGroup) {
    throw new ArmTemplateError(
      templateName,
      "",
      undefined,
      "a resource-group scope deployment needs scope.resourceGroup",
    );
  }
  if (scope.kind === "resourceGroup" && isSubscriptionTemplate(template)) {
    throw new ArmTemplateError(
      templateName,
      "$schema",
      undefined,
      "this is a subscription deployment template; deploy it at subscription scope",
    );
  }
  const shared: Shared = {
    templateName,
    runtime: options.runtime ?? {},
    registry: new Map(),
    groupLocations: new Map(),
  };
  const root = new TemplateExpansion(
    shared,
    parsed,
    "",
    scope,
    scope.kind === "resourceGroup" ? scope.location : undefined,
    { kind: "own", values: options.parameters ?? {} },
    undefined,
  );
  root.run();
  const resources = root.resources();
  checkCycles(resources, templateName, (id) => root.pathOf(id));
  return { resources, outputs: root.outputs() };
}
