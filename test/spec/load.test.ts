import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MALFORMED_JSON, MALFORMED_YAML } from "../fixtures/spec/broken";
import {
  defaultSpec,
  jsonErrorOffset,
  loadSpecFile,
  loadSpecText,
  parseSpecText,
  SpecParseError,
  SpecValidationError,
} from "../../lib/spec";

const fixtures = path.resolve(__dirname, "../fixtures/spec");

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail("expected the promise to reject"),
    (err: unknown) => err,
  );
}

describe("loadSpecFile", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "spec-load-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("loads a YAML spec", async () => {
    const spec = await loadSpecFile(path.join(fixtures, "two-clusters.yaml"));
    expect(spec.name).toBe("k8s-lab");
    expect(spec.clusters.map((c) => c.name)).toEqual(["mgmt", "apps"]);
    // YAML 1.1 would read 02:00 as the number 120; the spec needs the string.
    expect(spec.shared.backupVault.dailyBackupTimeUtc).toBe("02:00");
  });

  it("loads a JSON spec, and sniffs the format of a file without a known extension", async () => {
    const json = path.join(dir, "spec.json");
    await writeFile(json, JSON.stringify(defaultSpec));
    expect(await loadSpecFile(json)).toEqual(defaultSpec);

    const sniffedJson = path.join(dir, "spec-json.txt");
    await writeFile(sniffedJson, `\n  ${JSON.stringify(defaultSpec, null, 2)}`);
    expect(await loadSpecFile(sniffedJson)).toEqual(defaultSpec);

    const sniffedYaml = path.join(dir, "spec");
    await writeFile(sniffedYaml, (await import("yaml")).stringify(defaultSpec));
    expect(await loadSpecFile(sniffedYaml)).toEqual(defaultSpec);
  });

  it("reports JSON syntax errors with line and column", async () => {
    const file = path.join(dir, "malformed.json");
    await writeFile(file, MALFORMED_JSON);
    const err = await rejection(loadSpecFile(file));
    expect(err).toBeInstanceOf(SpecParseError);
    expect(err).toMatchObject({
      line: 4,
      column: 23,
      message: `${file}:4:23: invalid JSON: Expected double-quoted property name`,
    });
  });

  it("reports YAML syntax errors with line and column", async () => {
    const file = path.join(dir, "malformed.yaml");
    await writeFile(file, MALFORMED_YAML);
    const err = await rejection(loadSpecFile(file));
    expect(err).toBeInstanceOf(SpecParseError);
    expect(err).toMatchObject({ line: 5, column: 1 });
    expect((err as Error).message).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:5:1: invalid YAML: `),
    );
  });

  it("refuses duplicate keys and unresolved aliases in YAML", () => {
    expect(() => parseSpecText("name: a\nname: b\n", { source: "dup.yaml" })).toThrow(
      "dup.yaml:2:1: invalid YAML: Map keys must be unique",
    );
    expect(() => parseSpecText("name: *nowhere\n", { source: "alias.yaml" })).toThrow(
      /alias\.yaml: invalid YAML: .*alias/,
    );
  });

  it("says when the file does not exist", async () => {
    const file = path.join(dir, "missing.yaml");
    const err = await rejection(loadSpecFile(file));
    expect(err).toBeInstanceOf(SpecParseError);
    expect((err as Error).message).toBe(`${file}: no such file`);
  });

  it("throws SpecValidationError carrying every problem of an invalid spec", async () => {
    const file = path.join(fixtures, "bad-spec.yaml");
    const err = await rejection(loadSpecFile(file));
    expect(err).toBeInstanceOf(SpecValidationError);
    const problems = (err as SpecValidationError).problems;
    expect(problems.map((p) => p.path).sort()).toEqual(
      [
        "access.bastion.subnetCidr",
        "access.hostCluster",
        "clusters[0].tier",
        "clusters[1].network.nodeSubnetCidr",
        "clusters[1].network.vnetCidr",
        "shared.keyVault.name",
      ].sort(),
    );
    expect((err as Error).message).toContain(`${file} has 6 problems:\n`);
    expect((err as Error).message).toContain(
      '  clusters[0].tier: Must be one of "Free", "Standard", "Premium" (got "Gold").',
    );
  });
});

describe("loadSpecText", () => {
  it("validates text from any source, such as a request body", () => {
    expect(loadSpecText(JSON.stringify(defaultSpec), { source: "request body", format: "json" })).toEqual(defaultSpec);
    expect(() => loadSpecText("{}", { source: "request body", format: "json" })).toThrow(SpecValidationError);
    expect(() => loadSpecText("- a list\n", { format: "yaml" })).toThrow(/The spec must be an object/);
  });
});

describe("jsonErrorOffset", () => {
  it.each([
    ['{"a": 1,', 8],
    ['{"a": tru}', 9],
    ['{"a": [1, 2,]}', 12],
    ['{"a": "x\\q"}', 9],
    ['{"a": 1} x', 9],
    ["[1e5, -0.5, null, true, false]", 30],
  ])("finds the error in %s at %i", (text, offset) => {
    expect(jsonErrorOffset(text)).toBe(offset);
  });
});
