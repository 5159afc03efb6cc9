import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { z } from "zod";
import type { RegisterCommand } from "./index";
import { CliUsageError } from "../errors";
import {
  deliver,
  endpointLabel,
  loadNotifySettings,
  messages,
  renderSlack,
  renderTeams,
  Redactor,
  type NotifyLogger,
} from "../../../lib/notify";
import { defaultSpec } from "../../../lib/spec";

/**
 * `aks-platform notify test [--channel NAME]`: sends a sample message to every configured webhook once (no
 * retries, nothing stored) and prints what each endpoint answered, with the URL redacted.
 */

const localSettingsSchema = z.object({ Values: z.record(z.string(), z.string()).optional() });

/** App settings as the Functions host sees them locally: local.settings.json `Values`, overridden by the environment. */
function readSettings(file: string, explicit: boolean): Record<string, string | undefined> {
  if (!existsSync(file)) {
    if (explicit) throw new CliUsageError(`--settings: ${file} does not exist`);
    return { ...process.env };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    throw new CliUsageError(`${file}: not valid JSON`);
  }
  const result = localSettingsSchema.safeParse(parsed);
  if (!result.success) throw new CliUsageError(`${file}: "Values" must be an object of strings`);
  return { ...result.data.Values, ...process.env };
}

const quiet: NotifyLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export const register: RegisterCommand = (program, setExitCode) => {
  const notify = program.command("notify").description("Teams and Slack notifications");
  notify
    .command("test")
    .description("send a sample message to each configured channel and print what each endpoint answered")
    .option("--channel <name>", "only this channel (a name from the spec's notifications.channels)")
    .option("--settings <file>", "local settings file whose Values act as app settings", "local.settings.json")
    .action(async (options: { channel?: string; settings: string }, command: Command) => {
      const notifications = defaultSpec.notifications;
      const names = notifications.channels.map((c) => c.name);
      if (options.channel !== undefined && !names.includes(options.channel)) {
        throw new CliUsageError(`--channel: no channel named "${options.channel}" (known: ${names.join(", ")})`);
      }
      const env = readSettings(options.settings, command.getOptionValueSource("settings") === "cli");
      const settings = loadNotifySettings(env, notifications);
      const redactor = new Redactor(settings.endpoints.map((e) => e.url));
      const runbook = settings.runbookBaseUrl === undefined ? {} : { runbookBaseUrl: settings.runbookBaseUrl };
      let failed = 0;
      let sent = 0;
      for (const channel of notifications.channels) {
        if (options.channel !== undefined && channel.name !== options.channel) continue;
        const endpoints = settings.endpoints.filter((e) => e.channel === channel.name);
        if (endpoints.length === 0) {
          process.stdout.write(`${channel.name}: not configured (${channel.webhookSetting} is empty)\n`);
          continue;
        }
        const message = messages.testMessage({
          environment: defaultSpec.name,
          channel: channel.name,
          correlationId: `notify-test-${Date.now()}`,
          occurredAt: new Date(),
        });
        for (const endpoint of endpoints) {
          const payload = endpoint.kind === "teams" ? renderTeams(message, runbook) : renderSlack(message, runbook);
          const outcome = await deliver(endpoint, payload, {
            allowList: settings.allowList,
            policy: { maxAttempts: 1 },
            logger: quiet,
            redactor,
          });
          sent++;
          const detail =
            outcome.status === "delivered"
              ? `HTTP ${outcome.httpStatus}${outcome.answer ? ` ${outcome.answer}` : ""}`
              : outcome.reason;
          process.stdout.write(`${endpointLabel(endpoint)}: ${outcome.status}, ${detail}\n`);
          if (outcome.status !== "delivered") failed++;
        }
      }
      if (sent === 0) {
        process.stderr.write("notify test: no webhook configured for the selected channels; nothing sent\n");
        setExitCode(1);
      } else if (failed > 0) {
        setExitCode(1);
      }
    });
};
