/**
 * Compact JSON schemas (draft-07) of exactly what lib/notify emits: the Teams Workflows envelope with the Adaptive
 * Card 1.4 subset we use, and the Slack incoming-webhook payload with the Block Kit blocks we use. Closed
 * (`additionalProperties: false`) and carrying the channel limits, so an unsupported element (Action.Submit),
 * a typo or an over-long text fails validation.
 */

const textBlock = {
  type: "object",
  additionalProperties: false,
  required: ["type", "text", "wrap"],
  properties: {
    type: { const: "TextBlock" },
    text: { type: "string", minLength: 1 },
    wrap: { const: true },
    weight: { enum: ["Default", "Lighter", "Bolder"] },
    size: { enum: ["Default", "Small", "Medium", "Large", "ExtraLarge"] },
    color: { enum: ["Default", "Dark", "Light", "Accent", "Good", "Warning", "Attention"] },
    isSubtle: { type: "boolean" },
    spacing: { enum: ["None", "Small", "Default", "Medium", "Large", "ExtraLarge", "Padding"] },
  },
} as const;

const factSet = {
  type: "object",
  additionalProperties: false,
  required: ["type", "facts"],
  properties: {
    type: { const: "FactSet" },
    facts: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["title", "value"],
        properties: { title: { type: "string" }, value: { type: "string" } },
      },
    },
  },
} as const;

export const teamsEnvelopeSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "aks-platform/teams-envelope",
  definitions: {
    element: { anyOf: [textBlock, factSet, { $ref: "#/definitions/container" }] },
    container: {
      type: "object",
      additionalProperties: false,
      required: ["type", "items"],
      properties: {
        type: { const: "Container" },
        style: { enum: ["default", "emphasis", "good", "attention", "warning", "accent"] },
        bleed: { type: "boolean" },
        items: { type: "array", minItems: 1, items: { $ref: "#/definitions/element" } },
      },
    },
  },
  type: "object",
  additionalProperties: false,
  required: ["type", "attachments"],
  properties: {
    type: { const: "message" },
    attachments: {
      type: "array",
      minItems: 1,
      maxItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["contentType", "contentUrl", "content"],
        properties: {
          contentType: { const: "application/vnd.microsoft.card.adaptive" },
          contentUrl: { type: "null" },
          content: {
            type: "object",
            additionalProperties: false,
            required: ["type", "$schema", "version", "body"],
            properties: {
              type: { const: "AdaptiveCard" },
              $schema: { const: "http://adaptivecards.io/schemas/adaptive-card.json" },
              version: { const: "1.4" },
              msteams: { type: "object", additionalProperties: false, properties: { width: { const: "Full" } } },
              body: { type: "array", minItems: 1, items: { $ref: "#/definitions/element" } },
              actions: {
                type: "array",
                items: {
                  type: "object",
                  additionalProperties: false,
                  required: ["type", "title", "url"],
                  properties: {
                    type: { const: "Action.OpenUrl" },
                    title: { type: "string", minLength: 1 },
                    url: { type: "string", pattern: "^https://" },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

const mrkdwn = (maxLength: number) =>
  ({
    type: "object",
    additionalProperties: false,
    required: ["type", "text"],
    properties: { type: { const: "mrkdwn" }, text: { type: "string", minLength: 1, maxLength } },
  }) as const;

export const slackPayloadSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "aks-platform/slack-payload",
  type: "object",
  additionalProperties: false,
  required: ["text", "blocks"],
  properties: {
    text: { type: "string", minLength: 1, maxLength: 3000 },
    blocks: {
      type: "array",
      minItems: 1,
      maxItems: 50,
      items: {
        anyOf: [
          {
            type: "object",
            additionalProperties: false,
            required: ["type", "text"],
            properties: {
              type: { const: "header" },
              text: {
                type: "object",
                additionalProperties: false,
                required: ["type", "text"],
                properties: {
                  type: { const: "plain_text" },
                  text: { type: "string", minLength: 1, maxLength: 150 },
                  emoji: { type: "boolean" },
                },
              },
            },
          },
          {
            type: "object",
            additionalProperties: false,
            required: ["type", "elements"],
            properties: {
              type: { const: "context" },
              elements: { type: "array", minItems: 1, maxItems: 10, items: mrkdwn(3000) },
            },
          },
          {
            type: "object",
            additionalProperties: false,
            required: ["type", "text"],
            properties: { type: { const: "section" }, text: mrkdwn(3000) },
          },
          {
            type: "object",
            additionalProperties: false,
            required: ["type", "fields"],
            properties: {
              type: { const: "section" },
              fields: { type: "array", minItems: 1, maxItems: 10, items: mrkdwn(2000) },
            },
          },
        ],
      },
    },
  },
} as const;
