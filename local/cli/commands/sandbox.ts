import path from "node:path";
import { Option } from "commander";
import { ARM_TOKEN_ENV } from "../../../lib/azure";
import { DEFAULT_SANDBOX_DIR, startSandboxArm } from "../../sandbox";
import { CliUsageError } from "../errors";
import type { RegisterCommand } from "./index";
import { parseNumber } from "../target-options";

/** `aks-platform sandbox`: the sandbox ARM server on its own, for the local host or a second terminal. */

interface SandboxCommandOptions {
  port: string;
  stateDir: string;
  timeScale: string;
  token?: string;
  memory?: boolean;
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

export const register: RegisterCommand = (program) => {
  program
    .command("sandbox")
    .description(
      "Run the sandbox ARM server: a local HTTPS stand-in for Azure Resource Manager that expands templates, " +
        "simulates timing, throttling and faults, and serves AKS run command and Data Protection. Stops on Ctrl+C.",
    )
    .addOption(new Option("--port <port>", "HTTPS port; 0 picks a free one").default("0"))
    .addOption(
      new Option("--state-dir <dir>", "folder for the local CA (ca.pem) and state.json").default(DEFAULT_SANDBOX_DIR),
    )
    .addOption(
      new Option(
        "--time-scale <factor>",
        "simulated seconds per real second (60: a 10-minute AKS create takes 10 s)",
      ).default("1"),
    )
    .option("--token <token>", `static bearer token to accept (default: $${ARM_TOKEN_ENV}, else a random one)`)
    .option("--memory", "keep state in memory only (no state.json)")
    .action(async (options: SandboxCommandOptions) => {
      const port = parseNumber(options.port, "--port", (n) => Number.isInteger(n) && n >= 0 && n <= 65535);
      const timeScale = parseNumber(options.timeScale, "--time-scale", (n) => n > 0);
      const token = options.token ?? process.env[ARM_TOKEN_ENV];
      if (token !== undefined && token.length < 16) throw new CliUsageError("--token must be at least 16 characters");
      const stateDir = path.resolve(options.stateDir);
      const sandbox = await startSandboxArm({
        port,
        timeScale,
        stateDir,
        ...(token !== undefined ? { token } : {}),
        ...(options.memory ? {} : { stateFile: path.join(stateDir, "state.json") }),
      });
      process.stdout.write(
        [
          `sandbox ARM listening on ${sandbox.url} (subscription ${sandbox.subscriptionId}, tenant ${sandbox.tenantId})`,
          `export AKS_PLATFORM_ARM_ENDPOINT=${sandbox.url}`,
          `export ${ARM_TOKEN_ENV}=${sandbox.token}`,
          `export NODE_EXTRA_CA_CERTS=${sandbox.caPath}`,
          "",
        ].join("\n"),
      );
      await waitForSignal();
      await sandbox.close();
      process.stdout.write("sandbox ARM stopped\n");
    });
};
