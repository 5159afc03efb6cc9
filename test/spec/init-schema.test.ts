import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Ajv from "ajv";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { defaultSpec, initSpec, parseSpecText, SPEC_SCHEMA_FILE, specJsonSchema, validateSpec } from "../../lib/spec";
import { runCli } from "../helpers/cli";

const root = path.resolve(__dirname, "../..");
const dir = mkdtempSync(path.join(tmpdir(), "spec-init-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const shipped = JSON.parse(readFileSync(path.join(root, SPEC_SCHEMA_FILE), "utf8")) as Record<string, unknown>;
const validate = new Ajv({ allErrors: true, strict: false }).compile(shipped);

const specFiles = [
  ...readdirSync(path.join(root, "examples")).map((f) => path.join(root, "examples", f)),
  ...readdirSync(path.join(root, "test/fixtures/spec"))
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .map((f) => path.join(root, "test/fixtures/spec", f)),
];

describe("spec JSON Schema, examples and spec init", () => {
  it("ships the schema generated from the zod schema (regenerate: aks-platform spec schema > schemas/…)", () => {
    expect(shipped).toEqual(specJsonSchema());
  });

  it.each(specFiles)("the shipped schema agrees with the spec rules on %s", (file) => {
    const doc = parseSpecText(readFileSync(file, "utf8"), { source: file });
    // A spec the type rules accept passes the schema; the cross-field rules (CIDR overlap…) are beyond a schema.
    if (validateSpec(doc).ok) expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    else expect(path.basename(file)).toBe("bad-spec.yaml");
  });

  it("examples carry the $schema line editors follow", () => {
    for (const file of specFiles.filter((f) => f.includes(`${path.sep}examples${path.sep}`)))
      expect(readFileSync(file, "utf8")).toMatch(
        /^# yaml-language-server: \$schema=\.\.\/schemas\/platform-spec\.schema\.json$/m,
      );
  });

  it("accepts YAML integers for zones and refuses a VM size that is not one, naming the rule", () => {
    const yaml = readFileSync(path.join(root, "examples/two-clusters.yaml"), "utf8").replace(
      /zones:\n(\s+)- "1"\n\s+- "2"\n\s+- "3"/,
      "zones: [1, 2, 3]",
    );
    expect(yaml).toContain("zones: [1, 2, 3]");
    const ints = validateSpec(parseYaml(yaml));
    expect(ints.ok && ints.spec.clusters[0]!.zones).toEqual(["1", "2", "3"]);
    expect(validate(parseYaml(yaml))).toBe(true);

    const potato = structuredClone(defaultSpec);
    potato.clusters[0] = {
      ...potato.clusters[0]!,
      pools: { ...potato.clusters[0]!.pools, system: { vmSize: "Standard_Potato", count: 3, zones: ["1"] } },
    };
    potato.access = { ...potato.access, jumpbox: { ...potato.access.jumpbox, vmSize: "Standard_B1" } };
    const result = validateSpec(potato);
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems).toContainEqual({
      path: "clusters[0].pools.system.vmSize",
      message: expect.stringContaining("an Azure VM size such as Standard_D2s_v5") as string,
    });
    expect(problems.some((p) => p.path === "access.jumpbox.vmSize")).toBe(false);
    const tiny = structuredClone(defaultSpec);
    tiny.clusters[1] = {
      ...tiny.clusters[1]!,
      pools: { ...tiny.clusters[1]!.pools, system: { vmSize: "Standard_B1ms", count: 1, zones: ["1"] } },
    };
    const tinyResult = validateSpec(tiny);
    expect(tinyResult.ok ? [] : tinyResult.problems.map((p) => p.message)).toContainEqual(
      expect.stringContaining("at least 2 vCPUs"),
    );
  });

  it("spec init writes a commented YAML spec that validates and builds in the sandbox", async () => {
    const file = path.join(dir, "lab.yaml");
    const init = await runCli(["spec", "init", "--name", "k8s-lab", "--clusters", "hub,apps", "--out", file]);
    expect(init.code, init.stderr).toBe(0);
    const text = readFileSync(file, "utf8");
    expect(text).toMatch(/^# yaml-language-server: \$schema=/);
    expect(text).toContain("# One entry per AKS cluster.");
    const doc = parseYaml(text) as unknown;
    expect(validateSpec(doc)).toMatchObject({ ok: true });
    expect(validate(doc)).toBe(true);
    expect(initSpec({ name: "k8s-lab", clusters: ["hub", "apps"] }).clusters.map((c) => c.name)).toEqual([
      "hub",
      "apps",
    ]);

    const again = await runCli(["spec", "init", "--out", file]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("--force");

    const up = await runCli([
      "up",
      "--sandbox",
      "--spec",
      file,
      "--time-scale",
      "600",
      "--state-dir",
      path.join(dir, "state"),
      "--report",
      path.join(dir, "report"),
    ]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/k8s-lab: Completed — \d+ succeeded/);
  }, 300_000);
});
