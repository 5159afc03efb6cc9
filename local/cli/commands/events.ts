import { readFile, stat } from "node:fs/promises";
import { Option } from "commander";
import { classifyDelivery, EventClassifier, MAX_DELIVERY_BYTES } from "../../../lib/events";
import type { DomainEvent } from "../../../lib/events";
import { defaultSpec, loadSpecFile, SpecParseError, SpecValidationError } from "../../../lib/spec";
import type { PlatformSpec } from "../../../lib/spec";
import { CliUsageError } from "../errors";
import type { RegisterCommand } from "./index";

/** `aks-platform events classify FILE…`: what the app would make of delivered events, offline. */

interface ClassifyOptions {
  spec?: string;
  format: "json" | "text";
  tlsPattern?: string;
}

/** One output row: a classified event, or why a file (or one element of its batch) is not usable. */
type Row =
  | ({ file: string; index?: number } & Pick<
      DomainEvent,
      "kind" | "eventType" | "subject" | "resourceId" | "cluster" | "pool" | "severity" | "dedupeKey" | "reason"
    > & {
        watchKey?: string;
      })
  | { file: string; index?: number; error: string };

function toRow(file: string, index: number | undefined, event: DomainEvent): Row {
  return {
    file,
    ...(index !== undefined ? { index } : {}),
    kind: event.kind,
    eventType: event.eventType,
    subject: event.subject,
    ...(event.resourceId !== undefined ? { resourceId: event.resourceId } : {}),
    ...(event.cluster !== undefined ? { cluster: event.cluster } : {}),
    ...(event.pool !== undefined ? { pool: event.pool } : {}),
    severity: event.severity,
    dedupeKey: event.dedupeKey,
    reason: event.reason,
    ...(event.kind === "spot-eviction" ? { watchKey: event.watchKey } : {}),
  };
}

async function classifyFile(file: string, classifier: EventClassifier): Promise<Row[]> {
  let body: string;
  try {
    // Checked before reading: a delivery can never be larger, and a huge file should not be loaded whole.
    const info = await stat(file);
    if (!info.isFile()) return [{ file, error: "not a regular file" }];
    if (info.size > MAX_DELIVERY_BYTES)
      return [{ file, error: `too large: ${info.size} bytes; a delivery holds at most ${MAX_DELIVERY_BYTES}` }];
    body = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return [{ file, error: code === "ENOENT" ? "no such file" : `cannot read the file (${code ?? String(err)})` }];
  }
  const delivery = await classifyDelivery(body, classifier);
  if (!delivery.ok) return [{ file, error: delivery.problem.message }];
  return delivery.items.map((item) => {
    const index = delivery.batch ? item.index : undefined;
    return item.ok
      ? toRow(file, index, item.event)
      : { file, ...(index !== undefined ? { index } : {}), error: item.error };
  });
}

function renderText(rows: Row[]): string {
  return rows
    .map((row) => {
      const where = `${row.file}${row.index !== undefined ? `#${row.index}` : ""}`;
      if ("error" in row) return `${where}: error: ${row.error}`;
      const target = row.cluster !== undefined ? ` ${row.cluster}${row.pool !== undefined ? `/${row.pool}` : ""}` : "";
      return `${where}: ${row.kind} ${row.severity}${target} ${row.eventType} — ${row.reason}`;
    })
    .join("\n");
}

async function readSpec(file: string | undefined): Promise<PlatformSpec> {
  return file === undefined ? defaultSpec : loadSpecFile(file);
}

function tlsPattern(text: string | undefined): RegExp | undefined {
  if (text === undefined) return undefined;
  try {
    return new RegExp(text, "i");
  } catch (err) {
    throw new CliUsageError(
      `--tls-pattern is not a regular expression: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

export const register: RegisterCommand = (program, setExitCode) => {
  const events = program
    .command("events")
    .description("Work with Event Grid / CloudEvents / Azure Monitor alert payloads offline.");
  events
    .command("classify")
    .description(
      "Classify events from files (one event, a batch array, or an Azure Monitor common-alert payload each).",
    )
    .argument("<files...>", "files holding delivered event payloads")
    .option(
      "--spec <file>",
      "platform spec (JSON or YAML) for mapping resources to clusters; default: the seed spec k8s-demo",
    )
    .option(
      "--tls-pattern <regex>",
      "Key Vault object names that are platform TLS material (case-insensitive); default: tls",
    )
    .addOption(new Option("--format <format>", "output on stdout").choices(["json", "text"]).default("text"))
    .action(async (files: string[], options: ClassifyOptions) => {
      let spec: PlatformSpec;
      try {
        spec = await readSpec(options.spec);
      } catch (err) {
        if (!(err instanceof SpecParseError || err instanceof SpecValidationError)) throw err;
        process.stderr.write(`error: ${err.message}\n`);
        setExitCode(1);
        return;
      }
      const pattern = tlsPattern(options.tlsPattern);
      const classifier = new EventClassifier({ spec, ...(pattern !== undefined ? { tlsObjectPattern: pattern } : {}) });
      const rows: Row[] = [];
      for (const file of files) rows.push(...(await classifyFile(file, classifier)));
      process.stdout.write(options.format === "json" ? `${JSON.stringify(rows, null, 2)}\n` : `${renderText(rows)}\n`);
      if (rows.some((row) => "error" in row)) setExitCode(1);
    });
};
