// Bundles the operations page (web/) into dist/web/ops-page.js and .css with esbuild: mermaid and everything else
// from node_modules, nothing loaded from a CDN. functions/opsPage.ts inlines both into the page it serves.
// Usage: node scripts/build-web.mjs [--outdir DIR]
import { build } from "esbuild";
import { copyFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const outIndex = args.indexOf("--outdir");
const outdir = outIndex >= 0 && args[outIndex + 1] ? path.resolve(args[outIndex + 1]) : path.join(root, "dist", "web");

const started = Date.now();
const result = await build({
  absWorkingDir: root,
  // web/main.ts imports web/ops.css, which esbuild writes next to the script as ops-page.css.
  entryPoints: { "ops-page": "web/main.ts" },
  outdir,
  bundle: true,
  minify: true,
  format: "iife",
  platform: "browser",
  target: ["chrome120", "firefox120", "safari17"],
  // One file per entry point: mermaid's lazily loaded diagrams are inlined rather than split into chunks.
  splitting: false,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
});
// The README travels with the page: the app serves its runbooks (the Operate section) at /api/runbooks.
copyFileSync(path.join(root, "README.md"), path.join(outdir, "README.md"));
const sizes = Object.entries(result.metafile.outputs).map(
  ([file, out]) => `${path.relative(root, file)} ${(out.bytes / 1024).toFixed(0)} KiB`,
);
process.stdout.write(`build-web: ${sizes.join(", ")} in ${Date.now() - started} ms\n`);
