/** Specs of more environments beside the seed: `specNamed` (the seed renamed, edited, validated) and a channel. */
export { specNamed } from "../drift/helpers";

/** Notifications of one Slack channel for every severity, its webhook in `setting`. */
export const slackOnly = (channel: string, setting: string, digestWindowMinutes = 0) => ({
  channels: [{ name: channel, kind: "slack", webhookSetting: setting }],
  routes: [{ severities: ["info", "warning", "critical"], channels: [channel] }],
  digestWindowMinutes,
});
