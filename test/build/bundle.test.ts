import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../lib/config";
import { startAzurite } from "../../local/azurite";
import type { ListedApp } from "./list-functions";

/**
 * `npm run build`'s bundling step (scripts/bundle.mjs) produces a deployable package: one CommonJS file with the
 * Azure SDK inside, host.json, templates/ and a package.json whose `main` is the bundle. The package is written
 * outside the repository, so loading it proves it needs no node_modules; it must register exactly the functions the
 * sources register (both loaded under local/registry's functions-core capture, each in its own process).
 */

const run = promisify(execFile);
const root = repoRoot();
let outDir: string;
/** The host storage of the app whose pages are fetched: `{env}` routes look the environment up in its registry. */
let storage: string | undefined;

/** Loads an app in a child process under the functions-core capture; what it registered (and answered), and warned. */
async function listFunctions(...args: string[]): Promise<ListedApp & { stderr: string }> {
  const { stdout, stderr } = await run(
    process.execPath,
    ["--import", "tsx", path.join(root, "test/build/list-functions.ts"), ...args],
    {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, ...(storage ? { AzureWebJobsStorage: storage } : {}) },
    },
  );
  return { ...(JSON.parse(stdout) as ListedApp), stderr };
}

beforeAll(async () => {
  outDir = path.join(mkdtempSync(path.join(tmpdir(), "aks-platform-bundle-")), "app");
  await run(process.execPath, [path.join(root, "scripts/bundle.mjs"), "--out", outDir], { cwd: root });
});

afterAll(() => {
  if (outDir) rmSync(path.dirname(outDir), { recursive: true, force: true });
});

describe("deployable bundle", () => {
  it("is a package whose main is the bundle, with host.json, the ARM templates and the operations page", () => {
    const manifest = JSON.parse(readFileSync(path.join(outDir, "package.json"), "utf8")) as Record<string, unknown>;
    const source = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as Record<string, unknown>;
    expect(manifest).toMatchObject({ name: source.name, main: "main.js", type: "commonjs", engines: source.engines });
    expect(readdirSync(outDir).sort()).toEqual(
      [
        "app.js",
        "app.js.LEGAL.txt",
        "app.js.cache",
        "app.js.map",
        "host.json",
        "main.js",
        "package.json",
        "templates",
        "web",
      ].sort(),
    );
    expect(manifest).not.toHaveProperty("dependencies");
    expect(readFileSync(path.join(outDir, "host.json"), "utf8")).toBe(
      readFileSync(path.join(root, "host.json"), "utf8"),
    );
    expect(readdirSync(path.join(outDir, "web")).sort()).toEqual(["README.md", "ops-page.css", "ops-page.js"]);
    expect(readdirSync(path.join(outDir, "templates", "arm")).sort()).toEqual(
      readdirSync(path.join(root, "templates", "arm")).sort(),
    );
  });

  it("requires only Node built-ins and the worker-provided @azure/functions-core", () => {
    const code = ["main.js", "app.js"].map((f) => readFileSync(path.join(outDir, f), "utf8")).join("\n");
    const builtins = new Set(builtinModules);
    const external = [...new Set([...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!))].filter(
      (id) => !id.startsWith("node:") && !builtins.has(id),
    );
    expect(external).toEqual(["@azure/functions-core"]);
  });

  it("ships a V8 code cache that the loader (main.js) uses without a rejection warning", async () => {
    expect((await listFunctions("--package", outDir)).stderr).not.toContain("AKS_PLATFORM_CODE_CACHE");
  });

  it("registers exactly the functions the sources register, with the same triggers", async () => {
    const [bundled, sources] = await Promise.all([listFunctions("--package", outDir), listFunctions("--sources")]);
    expect(sources.functions.length).toBeGreaterThan(20);
    expect(bundled.functions).toEqual(sources.functions);
  });

  it("serves the operations page from the package's web/ folder", async () => {
    const azurite = await startAzurite();
    storage = azurite.connectionString;
    let response;
    try {
      ({ response } = await listFunctions("--package", outDir, "--get", "opsPage", "/api/environments/k8s-demo/ops"));
    } finally {
      storage = undefined;
      await azurite.stop();
    }
    expect(response?.status).toBe(200);
    // It links the package's bundle by its content hash (served by opsAsset, cached immutable).
    const hash = createHash("sha256")
      .update(readFileSync(path.join(outDir, "web", "ops-page.js")))
      .digest("hex")
      .slice(0, 16);
    expect(response?.body).toContain(`ops-assets/ops-page.${hash}.js`);
  });

  it("serves the runbooks (the README's Operate section) from the package's web/ folder", async () => {
    const { response } = await listFunctions("--package", outDir, "--get", "runbooks", "/api/runbooks");
    expect(response?.status).toBe(200);
    expect(response?.body).toContain('<h3 id="ops-2-spot-eviction">OPS-2 Spot eviction</h3>');
  });

  it("still loads without the code cache, and says why it starts slower", async () => {
    const copy = path.join(path.dirname(outDir), "app-without-cache");
    cpSync(outDir, copy, { recursive: true });
    rmSync(path.join(copy, "app.js.cache"));
    const { functions, stderr } = await listFunctions("--package", copy);
    expect(stderr).toContain("AKS_PLATFORM_CODE_CACHE");
    expect(functions.length).toBeGreaterThan(20);
  });
});
