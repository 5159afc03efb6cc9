import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { runCli } from "../helpers/cli";
import { MALFORMED_YAML } from "../fixtures/spec/broken";

const fixtures = path.resolve(__dirname, "../fixtures/spec");

describe("aks-platform plan", () => {
  let out: string;
  beforeAll(async () => {
    out = await mkdtemp(path.join(os.tmpdir(), "plan-cli-"));
  });
  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it("prints exactly one JSON document for --format json", async () => {
    const result = await runCli(["plan", "--format", "json"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as {
      environment: string;
      location: string;
      phases: { name: string }[];
      criticalPath: { totalSeconds: number };
    };
    expect(plan.environment).toBe("k8s-demo");
    expect(plan.location).toBe("koreacentral");
    expect(plan.phases.map((p) => p.name)[0]).toBe("resourceGroups");
    expect(plan.criticalPath.totalSeconds).toBeGreaterThan(0);
  });

  it("prints JSON on a pipe and YAML with -o yaml (the same document)", async () => {
    const piped = await runCli(["plan"]);
    expect(piped.code).toBe(0);
    const json = JSON.parse(piped.stdout) as unknown;
    const yaml = await runCli(["plan", "-o", "yaml"]);
    expect(yaml.code).toBe(0);
    expect(parseYaml(yaml.stdout)).toEqual(json);
  });

  it("prints phases, resource counts and the critical path as a table, for a YAML spec", async () => {
    const result = await runCli(["plan", "-o", "table", "--spec", path.join(fixtures, "two-clusters.yaml")]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Plan for k8s-lab in westeurope/);
    expect(result.stdout).toContain("Phase 1: resourceGroups");
    expect(result.stdout).toContain("Microsoft.ContainerService/managedClusters");
    expect(result.stdout).toMatch(/Critical path: about \d+(\.\d)? min/);
    expect(result.stdout).toContain("k8s-lab-aks-apps");
  });

  it("writes each Mermaid diagram as a plain .mmd file with --out, and nothing fenced on stdout", async () => {
    const result = await runCli(["plan", "--format", "mermaid", "--out", out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(`wrote plan.json, plan.txt, architecture.mmd, phases.mmd to ${out}\n`);
    const architecture = await readFile(path.join(out, "architecture.mmd"), "utf8");
    expect(architecture).toMatch(/^flowchart LR\n/);
    expect(architecture).not.toContain("```");
    expect(await readFile(path.join(out, "phases.mmd"), "utf8")).toMatch(/^flowchart TB\n/);
    expect(JSON.parse(await readFile(path.join(out, "plan.json"), "utf8"))).toHaveProperty("environment", "k8s-demo");
    expect(await readFile(path.join(out, "plan.txt"), "utf8")).toMatch(/^Plan for k8s-demo/);

    const noFolder = await runCli(["plan", "--format", "mermaid"]);
    expect(noFolder.code).toBe(2);
    expect(noFolder.stderr).toContain("--out");
  });

  it("exits 2 listing every problem of a bad spec as path: message, without a stack trace", async () => {
    const file = path.join(fixtures, "bad-spec.yaml");
    const result = await runCli(["plan", "--spec", file]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines[0]).toBe(`error: ${file} has 6 problems:`);
    expect(
      lines
        .slice(1)
        .map((l) => l.slice(0, l.indexOf(": ")))
        .sort(),
    ).toEqual(
      [
        "access.bastion.subnetCidr",
        "access.hostCluster",
        "clusters[0].tier",
        "clusters[1].network.nodeSubnetCidr",
        "clusters[1].network.vnetCidr",
        "shared.keyVault.name",
      ].sort(),
    );
    expect(result.stderr).toContain(
      'access.hostCluster: No cluster is named "hub"; the host cluster must be one of mgmt, apps.\n',
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("exits 2 with file, line and column for a spec that does not parse", async () => {
    const file = path.join(out, "malformed.yaml");
    await writeFile(file, MALFORMED_YAML);
    const result = await runCli(["plan", "--spec", file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:5:1: invalid YAML: `),
    );
  });

  it("reads templates from AKS_PLATFORM_TEMPLATES_DIR and names the deployment whose template is missing", async () => {
    const result = await runCli(["plan"], { env: { AKS_PLATFORM_TEMPLATES_DIR: out } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^error: the deployment plan is invalid:\nDeployment "k8s-demo-rg": template resource-group\.json not found at /,
    );
  });

  it("names a bad app setting", async () => {
    const result = await runCli(["plan"], { env: { AKS_PLATFORM_TASK_HUB: "no-hyphens-allowed" } });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "error: Invalid app settings: AKS_PLATFORM_TASK_HUB must be 3–45 letters and digits, starting with a letter\n",
    );
  });

  it("refuses an unknown format as a usage error", async () => {
    const result = await runCli(["plan", "--format", "xml"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("xml");
  });
});
