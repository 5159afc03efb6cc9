import type { BuildStatus, DeploymentProgress } from "../../lib/plan/progress";
import { paint, type Colour } from "./output";

/**
 * Live build progress for a terminal: a redrawn table on a TTY, one line per state change elsewhere (CI logs,
 * pipes), so the output stays readable in both.
 */
export class BuildProgressView {
  private readonly seen = new Map<string, string>();
  private drawnLines = 0;
  private readonly startedAt = Date.now();

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}

  update(status: BuildStatus | undefined, runtimeStatus: string): void {
    if (!status) return;
    if (this.out.isTTY) this.redraw(status, runtimeStatus);
    else this.appendChanges(status.deployments);
  }

  private appendChanges(deployments: readonly DeploymentProgress[]): void {
    for (const d of deployments) {
      const key = `${d.state}${d.reused ? " (unchanged, not redone)" : ""}`;
      if (this.seen.get(d.name) === key || d.state === "pending") continue;
      this.seen.set(d.name, key);
      this.out.write(
        `${elapsed(this.startedAt)}  ${d.name.padEnd(40)} ${key}${d.error ? `: ${d.error.code}: ${d.error.message}` : ""}\n`,
      );
    }
  }

  private redraw(status: BuildStatus, runtimeStatus: string): void {
    const lines = [`${status.environment} (${status.mode}) ${runtimeStatus}, ${elapsed(this.startedAt)} elapsed`];
    for (const phase of status.phases) {
      lines.push(`  ${this.symbol(phase.state)} ${phase.name}`);
      for (const d of status.deployments.filter((x) => x.phase === phase.name)) {
        lines.push(
          `      ${this.symbol(d.state)} ${d.name}${d.reused ? " (unchanged)" : ""}${d.error ? `  ${d.error.code}` : ""}`,
        );
      }
    }
    if (this.drawnLines > 0) this.out.write(`\x1b[${this.drawnLines}A\x1b[0J`);
    this.out.write(`${lines.join("\n")}\n`);
    this.drawnLines = lines.length;
  }

  private symbol(state: DeploymentProgress["state"]): string {
    const [mark, colour] = SYMBOLS[state];
    return colour ? paint(mark, colour, this.out) : mark;
  }
}

const SYMBOLS: Record<DeploymentProgress["state"], [string, Colour | undefined]> = {
  pending: ["·", "dim"],
  running: ["…", "yellow"],
  succeeded: ["✔", "green"],
  failed: ["✖", "red"],
  skipped: ["⊘", "dim"],
};

function elapsed(since: number): string {
  const s = Math.round((Date.now() - since) / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}
