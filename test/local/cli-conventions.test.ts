import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { parse as parseYaml } from "yaml";
import { BuildProgressView } from "../../local/cli/progress";
import { colorEnabled } from "../../local/cli/output";
import { runCli } from "../helpers/cli";

/** The conventions every command shares: --version, -o, exit codes, EPIPE, NO_COLOR. */

const root = path.resolve(__dirname, "../..");
const dir = mkdtempSync(path.join(tmpdir(), "cli-conventions-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("CLI conventions", () => {
  it("--version prints the package version", async () => {
    const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string };
    const result = await runCli(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(pkg.version);
  });

  it("--help lists the exit-code table and the shared options", async () => {
    const result = await runCli(["plan", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Exit codes (every command):");
    expect(result.stdout).toMatch(/^\s+3\s+Azure refused/m);
    const top = await runCli(["--help"]);
    expect(top.stdout).toContain("-o, --output <format>");
    expect(top.stdout).toContain("--verbose");
    expect(top.stdout).toContain("--quiet");
  });

  it("one exit-code table: 2 for usage and input errors of every kind, 1 for a failed check, 3 for no Azure login", async () => {
    const missingSpec = await runCli(["plan", "--spec", path.join(dir, "nope.yaml")]);
    expect(missingSpec.code).toBe(2);
    const missingTemplate = await runCli(["arm", "expand", path.join(dir, "nope.json")]);
    expect(missingTemplate.code).toBe(2);
    const unknownOption = await runCli(["status", "--frobnicate"]);
    expect(unknownOption.code).toBe(2);
    const both = await runCli(["plan", "--verbose", "--quiet"]);
    expect(both.code).toBe(2);

    // A rule the spec breaks: the check ran and what it checked is not ok.
    const spec = path.join(dir, "short-retention.json");
    const seed = await runCli(["spec", "init", "-o", "json"]);
    expect(seed.code, seed.stderr).toBe(0);
    const doc = JSON.parse(seed.stdout) as { shared: { logAnalytics: { interactiveRetentionDays: number } } };
    doc.shared.logAnalytics.interactiveRetentionDays = 7;
    writeFileSync(spec, JSON.stringify(doc));
    const failed = await runCli(["check", "--skip-schemas", "--spec", spec, "-o", "json"]);
    expect(failed.code).toBe(1);

    // No Azure login at all: the token is asked for first, and its absence is exit 3 with the fix, in seconds.
    const noLogin = await runCli(["up", "--subscription", "11111111-2222-4333-8444-555555555555", "--yes"], {
      env: noAzureLogin(),
    });
    expect(noLogin.code).toBe(3);
    expect(noLogin.stdout).toBe("");
    expect(noLogin.stderr).toContain("cannot get an Azure token for https://management.azure.com");
    expect(noLogin.stderr).toContain("az login");
    expect(noLogin.stderr).toContain("AZURE_CLIENT_ID");
    expect(noLogin.stderr).not.toMatch(/transient/i);
  }, 120_000);

  it("-o json|yaml|table on commands with structured output; JSON by default on a pipe", async () => {
    const fixture = path.join(root, "test/fixtures/events");
    const events = ["events", "classify", path.join(fixture, "unknown-type.eventgrid.json")];
    const piped = await runCli(events);
    const json = JSON.parse(piped.stdout) as unknown;
    const yaml = await runCli([...events, "-o", "yaml"]);
    expect(parseYaml(yaml.stdout)).toEqual(json);
    const table = await runCli([...events, "-o", "table"]);
    expect(table.stdout).toContain("unknown-type.eventgrid.json");
    expect(() => JSON.parse(table.stdout) as unknown).toThrow();

    const check = await runCli(["check", "--skip-schemas", "-o", "yaml"]);
    expect(check.code).toBe(0);
    expect(parseYaml(check.stdout)).toHaveProperty("requirements");

    const template = path.join(root, "test/fixtures/arm/resource-group.json");
    const arm = await runCli(["arm", "expand", template, "-o", "yaml"]);
    expect(arm.code, arm.stderr).toBe(0);
    expect(parseYaml(arm.stdout)).toHaveProperty("resources");

    const schema = await runCli(["spec", "schema", "-o", "yaml"]);
    expect(parseYaml(schema.stdout)).toHaveProperty("$schema");

    const badFormat = await runCli(["plan", "-o", "xml"]);
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain("json, yaml, table");
  }, 120_000);

  it("a closed pipe ends the command quietly: no EPIPE stack trace", async () => {
    // `plan -o json` is far larger than a pipe's buffer, so `head -1` closes it while the CLI is still writing.
    const script = `node --import tsx local/cli/entry.ts plan -o json 2>"${dir}/epipe.err" | head -1; echo "exit=\${PIPESTATUS[0]}"`;
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn("bash", ["-c", script], { cwd: root, env: process.env });
      let text = "";
      child.stdout.on("data", (c: Buffer) => (text += c.toString()));
      child.on("error", reject);
      child.on("close", () => resolve(text));
    });
    expect(out.split("\n")[0]).toBe("{");
    expect(out).toContain("exit=0");
    expect(readFileSync(path.join(dir, "epipe.err"), "utf8")).toBe("");
  }, 60_000);

  it("colour only on a terminal and never with NO_COLOR", () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { TERM: "dumb" })).toBe(false);

    const drawn = (env: Record<string, string | undefined>) => {
      for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
      let text = "";
      const tty = { isTTY: true, write: (s: string) => ((text += s), true) } as unknown as NodeJS.WriteStream;
      new BuildProgressView(tty).update(
        {
          environment: "k8s-demo",
          mode: "deploy",
          phases: [{ name: "resourceGroups", state: "succeeded" }],
          deployments: [{ name: "k8s-demo-rg", phase: "resourceGroups", state: "failed" }],
        } as never,
        "Running",
      );
      vi.unstubAllEnvs();
      return text;
    };
    expect(drawn({ NO_COLOR: undefined })).toContain("\x1b[32m✔\x1b[0m");
    expect(drawn({ NO_COLOR: "1" })).not.toContain("\x1b[3");
  });
});

/** An environment in which DefaultAzureCredential finds nothing: no AZURE_* variables, no az/azd on the PATH. */
function noAzureLogin(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!name.startsWith("AZURE_") && !name.startsWith("IDENTITY_") && !name.startsWith("MSI_")) env[name] = value;
  env.PATH = path.dirname(process.execPath);
  env.AZURE_CONFIG_DIR = path.join(dir, "no-az-config");
  return env;
}
