import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defaultSpec } from "../../lib/spec";
import { runCli } from "../helpers/cli";

const fixtures = path.resolve(__dirname, "../fixtures/events");
const tmp = mkdtempSync(path.join(tmpdir(), "events-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Row {
  file: string;
  index?: number;
  kind?: string;
  cluster?: string;
  pool?: string;
  dedupeKey?: string;
  error?: string;
}

function parseRows(stdout: string): Row[] {
  const rows = JSON.parse(stdout) as Row[];
  expect(Array.isArray(rows)).toBe(true);
  return rows;
}

describe("aks-platform events classify", () => {
  it("classifies every fixture into one JSON array and exits 1 because some are garbage", async () => {
    const files = readdirSync(fixtures)
      .sort()
      .map((f) => path.join(fixtures, f));
    const oversized = path.join(tmp, "oversized.json");
    writeFileSync(oversized, JSON.stringify({ eventType: "Foo", data: "x".repeat(1024 * 1024 + 10) }));
    const result = await runCli([
      "events",
      "classify",
      ...files,
      oversized,
      path.join(tmp, "missing.json"),
      "--format",
      "json",
    ]);
    expect(result.code).toBe(1);
    const rows = parseRows(result.stdout);
    const byFile = (name: string) => rows.filter((r) => path.basename(r.file) === name);
    expect(byFile("health-annotated-preempted-nap.cloudevents.json")).toEqual([
      expect.objectContaining({
        kind: "spot-eviction",
        cluster: "app2",
        pool: "spot-d",
        severity: "warning",
        watchKey: "eviction-k8s-demo-app2-20261120T0315Z",
      }),
    ]);
    expect(byFile("aks-nodepool-rolling-batch.eventgrid.json").map((r) => r.index)).toEqual([0, 1, 2]);
    expect(byFile("garbage-not-json.json")).toEqual([
      { file: expect.any(String), error: expect.stringContaining("not JSON") },
    ]);
    expect(byFile("oversized.json")).toEqual([{ file: oversized, error: expect.stringContaining("too large") }]);
    expect(byFile("missing.json")).toEqual([{ file: expect.any(String), error: "no such file" }]);
    for (const row of rows) {
      if (row.error === undefined)
        expect(Object.keys(row)).toEqual(
          expect.arrayContaining(["file", "kind", "eventType", "subject", "severity", "dedupeKey", "reason"]),
        );
    }
    const kinds = new Set(rows.map((r) => r.kind).filter(Boolean));
    expect(kinds).toEqual(
      new Set([
        "spot-eviction",
        "availability-change",
        "certificate",
        "backup-failure",
        "cluster-lifecycle",
        "subscription-validation",
        "ignored",
      ]),
    );
  });

  it("exits 0 when every file is usable, and prints a table with -o table", async () => {
    const result = await runCli([
      "events",
      "classify",
      path.join(fixtures, "keyvault-certificate-expired.cloudevents.json"),
      path.join(fixtures, "unknown-type.eventgrid.json"),
      "-o",
      "table",
    ]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain("certificate critical Microsoft.KeyVault.CertificateExpired");
    expect(lines[1]).toContain("ignored info Microsoft.Storage.BlobCreated");
  });

  it("maps clusters with the spec given by --spec", async () => {
    const spec = {
      ...defaultSpec,
      clusters: defaultSpec.clusters.map((c) =>
        c.name === "app2" ? { ...c, nodeResourceGroup: "MC_rg-k8s-demo-app2_custom" } : c,
      ),
    };
    const specFile = path.join(tmp, "spec.json");
    writeFileSync(specFile, JSON.stringify(spec));
    const result = await runCli([
      "events",
      "classify",
      path.join(fixtures, "health-annotated-preempted-nap.cloudevents.json"),
      "--spec",
      specFile,
      "--format",
      "json",
    ]);
    expect(result.code).toBe(0);
    expect(parseRows(result.stdout)).toEqual([
      expect.objectContaining({ kind: "ignored", reason: expect.stringContaining("not in a node resource group") }),
    ]);
  });

  it("refuses a broken spec without printing rows (exit 2: input error)", async () => {
    const specFile = path.join(tmp, "broken.yaml");
    writeFileSync(specFile, "name: X\n");
    const result = await runCli([
      "events",
      "classify",
      path.join(fixtures, "unknown-type.eventgrid.json"),
      "--spec",
      specFile,
      "--format",
      "json",
    ]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("broken.yaml");
  });

  it("treats a bad option as a usage error", async () => {
    const badPattern = await runCli([
      "events",
      "classify",
      path.join(fixtures, "unknown-type.eventgrid.json"),
      "--tls-pattern",
      "([",
    ]);
    expect(badPattern.code).toBe(2);
    expect(badPattern.stderr).toContain("--tls-pattern");
    const badFormat = await runCli([
      "events",
      "classify",
      path.join(fixtures, "unknown-type.eventgrid.json"),
      "--format",
      "yaml",
    ]);
    expect(badFormat.code).toBe(2);
  });
});
