// Rendering cost of notifications: ordinary messages, and the truncation path for oversized ones (binary search
// over list lines, re-rendering each step). Prints `name: value` lines.
import { performance } from "node:perf_hooks";
import { messages, renderSlack, renderTeams, type NotifyMessage } from "../../lib/notify";

const ordinary = messages.provisioningFailed({
  environment: "k8s-demo",
  instanceId: "k8s-demo",
  failures: Array.from({ length: 5 }, (_, i) => ({
    phase: "clusters",
    unit: `aks-${i}`,
    message: "QuotaExceeded: not enough vCPU quota",
  })),
  correlationId: "bench",
  occurredAt: "2026-11-24T00:00:00Z",
});
const oversized: NotifyMessage = {
  ...ordinary,
  lines: Array.from({ length: 5000 }, (_, i) => `failure ${i}: ${"x".repeat(100)}`),
};

function perSecond(fn: () => unknown, minMs = 500): number {
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    fn();
    n++;
  }
  return Math.round((n * 1000) / (performance.now() - start));
}

const teams = perSecond(() => renderTeams(ordinary));
const slack = perSecond(() => renderSlack(ordinary));
const teamsBig = perSecond(() => renderTeams(oversized));
const slackBig = perSecond(() => renderSlack(oversized));
console.log(`notify.render_teams_per_sec: ${teams}`);
console.log(`notify.render_slack_per_sec: ${slack}`);
console.log(`notify.render_teams_truncated_5000_lines_per_sec: ${teamsBig}`);
console.log(`notify.render_slack_truncated_5000_lines_per_sec: ${slackBig}`);
console.log(`notify.truncation_slowdown_teams_ratio: ${(teams / teamsBig).toFixed(1)}`);
