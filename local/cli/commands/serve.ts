import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { Option } from "commander";
import { ARM_TOKEN_ENV } from "../../../lib/azure";
import { describeFunctions, startLocalHost, type LocalHost } from "../../host";
import { readLocalSettings } from "../../host/settings";
import type { SharedAzurite } from "../../azurite";
import { ownStateAzurite } from "../../build/runner";
import { startSandboxArm, type SandboxArm } from "../../sandbox";
import { sandboxOptionsFor, SANDBOX_SUBSCRIPTION_ID, STATE_DIR_HELP, stateDirOf, targetOf } from "../../build/target";
import { checkAzureLogin } from "../credentials";
import { CliUsageError } from "../errors";
import { cliConventions, note, paint } from "../output";
import type { RegisterCommand } from "./index";
import { DEFAULT_SANDBOX_TIME_SCALE, parseNumber } from "../target-options";

/**
 * `aks-platform serve`: the app's functions on a local Functions-compatible host, with the durable driver and
 * Azurite. With no options it needs no setup: the sandbox ARM runs in this process on the same state as every
 * `--sandbox` command, and requests need no key on this machine's loopback.
 */

interface ServeOptions {
  port: string;
  settings?: string;
  timeScale?: string;
  virtualTimers?: boolean;
  appRoot?: string;
  sandbox?: boolean;
  subscription?: string;
  armEndpoint?: string;
  requireKeys?: boolean;
  stateDir?: string;
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

/** Sets `name` for this process and returns how to put the old value back. */
function setEnv(name: string, value: string): () => void {
  const old = process.env[name];
  process.env[name] = value;
  return () => {
    if (old === undefined) delete process.env[name];
    else process.env[name] = old;
  };
}

export const register: RegisterCommand = (program) => {
  program
    .command("serve")
    .description(
      "Run the app locally: HTTP functions under /api, the Event Grid webhook, timer triggers and Durable " +
        "orchestrations (local driver on Azurite). By default against the sandbox ARM in this process, sharing the " +
        "state of every --sandbox command. Stops on Ctrl+C.",
    )
    .addOption(new Option("--port <port>", "HTTP port; 0 picks a free one").default("7071"))
    .option("--settings <file>", "local.settings.json to read (default: ./local.settings.json when it exists)")
    .option("--sandbox", "against the sandbox ARM in this process (the default)")
    .option("--subscription <id>", "against this Azure subscription (DefaultAzureCredential; checked at start)")
    .option(
      "--arm-endpoint <url>",
      "ARM endpoint of --subscription (sovereign cloud or an ARM-compatible https stand-in)",
    )
    .option("--require-keys", "refuse /api calls without a function key (prints the key it made when none is set)")
    .option(
      "--time-scale <factor>",
      `run timers and durable timers this many times faster (default: ${DEFAULT_SANDBOX_TIME_SCALE} with the sandbox, else 1)`,
    )
    .option("--virtual-timers", "durable timers fire as soon as nothing else can run (time jumps)")
    .option("--app-root <dir>", "folder holding functions/ and orchestrations/ (default: this app)")
    .option("--state-dir <dir>", STATE_DIR_HELP)
    .action(async (options: ServeOptions) => {
      const port = parseNumber(options.port, "--port", (n) => Number.isInteger(n) && n >= 0 && n <= 65535);
      if (options.sandbox && (options.subscription !== undefined || options.armEndpoint !== undefined))
        throw new CliUsageError("--sandbox runs its own ARM endpoint: leave out --subscription and --arm-endpoint");
      if (options.armEndpoint !== undefined && options.subscription === undefined)
        throw new CliUsageError("--arm-endpoint needs --subscription (the subscription the platform is built in)");
      const sandboxed = options.subscription === undefined;
      const timeScale = parseNumber(
        options.timeScale ?? String(sandboxed ? DEFAULT_SANDBOX_TIME_SCALE : 1),
        "--time-scale",
        (n) => n > 0,
      );
      // A settings file that was named must exist and be valid: silently ignoring it runs something else.
      const settingsFile = path.resolve(options.settings ?? "local.settings.json");
      if (options.settings !== undefined && !existsSync(settingsFile))
        throw new CliUsageError(`--settings ${options.settings}: no such file (${settingsFile})`);
      let settings: ReturnType<typeof readLocalSettings>;
      try {
        settings = readLocalSettings(settingsFile);
      } catch (err) {
        throw new CliUsageError(err instanceof Error ? err.message : String(err));
      }

      const stateDir = stateDirOf(options);
      const restore: (() => void)[] = [];
      let sandbox: SandboxArm | undefined;
      let storage: SharedAzurite | undefined;
      try {
        // The state's Azurite, owned before the sandbox loads its state file there: one process per state folder
        // runs its storage, durable driver and sandbox (README "One state folder, one Azurite").
        const configuredStorage = process.env.AzureWebJobsStorage ?? settings.Values?.AzureWebJobsStorage ?? "";
        if (configuredStorage === "" || /UseDevelopmentStorage=true/i.test(configuredStorage))
          storage = await ownStateAzurite(stateDir);
        if (sandboxed) {
          // The sandbox's endpoint wins over whatever local.settings.json names (the sample's empty endpoint
          // means the public cloud): `serve` without --subscription never reaches Azure.
          sandbox = await startSandboxArm(sandboxOptionsFor(stateDir, timeScale));
          restore.push(
            setEnv("AKS_PLATFORM_ARM_ENDPOINT", sandbox.url),
            setEnv(ARM_TOKEN_ENV, sandbox.token),
            setEnv("AKS_PLATFORM_ARM_CA_FILE", sandbox.caPath),
            setEnv("AKS_PLATFORM_SUBSCRIPTION_ID", SANDBOX_SUBSCRIPTION_ID),
          );
        } else {
          const target = targetOf(options);
          if (options.armEndpoint !== undefined) restore.push(setEnv("AKS_PLATFORM_ARM_ENDPOINT", options.armEndpoint));
          await checkAzureLogin(process.env.AKS_PLATFORM_ARM_ENDPOINT || undefined);
          if (target.kind === "subscription")
            restore.push(setEnv("AKS_PLATFORM_SUBSCRIPTION_ID", target.subscriptionId));
        }
        const configuredKeys = settings.FunctionKeys ?? {};
        const functionKeys =
          options.requireKeys && Object.keys(configuredKeys).length === 0
            ? { default: randomBytes(24).toString("base64url") }
            : configuredKeys;
        const host: LocalHost = await startLocalHost({
          port,
          timeScale,
          settingsFile,
          functionKeys,
          requireKeys: options.requireKeys ?? false,
          ...(storage ? { storageConnectionString: storage.connectionString } : {}),
          ...(options.virtualTimers ? { durableClock: { kind: "virtual" as const } } : {}),
          ...(options.appRoot ? { appRoot: options.appRoot } : {}),
          log: (level, functionName, message) => {
            const line = `[${functionName}] ${message}\n`;
            if (level === "error" || level === "critical") process.stderr.write(paint(line, "red", process.stderr));
            else if (level === "warning") process.stderr.write(paint(line, "yellow", process.stderr));
            else if (level === "information" && !cliConventions().quiet) process.stdout.write(line);
            else if ((level === "debug" || level === "trace") && cliConventions().verbose) process.stdout.write(line);
          },
        });
        note(
          `\nFunctions:\n\n${describeFunctions(host.url)
            .map((l) => `  ${l}`)
            .join("\n")}\n`,
        );
        note(
          options.requireKeys
            ? `Function key (x-functions-key header or ?code=): ${Object.values(functionKeys)[0]}`
            : "No function key needed on this machine (start with --require-keys to require one).",
        );
        note(
          sandbox
            ? `ARM: the sandbox in this process (${sandbox.url}, subscription ${sandbox.subscriptionId}, ${timeScale}× time); state ${stateDir}`
            : `ARM: subscription ${options.subscription} at ${process.env.AKS_PLATFORM_ARM_ENDPOINT || "the public cloud"}; state ${stateDir}`,
        );
        process.stdout.write(`aks-platform serve: listening on ${host.url} (task hub ${host.driver.taskHub})\n`);
        const signal = await waitForSignal();
        process.stdout.write(`aks-platform serve: ${signal}, stopping\n`);
        await host.stop();
      } finally {
        await sandbox?.close();
        await storage?.stop();
        for (const undo of restore.reverse()) undo();
      }
    });
};
