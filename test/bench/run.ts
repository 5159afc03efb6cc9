// `npm run bench`: runs every test/bench/*.bench.ts in its own process, one after another (so figures do not
// disturb each other), and passes through their `name: value` lines.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";

const dir = __dirname;
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

let failed = 0;
for (const file of files) {
  const result = spawnSync(process.execPath, ["--import", "tsx", path.join(dir, file)], { stdio: "inherit" });
  if (result.status !== 0) {
    failed++;
    console.error(`bench ${file} failed with exit code ${result.status}`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
