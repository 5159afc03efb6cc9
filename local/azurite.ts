import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ensureSandboxTls } from "./sandbox/tls";

/** Azurite's well-known development account (public, documented; not a secret). */
export const DEV_ACCOUNT = "devstoreaccount1";
export const DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteHandle {
  blobEndpoint: string;
  queueEndpoint: string;
  tableEndpoint: string;
  /** A connection string for @azure/storage-blob, @azure/data-tables and the Functions host (`AzureWebJobsStorage`). */
  connectionString: string;
  /** The account the service URIs name (`devstoreaccount1`, or the `account` option). */
  account: string;
  /** True when Azurite runs with `--oauth basic` over HTTPS: bearer tokens (aud https://storage.azure.com) accepted. */
  oauth: boolean;
  /** The folder holding Azurite's data (persisted across restarts when given as `location`). */
  location: string;
  /** Process id of the Azurite server. */
  pid: number;
  stop(): Promise<void>;
}

export interface StartAzuriteOptions {
  /** Data folder; a fresh temporary one (removed on stop) when omitted. */
  location?: string;
  /** Fixed ports (e.g. to reuse data after a restart); 0 or omitted = free ports chosen by the OS. */
  ports?: { blob?: number; queue?: number; table?: number };
  /** Default 90 s: on a loaded 2-core machine Azurite's own start has taken over 30 s. */
  startTimeoutMs?: number;
  /**
   * Azurite's OAuth mode over HTTPS (`--oauth basic --cert --key`), the certificate issued by the local CA in
   * `tlsDir` (the sandbox's): identity-based clients work, as against Azure Storage with Entra ID.
   */
  oauth?: { tlsDir: string };
  /** An extra storage account (Azurite's AZURITE_ACCOUNTS), e.g. the one infra/main.json names. */
  account?: string;
}

const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at (https?:\/\/\S+)/;

/**
 * Runs Azurite's script so that it ends when the process that started it dies, however it dies (a killed build
 * must not leave an Azurite behind on the data folder the resumed build opens): the parent holds the child's
 * stdin open, and when that pipe closes the child shuts down as on SIGTERM. Azurite keeps its metadata in memory
 * and writes it to the data folder every 5 s and on that shutdown, so exiting at once would lose the killed
 * build's last seconds of state (a completed step, or an instance's status row). A shutdown that has not ended
 * within 10 s exits anyway.
 */
const EXIT_WITH_PARENT = [
  "const [script, ...args] = process.argv.slice(1);",
  "process.argv = [process.argv[0], script, ...args];",
  // The dead parent's end of stdout/stderr is gone: the shutdown's log lines must not crash it (EPIPE) before it saves.
  "for (const out of [process.stdout, process.stderr]) out.on('error', () => undefined);",
  // unref: the pipe and the fallback only watch; they must not keep Azurite alive after its own shutdown.
  "const shutdown = () => { process.kill(process.pid, 'SIGTERM'); setTimeout(() => process.exit(0), 10000).unref(); };",
  "process.stdin.on('end', shutdown).resume().unref();",
  "require(script);",
].join("\n");

/** Starts Azurite from node_modules on loopback and resolves once all three services listen. */
export async function startAzurite(options: StartAzuriteOptions = {}): Promise<AzuriteHandle> {
  const ownsLocation = options.location === undefined;
  const location = options.location ?? mkdtempSync(path.join(tmpdir(), "azurite-"));
  const script = require.resolve("azurite/dist/src/azurite.js");
  const args = [
    "-e",
    EXIT_WITH_PARENT,
    script,
    ...["--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1"],
    ...["--blobPort", String(options.ports?.blob ?? 0), "--queuePort", String(options.ports?.queue ?? 0)],
    ...["--tablePort", String(options.ports?.table ?? 0)],
    ...["--location", location, "--skipApiVersionCheck", "--disableTelemetry", "--loose"],
  ];
  if (options.oauth) {
    const tls = ensureSandboxTls(options.oauth.tlsDir);
    const cert = path.join(location, "azurite-cert.pem");
    const key = path.join(location, "azurite-key.pem");
    writeFileSync(cert, tls.certPem);
    writeFileSync(key, tls.keyPem, { mode: 0o600 });
    args.push("--oauth", "basic", "--cert", cert, "--key", key);
  }
  const account = options.account ?? DEV_ACCOUNT;
  const env = { ...process.env };
  // The development account stays (connection-string users); the extra one is what the deployed settings name.
  if (options.account) env.AZURITE_ACCOUNTS = `${DEV_ACCOUNT}:${DEV_KEY};${options.account}:${DEV_KEY}`;
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"], env });
  const endpoints = await waitForEndpoints(child, options.startTimeoutMs ?? 90_000);
  const { Blob: blob, Queue: queue, Table: table } = endpoints;
  const suffix = `/${account}`;
  const protocol = options.oauth ? "https" : "http";
  return {
    account,
    oauth: options.oauth !== undefined,
    blobEndpoint: blob + suffix,
    queueEndpoint: queue + suffix,
    tableEndpoint: table + suffix,
    connectionString:
      `DefaultEndpointsProtocol=${protocol};AccountName=${account};AccountKey=${DEV_KEY};` +
      `BlobEndpoint=${blob}${suffix};QueueEndpoint=${queue}${suffix};TableEndpoint=${table}${suffix};`,
    location,
    pid: child.pid!,
    async stop() {
      await stopChild(child);
      if (ownsLocation) rmSync(location, { recursive: true, force: true });
    },
  };
}

function waitForEndpoints(child: ChildProcess, timeoutMs: number): Promise<Record<"Blob" | "Queue" | "Table", string>> {
  return new Promise((resolve, reject) => {
    const found: Partial<Record<"Blob" | "Queue" | "Table", string>> = {};
    let output = "";
    const timer = setTimeout(
      () => fail(new Error(`Azurite did not start within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of chunk.toString().split("\n")) {
        const m = LISTENING.exec(line);
        if (m) found[m[1] as "Blob" | "Queue" | "Table"] = m[2]!.replace(/\/$/, "");
      }
      if (found.Blob && found.Queue && found.Table) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        resolve({ Blob: found.Blob, Queue: found.Queue, Table: found.Table });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
    child.once("exit", (code) => fail(new Error(`Azurite exited with code ${code}:\n${output}`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
