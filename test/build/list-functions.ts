// Child-process helper for the build tests and CI: loads an app (the bundle's package `main`, or the sources) under
// local/registry's functions-core capture and prints its registered functions as JSON; with `--get NAME PATH` it also
// calls that HTTP function once, as the host would for `GET PATH`. A separate process because one process can
// register each function name only once.
//   node --import tsx test/build/list-functions.ts (--package DIR | --sources) [--get NAME PATH]
import { readFileSync } from "node:fs";
import path from "node:path";
import { HttpRequest, type HttpResponseInit } from "@azure/functions";
import { createInvocationContext, getRegistry, installFunctionsCore, loadApp } from "../../local/registry";

/** What a registration looks like from outside: enough to tell two builds of the app apart. */
export interface ListedFunction {
  name: string;
  triggerType: string;
  trigger: Record<string, unknown>;
}

export interface ListedApp {
  functions: ListedFunction[];
  /** The `--get` call's response (body as text). */
  response?: { status: number; body: string };
}

/** Route parameters of `route` (`environments/{env}/ops`) taken from `urlPath` (`/api/environments/x/ops`). */
function routeParams(route: string, urlPath: string): Record<string, string> {
  const names: string[] = [];
  const pattern = route.replace(/\{(\w+)\}/g, (_m, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  const match = new RegExp(`^/api/${pattern}$`).exec(urlPath);
  if (!match) throw new Error(`${urlPath} does not match the route ${route}`);
  return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)]));
}

async function get(name: string, urlPath: string): Promise<{ status: number; body: string }> {
  const fn = getRegistry().get(name, "httpTrigger");
  const route = typeof fn.trigger.route === "string" ? fn.trigger.route : name;
  const request = new HttpRequest({
    method: "GET",
    url: `http://localhost:7071${urlPath}`,
    params: routeParams(route, urlPath),
  });
  const response = (await fn.handler(request, createInvocationContext(fn))) as HttpResponseInit;
  const body = typeof response.body === "string" ? response.body : JSON.stringify(response.jsonBody ?? null);
  return { status: response.status ?? 200, body };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const [mode, target] = args;
  installFunctionsCore();
  if (mode === "--package" && target) {
    // Same lookup the Functions host does: the package's `main`, relative to the package folder.
    const manifest = JSON.parse(readFileSync(path.join(target, "package.json"), "utf8")) as { main?: unknown };
    if (typeof manifest.main !== "string") throw new Error(`${target}/package.json has no main`);
    await import(path.resolve(target, manifest.main));
  } else if (mode === "--sources") {
    await loadApp();
  } else {
    throw new Error("usage: list-functions.ts (--package DIR | --sources) [--get NAME PATH]");
  }
  const functions: ListedFunction[] = getRegistry()
    .all()
    .map((f) => {
      const { name: _name, ...trigger } = f.trigger;
      return { name: f.name, triggerType: f.triggerType, trigger };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  const at = args.indexOf("--get");
  const listed: ListedApp =
    at >= 0 ? { functions, response: await get(args[at + 1] ?? "", args[at + 2] ?? "") } : { functions };
  process.stdout.write(JSON.stringify(listed));
}

void main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
