import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");
// The child runs in a scratch folder (its local.settings.json), so tsx is named by file rather than package.
const tsxLoader = pathToFileURL(path.join(root, "node_modules/tsx/dist/loader.mjs")).href;

describe("aks-platform serve (real CLI process)", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "serve-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("prints its URL for --port 0, serves the app's HTTP functions with local settings, and stops on SIGTERM", async () => {
    writeFileSync(
      path.join(dir, "local.settings.json"),
      JSON.stringify({ Values: { FIXTURE_GREETING: "from local.settings.json" }, FunctionKeys: { default: "k" } }),
    );
    // A fresh Azurite and the host's own WEBSITE_HOSTNAME, whatever the test runner's environment holds.
    const { AzureWebJobsStorage: _storage, WEBSITE_HOSTNAME: _hostname, ...childEnv } = process.env;
    const child = spawn(
      process.execPath,
      [
        "--import",
        tsxLoader,
        path.join(root, "local/cli/entry.ts"),
        "serve",
        "--port",
        "0",
        "--app-root",
        path.join(__dirname, "fixtures/app"),
      ],
      { cwd: dir, env: childEnv, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (c: Buffer) => {
        stdout += c.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (m) resolve(m[1]!);
      });
      void exited.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    try {
      const response = await fetch(`${url}/api/ping`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ pong: "from local.settings.json" });
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(stdout).toContain("SIGTERM, stopping");
  });
});
