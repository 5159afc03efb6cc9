import Ajv from "ajv";
import { describe, expect, it } from "vitest";
import {
  buildDigest,
  messages,
  MESSAGE_KINDS,
  NO_ON_DEMAND_NOTE,
  renderSlack,
  renderTeams,
  RUNBOOK_ANCHORS,
  RUNBOOKS,
  TEAMS_MAX_PAYLOAD_BYTES,
  TRUNCATED,
  type NotifyMessage,
  type OpsId,
} from "../../lib/notify";
import { samples } from "./fixtures";
import { slackPayloadSchema, teamsEnvelopeSchema } from "./payload-schemas";

const README = "https://github.com/example/aks-platform-automation/blob/main/README.md";
const ajv = new Ajv({ allErrors: true, strict: true });
const validTeams = ajv.compile(teamsEnvelopeSchema);
const validSlack = ajv.compile(slackPayloadSchema);

function expectValid(payload: unknown, kind: "teams" | "slack"): void {
  const validate = kind === "teams" ? validTeams : validSlack;
  const ok = validate(payload);
  expect(ok, JSON.stringify(validate.errors, null, 2)).toBe(true);
}

describe("rendered cards and blocks for every message kind", () => {
  it("has a sample of every kind", () => {
    expect(new Set(Object.values(samples).map((m) => m.kind))).toEqual(new Set(MESSAGE_KINDS));
  });

  for (const [name, message] of Object.entries(samples)) {
    it(`${name}: Teams card matches its snapshot and the envelope schema`, async () => {
      const envelope = renderTeams(message, { runbookBaseUrl: README });
      expectValid(envelope, "teams");
      await expect(JSON.stringify(envelope, null, 2) + "\n").toMatchFileSnapshot(`__snapshots__/${name}.teams.json`);
    });

    it(`${name}: Slack blocks match their snapshot and the Block Kit schema`, async () => {
      const payload = renderSlack(message, { runbookBaseUrl: README });
      expectValid(payload, "slack");
      await expect(JSON.stringify(payload, null, 2) + "\n").toMatchFileSnapshot(`__snapshots__/${name}.slack.json`);
    });
  }

  it("links the runbook with Action.OpenUrl (never Action.Submit) and names it as text without a base URL", () => {
    const message = samples["eviction-escalation"]!;
    const card = renderTeams(message, { runbookBaseUrl: README }).attachments[0].content;
    expect(card.actions).toEqual([
      { type: "Action.OpenUrl", title: "Runbook: OPS-2 Spot eviction", url: `${README}#ops-2-spot-eviction` },
    ]);
    expect(JSON.stringify(card)).not.toContain("Action.Submit");
    const plain = renderTeams(message);
    expectValid(plain, "teams");
    expect(plain.attachments[0].content.actions).toBeUndefined();
    expect(JSON.stringify(plain)).toContain("README.md#ops-2-spot-eviction");
    expect(JSON.stringify(renderSlack(message))).toContain("README.md#ops-2-spot-eviction");
  });

  it("escalation explains the deliberate no-on-demand policy when no zone has Spot capacity", () => {
    const message = samples["eviction-escalation"]!;
    expect(message.note).toBe(NO_ON_DEMAND_NOTE);
    expect(JSON.stringify(renderTeams(message))).toContain("deliberate no-on-demand policy");
    expect(JSON.stringify(renderSlack(message))).toContain("deliberate no-on-demand policy");
  });

  it("escapes Slack control characters in user text", () => {
    const message = messages.clusterLifecycle({
      environment: "k8s-demo",
      cluster: "app1",
      event: "created",
      detail: "<!channel> & <https://evil.example|click>",
      correlationId: "c",
      occurredAt: "2026-11-24T00:00:00Z",
    });
    const text = JSON.stringify(renderSlack(message));
    expect(text).toContain("&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;");
    expect(text).not.toContain("<!channel>");
  });
});

