import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../lib/config";
import { readInfraTemplate, type InfraFile } from "./infra";

/**
 * The azd hooks against a stand-in `az` on PATH that records its arguments and answers from a table (there is no
 * Azure here). postdeploy must pass every required parameter of the templates it deploys, and only parameters they
 * declare, from the outputs main.json gives the azd environment; predown must remove what lives outside the group.
 */

const run = promisify(execFile);
const root = repoRoot();
const work = mkdtempSync(path.join(tmpdir(), "aks-platform-postdeploy-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ENV: Record<string, string> = {
  AZURE_ENV_NAME: "aksops",
  AZURE_LOCATION: "koreacentral",
  AZURE_RESOURCE_GROUP: "rg-aksops",
  AZURE_FUNCTION_APP_NAME: "func-abc",
  AKS_PLATFORM_STORAGE_ACCOUNT: "stabc",
  AKS_PLATFORM_CUSTOM_TOPIC: "evgt-abc",
  AKS_PLATFORM_HEALTH_SYSTEM_TOPIC: "evgst-health-abc",
  AKS_PLATFORM_RESOURCES_SYSTEM_TOPIC: "evgst-resources-abc",
  AKS_PLATFORM_IDENTITY_PRINCIPAL_ID: "6d1e2f3a-4b5c-4d7e-8f90-a1b2c3d4e5f6",
  AKS_PLATFORM_RUN_COMMAND_ROLE_ID: "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9",
  AKS_PLATFORM_INGRESS_ROLE_ID: "1c2d3e4f-5061-4728-9304-b5c6d7e8f9a0",
};

/** Answers of the stand-in `az`: the first entry whose `args` prefix the call's arguments wins; default exit 0. */
type AzAnswers = { args: string[]; stdout?: string; code?: number }[];

/** Runs a hook script with the stand-in `az`; returns the recorded calls and the hook's output. */
async function runHook(script: string, answers: AzAnswers): Promise<{ calls: string[][]; stdout: string }> {
  const dir = mkdtempSync(path.join(work, "run-"));
  const log = path.join(dir, "calls.jsonl");
  const az = path.join(dir, "az");
  writeFileSync(
    az,
    `#!/usr/bin/env node
const args = process.argv.slice(2);
require("node:fs").appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + "\\n");
const answer = ${JSON.stringify(answers)}.find((a) => a.args.every((x, i) => args[i] === x));
process.stdout.write(answer?.stdout ?? "");
process.exit(answer?.code ?? 0);
`,
  );
  chmodSync(az, 0o755);
  const { stdout } = await run("sh", [path.join(root, "scripts", script)], {
    env: { PATH: `${dir}:${process.env.PATH ?? ""}`, ...ENV },
  });
  const calls = readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as string[]);
  return { calls, stdout };
}

function deployedParameters(call: string[]): { file: InfraFile; names: string[] } {
  const file = path.basename(call[call.indexOf("--template-file") + 1]!) as InfraFile;
  const start = call.indexOf("--parameters") + 1;
  const end = call.indexOf("--output");
  const names = call.slice(start, end).map((p) => p.split("=")[0]!);
  return { file, names };
}

function expectParametersFit({ file, names }: { file: InfraFile; names: string[] }): void {
  const declared = (readInfraTemplate(file) as { parameters: Record<string, { defaultValue?: unknown }> }).parameters;
  for (const name of names) expect(Object.keys(declared), `${file} parameter ${name}`).toContain(name);
  for (const [name, p] of Object.entries(declared))
    if (p.defaultValue === undefined) expect(names, `${file} needs ${name}`).toContain(name);
}

describe("scripts/azd-postdeploy.sh", () => {
  it("before the first build: deploys the Event Grid template only and says how to finish later", async () => {
    const { calls, stdout } = await runHook("azd-postdeploy.sh", [{ args: ["keyvault"], code: 3 }]);
    const deployments = calls.filter((c) => c[0] === "deployment");
    expect(deployments.map((c) => c.slice(0, 3))).toEqual([["deployment", "group", "create"]]);
    expectParametersFit(deployedParameters(deployments[0]!));
    expect(deployments[0]).toContain("rg-aksops");
    expect(stdout).toMatch(/azd hooks run postdeploy/);
  });

  it("once the platform exists: also grants the day-2 access at subscription scope", async () => {
    const { calls } = await runHook("azd-postdeploy.sh", []);
    const deployments = calls.filter((c) => c[0] === "deployment");
    expect(deployments.map((c) => c.slice(0, 3))).toEqual([
      ["deployment", "group", "create"],
      ["deployment", "sub", "create"],
    ]);
    for (const d of deployments) expectParametersFit(deployedParameters(d));
    expect(deployments[1]).toContain("koreacentral");
  });
});

describe("scripts/azd-predown.sh", () => {
  it("removes every role assignment of the app's identity, the custom role and the platform-side system topics", async () => {
    const assignments = [
      "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/a1",
      "/x/roleAssignments/a2",
    ];
    const topics = [
      "/subscriptions/s/resourceGroups/rg-k8s-demo-common/providers/Microsoft.EventGrid/systemTopics/evgst-kv",
      "/subscriptions/s/resourceGroups/rg-k8s-demo-mgmt/providers/Microsoft.EventGrid/systemTopics/evgst-aks",
    ];
    const { calls } = await runHook("azd-predown.sh", [
      { args: ["role", "assignment", "list"], stdout: `${assignments.join("\n")}\n` },
      { args: ["role", "definition", "list"], stdout: "found\n" },
      { args: ["resource", "list"], stdout: `${topics.join("\n")}\n` },
    ]);
    const list = calls.find((c) => c[0] === "role" && c[2] === "list")!;
    expect(list).toContain(ENV.AKS_PLATFORM_IDENTITY_PRINCIPAL_ID);
    expect(list).toContain("--all");
    const deleted = calls.filter((c) => c[0] === "role" && c[1] === "assignment" && c[2] === "delete");
    expect(deleted.map((c) => c[c.indexOf("--ids") + 1])).toEqual(assignments);
    for (const role of [ENV.AKS_PLATFORM_RUN_COMMAND_ROLE_ID!, ENV.AKS_PLATFORM_INGRESS_ROLE_ID!])
      expect(calls).toContainEqual(["role", "definition", "delete", "--name", role, "--output", "none"]);
    expect(calls).toContainEqual([
      "resource",
      "list",
      "--tag",
      `aks-platform-app=${ENV.AZURE_FUNCTION_APP_NAME}`,
      "--query",
      "[].id",
      "--output",
      "tsv",
    ]);
    const removed = calls.filter((c) => c[0] === "resource" && c[1] === "delete").map((c) => c[3]);
    expect(removed).toEqual(topics);
  });

  it("leaves alone what is not there", async () => {
    const { calls } = await runHook("azd-predown.sh", []);
    expect(calls.filter((c) => c.includes("delete"))).toEqual([]);
  });
});
