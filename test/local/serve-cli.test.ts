import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");
// The child runs in a scratch folder (its local.settings.json), so tsx is named by file rather than package.
const tsxLoader = pathToFileURL(path.join(root, "node_modules/tsx/dist/loader.mjs")).href;

interface Served {
  url: string;
  stdout: () => string;
  stderr: () => string;
  stop(): Promise<number | null>;
}

/** `aks-platform serve ARGS` in `cwd` as a real process, once it listens; `exited` when it ends before that. */
function serve(cwd: string, args: string[]): Promise<Served> {
  // A fresh Azurite and the host's own WEBSITE_HOSTNAME, whatever the test runner's environment holds.
  const { AzureWebJobsStorage: _storage, WEBSITE_HOSTNAME: _hostname, ...childEnv } = process.env;
  const child = spawn(
    process.execPath,
    ["--import", tsxLoader, path.join(root, "local/cli/entry.ts"), "serve", ...args],
    {
      cwd,
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return new Promise<Served>((resolve, reject) => {
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (m)
        resolve({
          url: m[1]!,
          stdout: () => stdout,
          stderr: () => stderr,
          stop: () => {
            child.kill("SIGTERM");
            return exited;
          },
        });
    });
    void exited.then((code) =>
      reject(Object.assign(new Error(`serve exited with ${code}: ${stderr}`), { code, stderr })),
    );
  });
}

describe("aks-platform serve (real CLI process)", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "serve-"));
  const stateDir = path.join(dir, "state");
  const fixtureApp = ["--app-root", path.join(__dirname, "fixtures/app"), "--state-dir", stateDir];
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("prints its URL for --port 0, serves the app's HTTP functions with local settings, and stops on SIGTERM", async () => {
    writeFileSync(
      path.join(dir, "local.settings.json"),
      JSON.stringify({ Values: { FIXTURE_GREETING: "from local.settings.json" }, FunctionKeys: { default: "k" } }),
    );
    const served = await serve(dir, ["--port", "0", ...fixtureApp]);
    try {
      const response = await fetch(`${served.url}/api/ping`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ pong: "from local.settings.json" });
    } finally {
      expect(await served.stop()).toBe(0);
    }
    expect(served.stdout()).toContain("SIGTERM, stopping");
    // Like `func start`: every function with its methods, URL and auth level.
    expect(served.stderr()).toContain(`fixturePing: [GET] ${served.url}/api/ping (anonymous)`);
    // With no --subscription, ARM is the sandbox in this process, on the state folder every --sandbox command shares.
    expect(served.stderr()).toMatch(
      /ARM: the sandbox in this process \(https:\/\/127\.0\.0\.1:\d+, subscription 0{8}-/,
    );
    expect(served.stderr()).toContain(`state ${stateDir}`);
  }, 90_000);

  it("needs no setup: the real app with no settings file answers /api calls without a key; --require-keys prints the key it made", async () => {
    const bare = mkdtempSync(path.join(dir, "bare-"));
    const open = await serve(bare, ["--port", "0", "--state-dir", stateDir]);
    try {
      const plan = await fetch(`${open.url}/api/environments/k8s-demo/plan`);
      expect(plan.status).toBe(200);
      expect(open.stderr()).toContain("No function key needed on this machine");
      expect(open.stderr()).toMatch(
        /provision: \[GET,POST,PUT,PATCH,DELETE\] http:\/\/127\.0\.0\.1:\d+\/api\/environments\/\{env\}\/provision \(function\)/,
      );
      expect(open.stderr()).toContain("notifyRetry: timerTrigger 0 */1 * * * *");
    } finally {
      await open.stop();
    }

    const locked = await serve(bare, ["--port", "0", "--state-dir", stateDir, "--require-keys"]);
    try {
      const key = /Function key \(x-functions-key header or \?code=\): (\S+)/.exec(locked.stderr())?.[1];
      expect(key).toBeDefined();
      expect((await fetch(`${locked.url}/api/environments/k8s-demo/plan`)).status).toBe(401);
      const withKey = await fetch(`${locked.url}/api/environments/k8s-demo/plan`, {
        headers: { "x-functions-key": key! },
      });
      expect(withKey.status).toBe(200);
    } finally {
      await locked.stop();
    }
  }, 180_000);

  it("refuses a settings file that is missing or invalid, naming it, with exit code 2", async () => {
    const missing = await serve(dir, ["--port", "0", "--settings", "/nope.json", ...fixtureApp]).catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect(missing).toMatchObject({ code: 2 });
    expect((missing as { stderr: string }).stderr).toContain("--settings /nope.json: no such file");

    const bad = path.join(dir, "bad.settings.json");
    writeFileSync(bad, "{ not json");
    const invalid = await serve(dir, ["--port", "0", "--settings", bad, ...fixtureApp]).catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect(invalid).toMatchObject({ code: 2 });
    expect((invalid as { stderr: string }).stderr).toContain(`${bad} is not valid JSON`);
  }, 60_000);
});