describe("channel limits are met by truncating with a note", () => {
  const huge: NotifyMessage = {
    ...samples["provisioning-failed"]!,
    title: "T".repeat(400),
    summary: "S".repeat(5000),
    lines: Array.from({ length: 2000 }, (_, i) => `failure ${i}: ${"x".repeat(120)}`),
    facts: Array.from({ length: 60 }, (_, i) => ({ name: `fact ${i}`, value: "v".repeat(2500) })),
  };

  it("Slack: at most 50 blocks, 3000 chars per section text, 150 per header, 2000 per field", () => {
    const payload = renderSlack(huge);
    expectValid(payload, "slack");
    expect(payload.blocks.length).toBeLessThanOrEqual(50);
    const text = JSON.stringify(payload);
    expect(text).toContain(TRUNCATED);
    expect(text).toMatch(/more not shown/);
    const header = payload.blocks[0];
    expect(header?.type === "header" && header.text.text.length).toBeLessThanOrEqual(150);
  });

  it("Teams: the envelope stays within the payload limit", () => {
    const envelope = renderTeams(huge, { runbookBaseUrl: README });
    expectValid(envelope, "teams");
    expect(Buffer.byteLength(JSON.stringify(envelope))).toBeLessThanOrEqual(TEAMS_MAX_PAYLOAD_BYTES);
    expect(JSON.stringify(envelope)).toContain(TRUNCATED);
  });

  it("keeps as many list lines as fit", () => {
    const many: NotifyMessage = {
      ...samples["nightly-summary-problems"]!,
      lines: Array.from({ length: 400 }, (_, i) => `cluster-${i}: problem`),
    };
    const slack = renderSlack(many);
    const teams = renderTeams(many, { maxPayloadBytes: 6000 });
    expect(JSON.stringify(slack)).toContain("cluster-399"); // 400 short lines fit in a few sections
    const teamsText = JSON.stringify(teams);
    expect(Buffer.byteLength(teamsText)).toBeLessThanOrEqual(6000);
    expect(teamsText).toContain("cluster-0: problem");
    expect(teamsText).toMatch(/… \d+ more not shown/);
  });

  it("falls back to a minimal message when even the fixed parts do not fit", () => {
    const envelope = renderTeams(huge, { maxPayloadBytes: 1500 });
    expectValid(envelope, "teams");
    expect(JSON.stringify(envelope)).toContain("did not fit");
  });
});

describe("message model", () => {
  it("README anchors are the GitHub slugs of the runbook headings", () => {
    const slug = (heading: string) =>
      heading
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s-]/gu, "")
        .replace(/\s/g, "-");
    for (const id of Object.keys(RUNBOOKS) as OpsId[]) expect(slug(RUNBOOKS[id].heading)).toBe(RUNBOOK_ANCHORS[id]);
    expect(RUNBOOK_ANCHORS["OPS-2"]).toBe("ops-2-spot-eviction");
  });

  it("builders set severity defaults and runbooks, and accept overrides", () => {
    expect(samples["eviction-started"]).toMatchObject({
      severity: "warning",
      runbook: "OPS-2",
      digestKey: "eviction.started:k8s-demo",
    });
    expect(samples["eviction-escalation"]).toMatchObject({ severity: "critical", runbook: "OPS-2" });
    expect(samples["certificate-expired"]).toMatchObject({ severity: "critical", runbook: "OPS-3" });
    expect(samples["backup-failed"]).toMatchObject({ severity: "warning", runbook: "OPS-4" });
    expect(samples["nightly-summary-ok"]).toMatchObject({ severity: "info", runbook: "OPS-5" });
    expect(samples["nightly-summary-problems"]).toMatchObject({
      severity: "warning",
      lines: expect.arrayContaining(["app2: last job failed"]),
    });
    expect(samples["provisioning-failed"]!.lines).toHaveLength(2);
    const exhausted = messages.backupFailed({
      environment: "e",
      cluster: "c",
      resource: "r",
      error: "boom",
      retry: { attempt: 2, maxAttempts: 2, started: false },
      correlationId: "x",
      occurredAt: new Date("2026-01-01T00:00:00Z"),
    });
    expect(exhausted.severity).toBe("critical");
    const quiet = messages.certificateExpired({
      ...samples["certificate-expired"]!,
      host: "h",
      notAfter: "2026-01-01T00:00:00Z",
      severity: "warning",
      resource: "r",
    });
    expect(quiet.severity).toBe("warning");
  });

  it("digest lists the events, takes the highest severity, and refuses mixed kinds", () => {
    const a = samples["eviction-started"]!;
    const b = { ...a, correlationId: "evict-9", severity: "critical" as const, occurredAt: "2026-11-24T03:09:00.000Z" };
    const digest = buildDigest([a, b], { windowMinutes: 5 });
    expect(digest).toMatchObject({
      kind: "digest",
      severity: "critical",
      title: "2 more Spot evictions in k8s-demo within 5 min",
      cluster: "app1",
    });
    expect(digest.lines?.[0]).toContain("evict-9"); // ordered by time
    expect(() => buildDigest([a, samples["backup-failed"]!], { windowMinutes: 5 })).toThrow(/one kind/);
  });
});
