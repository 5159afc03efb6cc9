import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
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

/**
 * One Azurite per state folder, whatever commands run at once. Azurite keeps its metadata in memory and saves it to
 * its folder every 5 s and on shutdown, so two servers on one folder overwrite each other's records and one of them
 * silently loses writes. The first process to open the folder owns its Azurite and publishes it in
 * `<location>/endpoint.json` (created with O_EXCL, completed by an atomic rename, removed when it stops or exits);
 * a later process connects to that Azurite and never stops it. A record whose process is dead (a killed owner) is
 * stale: the next process waits for that owner's Azurite to finish saving, then takes the folder over.
 */
export interface AzuriteOwner {
  /** The process owning the folder (and so its Azurite and durable driver). */
  pid: number;
  /** Its command line, to tell a person what holds the folder. */
  command: string;
  startedAt: string;
  /** Published once Azurite listens. */
  azurite?: { pid: number; account: string; blob: string; queue: string; table: string };
}

export interface SharedAzurite extends AzuriteHandle {
  /** `owner`: this process started the Azurite (stop() stops it); `guest`: it uses the owner's (stop() leaves it). */
  role: "owner" | "guest";
  owner: AzuriteOwner;
}

export const ENDPOINT_FILE = "endpoint.json";
/** How long a killed owner's Azurite may take to save and exit (its own fallback ends it within 10 s). */
const ORPHAN_EXIT_MS = 20_000;
const HALF_WRITTEN_MS = 5_000;

/** Starts the Azurite of `location`, or connects to the one another process (or this one) already runs there. */
export async function openSharedAzurite(
  folder: string,
  options: { startTimeoutMs?: number } = {},
): Promise<SharedAzurite> {
  // Absolute: the Azurite's command line names it, and azuriteServes compares it whatever the caller's cwd.
  const location = path.resolve(folder);
  mkdirSync(location, { recursive: true });
  const file = path.join(location, ENDPOINT_FILE);
  const timeoutMs = options.startTimeoutMs ?? 90_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const me: AzuriteOwner = { pid: process.pid, command: commandLine(), startedAt: new Date().toISOString() };
    if (createExclusive(file, JSON.stringify(me))) return startAsOwner(location, file, me, timeoutMs);
    const owner = readOwner(file);
    // An unreadable record is one its owner is writing at this moment, unless it stayed so (a crash mid-write).
    const written = statSync(file, { throwIfNoEntry: false })?.mtimeMs;
    if (!owner && written !== undefined && Date.now() - written < HALF_WRITTEN_MS) {
      await sleep(100);
      continue;
    }
    // A published owner lives while its Azurite does (that Azurite ends with it): a live process under the owner's
    // pid whose Azurite is gone is another process that was given the dead owner's pid.
    if (owner && processAlive(owner.pid) && (!owner.azurite || azuriteServes(owner.azurite.pid, location))) {
      if (owner.azurite) return asGuest(location, owner);
      if (Date.now() > deadline)
        throw new Error(`the Azurite of ${location} (owned by pid ${owner.pid}) did not start within ${timeoutMs} ms`);
    } else await takeOver(location, file, owner);
    await sleep(100);
  }
}

async function startAsOwner(
  location: string,
  file: string,
  me: AzuriteOwner,
  timeoutMs: number,
): Promise<SharedAzurite> {
  // A process that ends without stop() (process.exit) leaves no record behind; a killed one leaves a stale one.
  const release = () => {
    if (readOwner(file)?.pid === process.pid) rmSync(file, { force: true });
  };
  process.once("exit", release);
  let azurite: AzuriteHandle;
  try {
    azurite = await startAzurite({ location, startTimeoutMs: timeoutMs });
  } catch (err) {
    release();
    process.off("exit", release);
    throw err;
  }
  const url = (endpoint: string) => endpoint.slice(0, endpoint.lastIndexOf("/"));
  const owner: AzuriteOwner = {
    ...me,
    azurite: {
      pid: azurite.pid,
      account: azurite.account,
      blob: url(azurite.blobEndpoint),
      queue: url(azurite.queueEndpoint),
      table: url(azurite.tableEndpoint),
    },
  };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(owner, null, 2));
  renameSync(tmp, file);
  return {
    ...azurite,
    role: "owner",
    owner,
    async stop() {
      await azurite.stop();
      release();
      process.off("exit", release);
    },
  };
}

