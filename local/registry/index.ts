// Captures every app.* / df.app.* registration the way the Functions host sees it. @azure/functions hands each
// registration to `require("@azure/functions-core").registerFunction(metadata, handler)`; outside the worker that
// module does not exist, so we provide it ourselves (before the first registration) and keep what it receives.
import { randomUUID } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import Module from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { format } from "node:util";
import { InvocationContext, type LogLevel } from "@azure/functions";

/** One binding as the host sees it (`function.json` shape): name, type, direction and the binding's options. */
export interface BindingMetadata {
  name: string;
  type: string;
  direction: "in" | "out";
  [option: string]: unknown;
}

export type FunctionHandler = (trigger: unknown, context: unknown) => unknown;

/** A registered function: its name, bindings keyed by name, trigger binding and the exact handler the host calls. */
export interface RegisteredFunction {
  name: string;
  triggerType: string;
  trigger: BindingMetadata;
  bindings: Record<string, BindingMetadata>;
  /** Non-trigger input bindings (e.g. the `durableClient` input of df.app.client.*). */
  extraInputs: BindingMetadata[];
  extraOutputs: BindingMetadata[];
  returnBinding: BindingMetadata | undefined;
  handler: FunctionHandler;
}

export interface FunctionRegistry {
  all(): RegisteredFunction[];
  find(name: string): RegisteredFunction | undefined;
  /** The function named `name`; `expectedTrigger` (e.g. "activityTrigger") guards against using the wrong kind. */
  get(name: string, expectedTrigger?: string): RegisteredFunction;
  byTrigger(triggerType: string): RegisteredFunction[];
}

export class FunctionRegistryError extends Error {
  override readonly name = "FunctionRegistryError";
}

interface RegistryState {
  functions: Map<string, RegisteredFunction>;
  loadedRoots: Set<string>;
}

// Kept on globalThis so that every copy of this module (vitest's module graph, native require, tsx) and every
// copy of @azure/functions in the process share one registry.
const STATE_KEY = Symbol.for("aks-platform.local.function-registry");
const CORE_MODULE = "@azure/functions-core";

function state(): RegistryState {
  const holder = globalThis as unknown as Record<symbol, RegistryState | undefined>;
  holder[STATE_KEY] ??= { functions: new Map(), loadedRoots: new Set() };
  return holder[STATE_KEY];
}

interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, Omit<BindingMetadata, "name">>;
}

function registerFunction(metadata: CoreFunctionMetadata, handler: FunctionHandler): { dispose(): void } {
  const { functions } = state();
  if (functions.has(metadata.name)) {
    throw new FunctionRegistryError(
      `function "${metadata.name}" is registered twice; function names must be unique (see lib/function-names.ts)`,
    );
  }
  const bindings: Record<string, BindingMetadata> = {};
  for (const [name, binding] of Object.entries(metadata.bindings))
    bindings[name] = { ...binding, name } as BindingMetadata;
  const all = Object.values(bindings);
  const trigger = all.find((b) => b.direction === "in" && /trigger$/i.test(b.type));
  if (!trigger) throw new FunctionRegistryError(`function "${metadata.name}" has no trigger binding`);
  functions.set(metadata.name, {
    name: metadata.name,
    triggerType: trigger.type,
    trigger,
    bindings,
    extraInputs: all.filter((b) => b !== trigger && b.direction === "in"),
    extraOutputs: all.filter((b) => b.direction === "out" && b.name !== "$return"),
    returnBinding: bindings.$return,
    handler,
  });
  return { dispose: () => functions.delete(metadata.name) };
}

const coreApi = {
  // The programming model object only matters to the real worker's gRPC loop.
  setProgrammingModel(): void {},
  registerFunction,
  registerHook(hookName: string): never {
    throw new FunctionRegistryError(`app.hook.${hookName} is not supported by the local host`);
  },
  log(level: string, _category: string, message: string): void {
    if (level === "error" || level === "critical" || level === "warning") process.stderr.write(`${message}\n`);
  },
};

/**
 * Makes `require("@azure/functions-core")` return our capturing core API. Idempotent; must run before the first
 * `app.*` call (vitest `setupFiles`, the local host and the CLI call it first).
 */
