import { existsSync } from "node:fs";

/**
 * Debian's Chromium, driven by playwright-core (no browser download exists on these machines). The flags keep it
 * off the network: without them it tries Google's services at every start.
 */
export const CHROMIUM = "/usr/bin/chromium";

export const CHROMIUM_LAUNCH = {
  executablePath: CHROMIUM,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};

/** Why browser tests cannot run here (they are skipped with this text), or undefined when they can. */
export function chromiumMissingReason(): string | undefined {
  return existsSync(CHROMIUM)
    ? undefined
    : `${CHROMIUM} is not installed: run 'apt-get update && apt-get install -y chromium' (.ci/run does)`;
}
