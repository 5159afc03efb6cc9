import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { loadArmSchemas, resolveSchemasDir } from "../../lib/check";
import { repoRoot } from "../../lib/config";
import { INFRA_DIR, readInfraTemplate } from "./infra";

/**
 * azd wiring: azure.yaml, the Bicep entry point (a pass-through of main.json: azd's Bicep provider takes no ARM JSON
 * directly) and its parameter file must agree with main.json, so renaming a parameter or output on one side fails.
 */

const root = repoRoot();
const bicep = readFileSync(path.join(INFRA_DIR, "main.bicep"), "utf8");
const main = readInfraTemplate("main.json") as {
  parameters: Record<string, { type: string; defaultValue?: unknown }>;
  outputs: Record<string, unknown>;
};

const azureYaml = z.object({
  name: z.string(),
  infra: z.object({ provider: z.literal("bicep"), path: z.string(), module: z.string() }),
  services: z.object({
    app: z.object({
      project: z.string(),
      language: z.enum(["ts", "js"]),
      host: z.literal("function"),
      dist: z.string(),
    }),
  }),
  hooks: z.object({
    postdeploy: z.object({ posix: z.object({ shell: z.literal("sh"), run: z.string() }) }),
    predown: z.object({ posix: z.object({ shell: z.literal("sh"), run: z.string() }) }),
  }),
});

describe("azd wiring", () => {
  const config = azureYaml.parse(parse(readFileSync(path.join(root, "azure.yaml"), "utf8")));

  it("azure.yaml points at files that exist and at the bundle's output folder", () => {
    expect(existsSync(path.join(root, config.infra.path, `${config.infra.module}.bicep`))).toBe(true);
    expect(existsSync(path.join(root, config.hooks.postdeploy.posix.run))).toBe(true);
    expect(existsSync(path.join(root, config.hooks.predown.posix.run))).toBe(true);
    expect(readFileSync(path.join(root, "scripts/bundle.mjs"), "utf8")).toContain('path.join(root, "dist", "app")');
    expect(config.services.app.dist).toBe("dist/app");
  });

  it("main.bicep passes main.json's parameters through and re-exports all of its outputs", () => {
    expect(bicep).toMatch(/module app 'main\.json'/);
    expect(bicep).toMatch(/targetScope = 'subscription'/);
    const params = [...bicep.matchAll(/^param (\w+) (\w+)/gm)].map((m) => m[1]!);
    for (const p of params) expect(Object.keys(main.parameters), `main.bicep param ${p}`).toContain(p);
    for (const [name, p] of Object.entries(main.parameters))
      if (p.defaultValue === undefined) expect(params, `required ${name}`).toContain(name);
    for (const p of params) expect(bicep, `module param ${p}`).toMatch(new RegExp(`^\\s+${p}: ${p}$`, "m"));
    for (const m of bicep.matchAll(/@secure\(\)\nparam (\w+)/g))
      expect(main.parameters[m[1]!]?.type).toBe("securestring");
    const outputs = [...bicep.matchAll(/^output (\w+) string = app\.outputs\.(\w+)$/gm)];
    expect(outputs.map((m) => m[1])).toEqual(outputs.map((m) => m[2]));
    expect(outputs.map((m) => m[1]).sort()).toEqual(Object.keys(main.outputs).sort());
  });

  it("main.parameters.json feeds every main.bicep parameter from the azd environment", () => {
    const file = JSON.parse(readFileSync(path.join(INFRA_DIR, "main.parameters.json"), "utf8")) as {
      parameters: Record<string, { value: string }>;
    };
    const params = [...bicep.matchAll(/^param (\w+) (\w+)/gm)].map((m) => m[1]!);
    expect(Object.keys(file.parameters).sort()).toEqual(params.sort());
    for (const [name, p] of Object.entries(file.parameters)) expect(p.value, name).toMatch(/^\$\{[A-Z_]+(=[^}]*)?\}$/);
    const dir = resolveSchemasDir();
    if (dir) expect(loadArmSchemas(dir).validateParametersFile(file, "infra/main.parameters.json")).toEqual([]);
  });
});

const workflow = z.object({
  permissions: z.record(z.string(), z.string()),
  jobs: z.record(
    z.string(),
    z.object({ steps: z.array(z.object({ run: z.string().optional(), uses: z.string().optional() })) }),
  ),
});

describe("GitHub workflows", () => {
  const load = (name: string) => {
    const text = readFileSync(path.join(root, ".github/workflows", name), "utf8");
    return { text, flow: workflow.parse(parse(text)) };
  };
  const runs = (flow: z.infer<typeof workflow>): string =>
    Object.values(flow.jobs)
      .flatMap((j) => j.steps.map((s) => s.run ?? ""))
      .join("\n");

  it("ci installs from the lockfile, lints, typechecks, tests, builds and checks every function registers", () => {
    const { flow } = load("ci.yml");
    const commands = runs(flow);
    for (const step of [
      "npm ci",
      "npm run lint",
      "npm run typecheck",
      "npx vitest run",
      "npm run build",
      "list-functions.ts --package dist/app",
    ])
      expect(commands).toContain(step);
    expect(flow.permissions).toEqual({ contents: "read" });
  });

  it("deploy signs in with OpenID Connect and uses no stored secret", () => {
    const { text, flow } = load("deploy.yml");
    expect(flow.permissions["id-token"]).toBe("write");
    expect(text).not.toMatch(/secrets\./);
    expect(runs(flow)).toMatch(/azd auth login .*--federated-credential-provider github/s);
    expect(runs(flow)).toContain("azd up --no-prompt");
  });
});
