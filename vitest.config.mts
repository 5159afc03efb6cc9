import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/bench/**", "node_modules/**", "dist/**"],
    // Captures every app.* / df.app.* registration the way the Functions host would (see local/registry).
    setupFiles: ["test/setup.ts"],
    watch: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Most suites wait on timers, servers and child processes rather than compute: two workers on the 2-core
    // machines halve the wall time (vitest's default is one worker per core minus one).
    maxWorkers: 2,
  },
});
