import type { NotifyMessage } from "./message";
import { RUNBOOKS, runbookLink } from "./message";
import { clampText, fitMessage } from "./fit";

/**
 * Teams: an Adaptive Card 1.4 inside the Workflows ("When a Teams webhook request is received") envelope. Workflows
 * cards cannot post back, so there is no Action.Submit; the runbook is an Action.OpenUrl.
 */

export const TEAMS_MAX_PAYLOAD_BYTES = 28_000;

export interface TeamsEnvelope {
  type: "message";
  attachments: [{ contentType: "application/vnd.microsoft.card.adaptive"; contentUrl: null; content: AdaptiveCard }];
}

export interface AdaptiveCard {
  type: "AdaptiveCard";
  $schema: "http://adaptivecards.io/schemas/adaptive-card.json";
  version: "1.4";
  msteams: { width: "Full" };
  body: CardElement[];
  actions?: Array<{ type: "Action.OpenUrl"; title: string; url: string }>;
}

type CardElement =
  | {
      type: "TextBlock";
      text: string;
      wrap: true;
      weight?: "Bolder";
      size?: "Small" | "Medium" | "Large";
      color?: "Accent" | "Warning" | "Attention";
      isSubtle?: true;
      spacing?: "None" | "Medium";
    }
  | { type: "FactSet"; facts: Array<{ title: string; value: string }> }
  | { type: "Container"; style: "accent" | "warning" | "attention" | "emphasis"; bleed?: true; items: CardElement[] };

export interface TeamsRenderOptions {
  /** Web address of the README holding the runbooks; without it the runbook is named as text (no button). */
  runbookBaseUrl?: string;
  maxPayloadBytes?: number;
}

const STYLE = { info: "accent", warning: "warning", critical: "attention" } as const;
const COLOR = { info: "Accent", warning: "Warning", critical: "Attention" } as const;

export function renderTeams(message: NotifyMessage, options: TeamsRenderOptions = {}): TeamsEnvelope {
  const max = options.maxPayloadBytes ?? TEAMS_MAX_PAYLOAD_BYTES;
  return fitMessage(
    message,
    (m) => envelope(card(m, options.runbookBaseUrl)),
    (e) => Buffer.byteLength(JSON.stringify(e), "utf8") <= max,
  ).rendered;
}

function envelope(content: AdaptiveCard): TeamsEnvelope {
  return {
    type: "message",
    attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null, content }],
  };
}

function card(m: NotifyMessage, runbookBaseUrl: string | undefined): AdaptiveCard {
  const where = [m.environment, m.cluster].filter(Boolean).join(" · ");
  const body: CardElement[] = [
    {
      type: "Container",
      style: STYLE[m.severity],
      bleed: true,
      items: [
        {
          type: "TextBlock",
          text: m.severity.toUpperCase(),
          weight: "Bolder",
          size: "Small",
          color: COLOR[m.severity],
          wrap: true,
        },
        { type: "TextBlock", text: clampText(m.title, 300), weight: "Bolder", size: "Medium", wrap: true },
        { type: "TextBlock", text: where, isSubtle: true, spacing: "None", wrap: true },
      ],
    },
  ];
  if (m.summary) body.push({ type: "TextBlock", text: m.summary, wrap: true });
  if (m.note) {
    body.push({
      type: "Container",
      style: "emphasis",
      items: [{ type: "TextBlock", text: `**Note:** ${m.note}`, wrap: true }],
    });
  }
  const facts = [
    { title: "Environment", value: m.environment },
    ...(m.cluster ? [{ title: "Cluster", value: m.cluster }] : []),
    ...(m.resource ? [{ title: "Resource", value: m.resource }] : []),
    ...m.facts.map((f) => ({ title: f.name, value: f.value })),
    { title: "Occurred", value: m.occurredAt },
    { title: "Correlation id", value: m.correlationId },
  ];
  body.push({ type: "FactSet", facts });
  if (m.lines && m.lines.length > 0) {
    body.push({ type: "TextBlock", text: m.lines.map((l) => `- ${l}`).join("\n"), wrap: true });
  }
  if (m.whatWasDone)
    body.push({ type: "TextBlock", text: `**What was done:** ${m.whatWasDone}`, wrap: true, spacing: "Medium" });
  if (m.nextStep) body.push({ type: "TextBlock", text: `**Next step:** ${m.nextStep}`, wrap: true });
  const runbook = RUNBOOKS[m.runbook];
  const result: AdaptiveCard = {
    type: "AdaptiveCard",
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    version: "1.4",
    msteams: { width: "Full" },
    body,
  };
  if (runbookBaseUrl) {
    result.actions = [
      { type: "Action.OpenUrl", title: `Runbook: ${runbook.heading}`, url: runbookLink(m.runbook, runbookBaseUrl) },
    ];
  } else {
    body.push({
      type: "TextBlock",
      text: `Runbook: ${runbook.heading} (${runbookLink(m.runbook)})`,
      isSubtle: true,
      wrap: true,
    });
  }
  return result;
}
