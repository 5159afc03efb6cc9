import type { FunctionDef } from "../evaluator";
import { cidrFunctions } from "./cidr";
import { collectionFunctions } from "./collection";
import { dateFunctions } from "./date";
import { fn } from "./define";
import { deploymentFunctions } from "./deployment";
import { lambdaFunctions } from "./lambda";
import { logicalFunctions } from "./logical";
import { listFunction, resourceFunctions } from "./resource";
import { stringFunctions } from "./string";

const registry = new Map<string, FunctionDef>();
for (const def of [
  ...stringFunctions,
  ...collectionFunctions,
  ...dateFunctions,
  ...logicalFunctions,
  ...lambdaFunctions,
  ...deploymentFunctions,
  ...resourceFunctions,
  ...cidrFunctions,
]) {
  registry.set(def.name.toLowerCase(), def);
}

const list = fn("list", 2, 3, listFunction);

/**
 * Built-in function by name. Names are case-insensitive in ARM; any unknown `list*` name is a resource list action
 * (listKeys, listCredentials, ...). `if`, `and`, `or`, `coalesce` and `lambda` are evaluated lazily by the evaluator
 * itself.
 */
export function lookupFunction(name: string): FunctionDef | undefined {
  const lower = name.toLowerCase();
  return registry.get(lower) ?? (lower.startsWith("list") ? { ...list, name } : undefined);
}
