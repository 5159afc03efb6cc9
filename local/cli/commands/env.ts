import type { Command } from "commander";
import { Option } from "commander";
import type { EnvironmentSummary } from "../../../lib/api/environments";
import { CliUsageError } from "../errors";
import type { RegisterCommand } from "./index";

/**
 * `env list` and `env remove NAME`: the app's registry of environments, through the HTTP API of a running app
 * (`aks-platform serve` locally, or the Function App in Azure), so the CLI and the API never disagree.
 */

interface HostOptions {
  host: string;
  key?: string;
}

function hostOptions(command: Command): Command {
  return command
    .option(
      "--host <url>",
      "base URL of the app: `aks-platform serve` or https://<app>.azurewebsites.net",
      "http://127.0.0.1:7071",
    )
    .option("--key <key>", "function key (x-functions-key); default AKS_PLATFORM_FUNCTION_KEY");
}

async function call(options: HostOptions, route: string, method: string): Promise<{ status: number; body: unknown }> {
  const base = options.host.replace(/\/+$/, "");
  if (!URL.canParse(base)) throw new CliUsageError(`--host ${options.host} is not a URL`);
  const key = options.key ?? process.env["AKS_PLATFORM_FUNCTION_KEY"];
  let response: Response;
  try {
    response = await fetch(`${base}/api/${route}`, { method, headers: key ? { "x-functions-key": key } : {} });
  } catch (err) {
    throw new Error(`cannot reach ${base}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page): shown as it is.
  }
  return { status: response.status, body };
}

function errorOf(status: number, body: unknown): string {
  const message = (body as { error?: unknown } | undefined)?.error;
  return `HTTP ${status}: ${typeof message === "string" ? message : JSON.stringify(body)}`;
}

export function formatEnvironments(environments: readonly EnvironmentSummary[]): string {
  const rows = environments.map((e) => [
    e.name,
    e.state,
    e.subscriptionId,
    e.clusters.filter((c) => !(e.tornDownClusters ?? []).includes(c)).join(",") +
      ((e.tornDownClusters ?? []).length > 0 ? ` (torn down: ${e.tornDownClusters!.join(",")})` : ""),
    e.builtAt ?? "-",
    e.running.length > 0 ? e.running.join(", ") : "-",
  ]);
  const header = ["NAME", "STATE", "SUBSCRIPTION", "CLUSTERS", "BUILT", "RUNNING"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export const register: RegisterCommand = (program, setExitCode) => {
  const env = program.command("env").description("The app's registry of environments (through its HTTP API).");

  hostOptions(
    env
      .command("list")
      .description("Every environment the app knows: state, subscription, clusters, last build, what runs now.")
      .addOption(new Option("--format <format>", "output on stdout").choices(["json", "text"]).default("text")),
  ).action(async (options: HostOptions & { format: "json" | "text" }) => {
    const { status, body } = await call(options, "environments", "GET");
    if (status !== 200) throw new Error(errorOf(status, body));
    const list = (body as { environments: EnvironmentSummary[] }).environments;
    process.stdout.write(`${options.format === "json" ? JSON.stringify(list, null, 2) : formatEnvironments(list)}\n`);
  });

  hostOptions(
    env
      .command("remove")
      .description("Forget an environment (its Azure resources stay); refused while anything of it runs.")
      .argument("<name>", "environment name"),
  ).action(async (name: string, options: HostOptions) => {
    const { status, body } = await call(options, `environments/${encodeURIComponent(name)}`, "DELETE");
    if (status === 200) {
      process.stdout.write(`removed ${name} from the registry; its Azure resources were not touched\n`);
      return;
    }
    process.stderr.write(`error: ${errorOf(status, body)}\n`);
    setExitCode(1);
  });
};
