import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli";
import { evictionEvent, lifecycleEvent } from "./helpers";

// `aks-platform events replay` without --host: reacts in process against a fresh sandbox ARM (virtual durable clock).

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "replay-cli-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("events replay", () => {
  it("shows classification, instance ids and final status of each reaction, duplicates included", async () => {
    const eviction = path.join(dir, "eviction.json");
    writeFileSync(eviction, JSON.stringify([evictionEvent("mgmt", "aks-spot-x1y2z", "2026-11-24T05:01:00Z")]));
    const lifecycle = path.join(dir, "lifecycle.json");
    writeFileSync(lifecycle, JSON.stringify(lifecycleEvent("app2", "rolling-42")));
    const garbage = path.join(dir, "garbage.json");
    writeFileSync(
      garbage,
      JSON.stringify({
        id: "1",
        eventType: "Contoso.Nope",
        subject: "s",
        topic: "/contoso",
        eventTime: "2026-11-24T05:00:00Z",
        data: {},
        dataVersion: "1",
        metadataVersion: "1",
      }),
    );
    const result = await runCli([
      "events",
      "replay",
      eviction,
      lifecycle,
      lifecycle,
      garbage,
      "--format",
      "json",
      "--wait",
      "120",
    ]);
    expect(result.stderr).toBe("");
    const rows = JSON.parse(result.stdout) as {
      kind?: string;
      delivered?: string;
      instanceId?: string;
      runtimeStatus?: string;
      output?: { outcome?: string };
    }[];
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatchObject({
      kind: "spot-eviction",
      delivered: "started",
      runtimeStatus: "Completed",
      output: { outcome: "recovered" },
    });
    expect(rows[0]!.instanceId).toMatch(/^eviction-k8s-demo-mgmt-20261124T0500Z$/);
    expect(rows[1]).toMatchObject({ kind: "cluster-lifecycle", delivered: "started", runtimeStatus: "Completed" });
    expect(rows[2]).toMatchObject({
      kind: "cluster-lifecycle",
      delivered: "duplicate",
      instanceId: rows[1]!.instanceId,
    });
    expect(rows[3]).toMatchObject({ kind: "ignored", delivered: "none" });
    expect(result.code).toBe(0);
  }, 180_000);
});
