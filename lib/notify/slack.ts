import type { NotifyMessage } from "./message";
import { RUNBOOKS, runbookLink } from "./message";
import { clampText, fitMessage } from "./fit";

/**
 * Slack incoming webhook: Block Kit `blocks` plus a `text` fallback (used for notifications and by clients that
 * cannot show blocks). The runbook is a mrkdwn link rather than a button: URL buttons from an incoming webhook
 * without an interactivity endpoint show an error marker in Slack.
 */

export const SLACK_LIMITS = {
  blocks: 50,
  sectionText: 3000,
  header: 150,
  field: 2000,
  fieldsPerSection: 10,
  contextText: 3000,
  text: 3000,
};

interface Mrkdwn {
  type: "mrkdwn";
  text: string;
}

export type SlackBlock =
  | { type: "header"; text: { type: "plain_text"; text: string; emoji: true } }
  | { type: "context"; elements: Mrkdwn[] }
  | { type: "section"; text: Mrkdwn }
  | { type: "section"; fields: Mrkdwn[] };

export interface SlackPayload {
  text: string;
  blocks: SlackBlock[];
}

export interface SlackRenderOptions {
  /** Web address of the README holding the runbooks; without it the runbook is named as text. */
  runbookBaseUrl?: string;
}

const EMOJI = { info: ":information_source:", warning: ":warning:", critical: ":red_circle:" } as const;

export function renderSlack(message: NotifyMessage, options: SlackRenderOptions = {}): SlackPayload {
  return fitMessage(
    message,
    (m) => payload(m, options.runbookBaseUrl),
    (p) => p.blocks.length <= SLACK_LIMITS.blocks,
  ).rendered;
}

/** Slack mrkdwn treats these three as control characters; everything else is shown as typed. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function section(text: string): SlackBlock {
  return { type: "section", text: { type: "mrkdwn", text: clampText(text, SLACK_LIMITS.sectionText) } };
}

function payload(m: NotifyMessage, runbookBaseUrl: string | undefined): SlackPayload {
  const e = escapeMrkdwn;
  const where = [`environment *${e(m.environment)}*`, ...(m.cluster ? [`cluster *${e(m.cluster)}*`] : [])].join(" · ");
  const blocks: SlackBlock[] = [
    {
      type: "header",
      text: {
        type: "plain_text",
        text: clampText(`${EMOJI[m.severity]} ${m.title}`, SLACK_LIMITS.header),
        emoji: true,
      },
    },
    {
      type: "context",
      elements: [
        {
          type: "mrkdwn",
          text: clampText(`*${m.severity.toUpperCase()}* · ${where} · ${m.occurredAt}`, SLACK_LIMITS.contextText),
        },
      ],
    },
  ];
  if (m.summary) blocks.push(section(e(m.summary)));
  if (m.note) blocks.push(section(`:exclamation: *Note:* ${e(m.note)}`));
  const facts = [...(m.resource ? [{ name: "Resource", value: m.resource }] : []), ...m.facts];
  for (let i = 0; i < facts.length; i += SLACK_LIMITS.fieldsPerSection) {
    const fields = facts
      .slice(i, i + SLACK_LIMITS.fieldsPerSection)
      .map((f): Mrkdwn => ({ type: "mrkdwn", text: clampText(`*${e(f.name)}*\n${e(f.value)}`, SLACK_LIMITS.field) }));
    blocks.push({ type: "section", fields });
  }
  for (const chunk of chunkLines(
    (m.lines ?? []).map((l) => `• ${e(l)}`),
    SLACK_LIMITS.sectionText,
  ))
    blocks.push(section(chunk));
  if (m.whatWasDone) blocks.push(section(`*What was done*\n${e(m.whatWasDone)}`));
  if (m.nextStep) blocks.push(section(`*Next step*\n${e(m.nextStep)}`));
  const heading = RUNBOOKS[m.runbook].heading;
  const runbook = runbookBaseUrl
    ? `<${runbookLink(m.runbook, runbookBaseUrl)}|${heading}>`
    : `${heading} (${runbookLink(m.runbook)})`;
  blocks.push({
    type: "context",
    elements: [
      {
        type: "mrkdwn",
        text: clampText(`Runbook: ${runbook} · Correlation id \`${e(m.correlationId)}\``, SLACK_LIMITS.contextText),
      },
    ],
  });
  const text = clampText(
    `[${m.severity.toUpperCase()}] ${m.title} (${[m.environment, m.cluster].filter(Boolean).join("/")})`,
    SLACK_LIMITS.text,
  );
  return { text, blocks };
}

/** Groups lines into texts of at most `max` characters; a single longer line is cut with a note. */
function chunkLines(lines: string[], max: number): string[] {
  const chunks: string[] = [];
  let current = "";
  for (const raw of lines) {
    const line = clampText(raw, max);
    if (current && current.length + 1 + line.length > max) {
      chunks.push(current);
      current = line;
    } else {
      current = current ? `${current}\n${line}` : line;
    }
  }
  if (current) chunks.push(current);
  return chunks;
}
