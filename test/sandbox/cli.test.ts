import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Agent, fetch } from "undici";
import { expect, it } from "vitest";

// `aks-platform sandbox` as a user runs it: prints the endpoint, token and CA file, serves until SIGTERM.

it("starts the sandbox from the CLI, prints how to reach it, and stops on SIGTERM", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "sandbox-cli-"));
  const root = path.resolve(__dirname, "../..");
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(root, "local/cli/entry.ts"),
      "sandbox",
      "--port",
      "0",
      "--state-dir",
      dir,
      "--time-scale",
      "60",
    ],
    {
      cwd: root,
      env: { ...process.env, AKS_PLATFORM_ARM_TOKEN: "cli-test-token-0123456789" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  try {
    let out = "";
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        if (out.includes("NODE_EXTRA_CA_CERTS=")) resolve();
      });
      child.stderr.on("data", (c: Buffer) => (out += c.toString()));
      child.once("exit", (code) => reject(new Error(`sandbox exited early (${code}): ${out}`)));
    });
    const url = /listening on (https:\/\/\S+)/.exec(out)?.[1];
    expect(out).toContain("export AKS_PLATFORM_ARM_TOKEN=cli-test-token-0123456789");
    expect(out).toContain(`export NODE_EXTRA_CA_CERTS=${path.join(dir, "ca.pem")}`);
    const dispatcher = new Agent({ connect: { ca: readFileSync(path.join(dir, "ca.pem"), "utf8") } });
    const health = await fetch(`${url}/_sandbox/health`, {
      headers: { authorization: "Bearer cli-test-token-0123456789" },
      dispatcher,
    });
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ subscriptionId: expect.any(String) });
    await dispatcher.close();
    const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
    expect(readFileSync(path.join(dir, "state.json"), "utf8")).toContain('"version":1');
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