export function installFunctionsCore(): void {
  const holder = globalThis as unknown as Record<symbol, boolean | undefined>;
  const installed = Symbol.for("aks-platform.local.functions-core-installed");
  if (holder[installed]) return;
  holder[installed] = true;
  const fakePath = path.join(__dirname, "__azure-functions-core__.js");
  const mod = new Module(fakePath);
  mod.filename = fakePath;
  mod.loaded = true;
  mod.exports = coreApi;
  const internals = Module as unknown as {
    _cache: Record<string, Module>;
    _resolveFilename: (request: string, ...rest: unknown[]) => string;
  };
  internals._cache[fakePath] = mod;
  const resolve = internals._resolveFilename;
  internals._resolveFilename = function (request: string, ...rest: unknown[]): string {
    return request === CORE_MODULE ? fakePath : resolve.call(this, request, ...rest);
  };
}

function lookup(name: string, expectedTrigger?: string): RegisteredFunction {
  const fn = state().functions.get(name);
  if (!fn) {
    const known = [...state().functions.keys()].sort().join(", ") || "none";
    throw new FunctionRegistryError(`no function named "${name}" is registered (registered: ${known})`);
  }
  if (expectedTrigger !== undefined && fn.triggerType.toLowerCase() !== expectedTrigger.toLowerCase()) {
    throw new FunctionRegistryError(`function "${name}" has trigger ${fn.triggerType}, expected ${expectedTrigger}`);
  }
  return fn;
}

const registry: FunctionRegistry = {
  all: () => [...state().functions.values()],
  find: (name) => state().functions.get(name),
  get: lookup,
  byTrigger: (type) =>
    [...state().functions.values()].filter((f) => f.triggerType.toLowerCase() === type.toLowerCase()),
};

export function getRegistry(): FunctionRegistry {
  return registry;
}

/**
 * The folders whose top-level files make up the app, as package.json `main` lists them: functions/, then each
 * feature room of orchestrations/ (build, reactions, backup, …) and its activities/.
 */
export function appFolders(root: string): string[] {
  let features: string[];
  try {
    features = readdirSync(path.join(root, "orchestrations"), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch {
    features = [];
  }
  return [
    "functions",
    ...features.flatMap((feature) => [`orchestrations/${feature}`, `orchestrations/${feature}/activities`]),
  ];
}

export interface LoadAppOptions {
  /** Folder holding functions/, orchestrations/ (the repo root for sources, dist/ for compiled output). */
  root?: string;
}

/** Where the app lives next to this module: sources when running from .ts (tsx, vitest), dist/ when compiled. */
function defaultRoot(): string {
  return path.resolve(__dirname, "../..");
}

function appFiles(root: string): string[] {
  const source = __filename.endsWith(".ts");
  const files: string[] = [];
  for (const folder of appFolders(root)) {
    const dir = path.join(root, folder);
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const entry of entries) {
      const file = path.join(dir, entry);
      const wanted = source ? entry.endsWith(".ts") && !entry.endsWith(".d.ts") : entry.endsWith(".js");
      if (wanted && statSync(file).isFile()) files.push(file);
    }
  }
  return files;
}

/**
 * Loads every file of functions/, orchestrations/<feature>/ and orchestrations/<feature>/activities/ once, so that each registers
 * its functions exactly once, and returns the registry.
 */
export async function loadApp(options: LoadAppOptions = {}): Promise<FunctionRegistry> {
  installFunctionsCore();
  const root = path.resolve(options.root ?? defaultRoot());
  const { loadedRoots } = state();
  if (loadedRoots.has(root)) return registry;
  loadedRoots.add(root);
  for (const file of appFiles(root)) {
    try {
      await import(pathToFileURL(file).href);
    } catch (err) {
      throw new FunctionRegistryError(
        `loading ${path.relative(root, file)} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  return registry;
}

/** Receives `context.log/info/warn/error` output of invoked functions. */
export type FunctionLogger = (level: LogLevel, functionName: string, message: string) => void;

/** Warnings and errors to stderr; the rest is dropped (pass your own logger to see it). */
export const stderrLogger: FunctionLogger = (level, functionName, message) => {
  if (level === "warning" || level === "error" || level === "critical") {
    process.stderr.write(`[${functionName}] ${message}\n`);
  }
};

/** The InvocationContext the host would build for one invocation of `fn` (bindings, extra inputs, logging). */
export function createInvocationContext(fn: RegisteredFunction, log: FunctionLogger = stderrLogger): InvocationContext {
  return new InvocationContext({
    invocationId: randomUUID(),
    functionName: fn.name,
    logHandler: (level, ...args) => log(level, fn.name, format(...args)),
    options: {
      trigger: fn.trigger,
      extraInputs: fn.extraInputs,
      extraOutputs: fn.extraOutputs,
      ...(fn.returnBinding ? { return: fn.returnBinding } : {}),
    },
  });
}