function asGuest(location: string, owner: AzuriteOwner): SharedAzurite {
  const { account, blob, queue, table, pid } = owner.azurite!;
  const suffix = `/${account}`;
  return {
    role: "guest",
    owner,
    account,
    oauth: false,
    blobEndpoint: blob + suffix,
    queueEndpoint: queue + suffix,
    tableEndpoint: table + suffix,
    connectionString: publishedConnectionString(owner.azurite!),
    location,
    pid,
    stop: () => Promise.resolve(),
  };
}

/** The connection string of the Azurite an owner published. */
export function publishedConnectionString(azurite: NonNullable<AzuriteOwner["azurite"]>): string {
  const { account, blob, queue, table } = azurite;
  const suffix = `/${account}`;
  return (
    `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${DEV_KEY};` +
    `BlobEndpoint=${blob}${suffix};QueueEndpoint=${queue}${suffix};TableEndpoint=${table}${suffix};`
  );
}

/**
 * Removes the record of a dead owner once its Azurite has exited (it saves its metadata on the way out). A folder
 * beside the record serializes take-overs: two processes finding the same stale record must not both remove it (the
 * second would remove the first's fresh one).
 */
async function takeOver(location: string, file: string, stale: AzuriteOwner | undefined): Promise<void> {
  const guard = path.join(location, `${ENDPOINT_FILE}.takeover`);
  try {
    mkdirSync(guard);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    // A take-over lasts at most ORPHAN_EXIT_MS; an older guard is one a killed process left.
    const since = statSync(guard, { throwIfNoEntry: false })?.mtimeMs;
    if (since !== undefined && Date.now() - since > 2 * ORPHAN_EXIT_MS) rmSync(guard, { recursive: true, force: true });
    return;
  }
  try {
    const now = readOwner(file);
    if (now?.pid !== stale?.pid || now?.startedAt !== stale?.startedAt) return;
    // Only the folder's own Azurite is waited for (and killed): its pid may since have been given to another process.
    const orphan = stale?.azurite?.pid;
    const until = Date.now() + ORPHAN_EXIT_MS;
    while (orphan !== undefined && azuriteServes(orphan, location) && Date.now() < until) await sleep(100);
    if (orphan !== undefined && azuriteServes(orphan, location)) process.kill(orphan, "SIGKILL");
    rmSync(file, { force: true });
  } finally {
    rmSync(guard, { recursive: true, force: true });
  }
}

/** Writes `file` unless it exists (O_EXCL): true when this call created it. */
function createExclusive(file: string, text: string): boolean {
  try {
    writeFileSync(file, text, { flag: "wx" });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

/** The record in `file`; undefined when it is missing or half-written (its owner has just created it). */
export function readOwner(file: string): AzuriteOwner | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as AzuriteOwner;
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether `pid` is an Azurite serving `location` (its command line names Azurite's script and the folder). Where
 * process command lines cannot be read (no /proc), a live process is taken to be it.
 */
export function azuriteServes(pid: number, location: string): boolean {
  if (!processAlive(pid)) return false;
  let args: string[];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return !existsSync("/proc/self/cmdline");
  }
  return (
    args.some((a) => /azurite[\\/]dist[\\/]src[\\/]azurite\.js$/.test(a)) &&
    args[args.indexOf("--location") + 1] === location
  );
}

function commandLine(): string {
  const [, script = "", ...args] = process.argv;
  // The CLI runs as bin/aks-platform or, under tsx, as local/cli/entry.ts: both are `aks-platform`.
  const name = /aks-platform|cli[\\/]entry\.[jt]s$/.test(script) ? "aks-platform" : path.basename(script);
  return [name, ...args].join(" ");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A command that would run a second durable driver (or a second sandbox) on a state folder another process owns:
 * both would run the same orchestrations and overwrite each other's state.
 */
export class StateInUseError extends Error {
  override readonly name = "StateInUseError";
  constructor(
    readonly stateDir: string,
    readonly owner: AzuriteOwner,
  ) {
    super(
      `${commandLine()} needs ${stateDir} to itself, but pid ${owner.pid} (${owner.command}) holds it since ${owner.startedAt} ` +
        `(${path.join(stateDir, "azurite", ENDPOINT_FILE)}). ` +
        `Let that finish, or stop it (Ctrl+C in its terminal, or kill ${owner.pid}), then run this again; ` +
        `while \`aks-platform serve\` holds it, start the work through its HTTP API instead. ` +
        `Reading (status) works beside it.`,
    );
  }
}
