import type { InvocationContext, Timer } from "@azure/functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notifyRetryHandler } from "../../functions/notifyRetry";
import { storageFromConnectionString } from "../../lib/azure";
import { EnvironmentRegistry } from "../../lib/environments";
import { NotifyStore } from "../../lib/notify";
import { startAzurite, type AzuriteHandle } from "../../local/azurite";
import { startSink, type Sink } from "../helpers/sink";
import { slackOnly, specNamed } from "../helpers/specs";
import { samples } from "../notify/fixtures";

/**
 * notifyRetry as the timer runs it, over the real registry and outboxes on Azurite: what lab kept is sent with
 * lab's own settings (its channel and its 45-minute digest window, not the seed's 5 minutes), and nothing of it
 * reaches the seed's channels.
 */

describe("notifyRetry sends each environment's kept messages with that environment's settings", () => {
  let azurite: AzuriteHandle;
  let sink: Sink;
  const saved = process.env.AzureWebJobsStorage;
  beforeAll(async () => {
    azurite = await startAzurite();
    sink = await startSink({ defaultResponse: { status: 200, body: "ok" } });
    process.env.AzureWebJobsStorage = azurite.connectionString;
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.AzureWebJobsStorage;
    else process.env.AzureWebJobsStorage = saved;
    await sink?.close();
    await azurite?.stop();
  });

  it("a digest lab kept goes to lab's channel, titled with lab's digest window", async () => {
    const storage = storageFromConnectionString(azurite.connectionString);
    const lab = specNamed("lab", (raw) => {
      raw["notifications"] = slackOnly("lab-slack", "LAB_SLACK_WEBHOOK_URL", 45);
    });
    await (await EnvironmentRegistry.open({ storage })).recordBuildAccepted(lab, new Date());
    const outbox = await NotifyStore.open({ storage }, "lab");
    const ended = new Date(Date.now() - 3_600_000);
    const window = await outbox.openDigestWindow(
      "backup-failed:lab",
      new Date(ended.getTime() - 45 * 60_000),
      ended,
      new Date(ended.getTime() - 45 * 60_000).toISOString(),
    );
    const message = { ...samples["backup-failed"]!, environment: "lab" };
    await outbox.addDigestItem(window!, message);
    await outbox.addDigestItem(window!, { ...message, correlationId: "backup-2" });

    const env = {
      ...process.env,
      LAB_SLACK_WEBHOOK_URL: `${sink.url}/lab`,
      AKS_PLATFORM_TEAMS_WEBHOOK_URL: `${sink.url}/seed-teams`,
      AKS_PLATFORM_SLACK_WEBHOOK_URL: `${sink.url}/seed-slack`,
      AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS: sink.host,
    };
    const logged: string[] = [];
    const log = (m: string) => void logged.push(m);
    const context = { info: log, warn: log, error: log, log, debug: log } as unknown as InvocationContext;
    await notifyRetryHandler(env)({ isPastDue: false } as Timer, context);

    const bodies = sink.requestsTo("/lab").map((r) => r.body);
    expect(bodies, logged.join("\n")).toHaveLength(1);
    expect(bodies[0]).toContain("in lab within 45 min");
    expect([...sink.requestsTo("/seed-teams"), ...sink.requestsTo("/seed-slack")]).toEqual([]);
  });
});
