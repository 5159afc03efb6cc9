// Cold start of the Function App's code: time from the first require of the app until every function is registered,
// for the esbuild bundle (scripts/bundle.mjs) and for the same code compiled by tsc (dist/, many small modules
// resolved from node_modules), each in a fresh Node process, alternating, median of RUNS each.
//   app.cold_load_ratio: bundled (package main: the loader with V8's code cache) / unbundled (target ≤ 0.55)
//   app.cold_load_bundled_ms, app.cold_load_unbundled_ms: the medians
//   app.cold_load_ratio_without_code_cache: the bundle file alone (no code cache) / unbundled
// Both sides install local/registry's functions-core capture (compiled) before the clock starts; it loads
// @azure/functions first, which the unbundled app then finds cached and the bundle does not (its own copy is inside),
// so the ratio errs against the bundle.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { repoRoot } from "../../lib/config";
import { appFolders } from "../../local/registry";

const RUNS = 7;
const root = repoRoot();
const dist = path.join(root, "dist");

function compiledEntryFiles(): string[] {
  return appFolders(dist).flatMap((folder) => {
    const dir = path.join(dist, folder);
    return existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith(".js"))
          .sort()
          .map((f) => path.join(dir, f))
      : [];
  });
}

/** Loads `files` in a fresh process and returns the milliseconds until they were loaded and the function count. */
function timeLoad(files: string[]): { ms: number; functions: number } {
  const script = `
    const registry = require(${JSON.stringify(path.join(dist, "local/registry/index.js"))});
    registry.installFunctionsCore();
    const start = process.hrtime.bigint();
    for (const file of ${JSON.stringify(files)}) require(file);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    process.stdout.write(JSON.stringify({ ms, functions: registry.getRegistry().all().length }));`;
  const result = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", cwd: tmpdir() });
  if (result.status !== 0) throw new Error(`loading the app failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as { ms: number; functions: number };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

function main(): void {
  // The unbundled side is the regular build output; type errors elsewhere in the tree must not stop the figure.
  spawnSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], {
    cwd: root,
    stdio: "ignore",
  });
  const unbundled = compiledEntryFiles();
  if (unbundled.length === 0) throw new Error(`no compiled app under ${dist}: run npm run build`);
  const work = mkdtempSync(path.join(tmpdir(), "aks-platform-cold-load-"));
  try {
    const appDir = path.join(work, "app");
    execFileSync(process.execPath, [path.join(root, "scripts/bundle.mjs"), "--out", appDir], { cwd: root });
    const variants = {
      bundled: [path.join(appDir, "main.js")],
      noCache: [path.join(appDir, "app.js")],
      unbundled,
    };
    const times = { bundled: [] as number[], noCache: [] as number[], unbundled: [] as number[] };
    const counts = new Set<number>();
    for (let i = 0; i < RUNS; i++) {
      for (const key of ["bundled", "noCache", "unbundled"] as const) {
        const result = timeLoad(variants[key]);
        times[key].push(result.ms);
        counts.add(result.functions);
      }
    }
    if (counts.size !== 1)
      throw new Error(`the variants register different numbers of functions: ${[...counts].join(", ")}`);
    const b = median(times.bundled);
    const n = median(times.noCache);
    const u = median(times.unbundled);
    console.log(`app.cold_load_ratio: ${(b / u).toFixed(3)}`);
    console.log(`app.cold_load_bundled_ms: ${b.toFixed(1)}`);
    console.log(`app.cold_load_unbundled_ms: ${u.toFixed(1)}`);
    console.log(`app.cold_load_ratio_without_code_cache: ${(n / u).toFixed(3)}`);
    console.log(`app.cold_load_functions: ${[...counts][0]}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
