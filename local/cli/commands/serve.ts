import { Option } from "commander";
import { startLocalHost, type LocalHost } from "../../host";
import { CliUsageError } from "../errors";
import type { RegisterCommand } from "./index";

/** `aks-platform serve`: the app's functions on a local Functions-compatible host, with durable driver and Azurite. */

interface ServeOptions {
  port: string;
  settings?: string;
  timeScale: string;
  virtualTimers?: boolean;
  appRoot?: string;
}

function parseNumber(text: string, what: string, check: (n: number) => boolean): number {
  const value = Number(text);
  if (!Number.isFinite(value) || !check(value)) throw new CliUsageError(`${what} "${text}" is not valid`);
  return value;
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

export const register: RegisterCommand = (program) => {
  program
    .command("serve")
    .description(
      "Run the app locally: HTTP functions under /api, the Event Grid webhook, timer triggers and Durable " +
        "orchestrations (local driver on Azurite). Stops on Ctrl+C.",
    )
    .addOption(new Option("--port <port>", "HTTP port; 0 picks a free one").default("7071"))
    .option("--settings <file>", "local.settings.json to read (default: ./local.settings.json)")
    .addOption(new Option("--time-scale <factor>", "run timers and durable timers this many times faster").default("1"))
    .option("--virtual-timers", "durable timers fire as soon as nothing else can run (time jumps)")
    .option("--app-root <dir>", "folder holding functions/ and orchestrations/ (default: this app)")
    .action(async (options: ServeOptions) => {
      const port = parseNumber(options.port, "--port", (n) => Number.isInteger(n) && n >= 0 && n <= 65535);
      const timeScale = parseNumber(options.timeScale, "--time-scale", (n) => n > 0);
      const host: LocalHost = await startLocalHost({
        port,
        timeScale,
        ...(options.settings ? { settingsFile: options.settings } : {}),
        ...(options.virtualTimers ? { durableClock: { kind: "virtual" as const } } : {}),
        ...(options.appRoot ? { appRoot: options.appRoot } : {}),
        log: (level, functionName, message) => {
          const line = `[${functionName}] ${message}\n`;
          if (level === "error" || level === "critical" || level === "warning") process.stderr.write(line);
          else if (level === "information") process.stdout.write(line);
        },
      });
      process.stdout.write(`aks-platform serve: listening on ${host.url} (task hub ${host.driver.taskHub})\n`);
      const signal = await waitForSignal();
      process.stdout.write(`aks-platform serve: ${signal}, stopping\n`);
      await host.stop();
    });
};
