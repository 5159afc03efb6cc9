#!/usr/bin/env node
// Entry point of the CLI: runs the compiled TypeScript (npm ci builds it through the `prepare` script).
"use strict";
require("../dist/local/cli/main.js").main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err instanceof Error ? err.message : String(err)); process.exitCode = 2; },
);
