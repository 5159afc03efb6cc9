// A Functions-compatible host for running the app without Azure: registered HTTP functions under /api, the
// Durable HTTP API and client binding, the Event Grid webhook, timer triggers, backed by the local durable driver
// and Azurite.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { HttpRequest, HttpResponse, type Cookie, type Timer } from "@azure/functions";
import { readFileSync } from "node:fs";
import { azureContext, prepareAzureContext, type HostStorage } from "../../lib/azure";
import { startAzurite, type AzuriteHandle } from "../azurite";
import { trustLocalCa } from "../trust";
import { WORKFLOW_CLOCK_SETTING } from "../../lib/api/overview-page";
import { resolveKeyVaultReferences } from "./deployed-settings";
import { createClock, type ClockOptions } from "../durable/clock";
import { DurableDriver } from "../durable/driver";
import { decodeProcessedInput } from "../durable/history";
import {
  createInvocationContext,
  getRegistry,
  installFunctionsCore,
  loadApp,
  stderrLogger,
  type FunctionLogger,
  type RegisteredFunction,
} from "../registry";
import {
  durableClientBinding,
  handleDurableApi,
  RPC_PREFIX,
  WEBHOOK_PREFIX,
  type DurableClientBinding,
} from "./durable-api";
import { cloudEventsHandshake, EVENT_GRID_PATH, handleEventGridPost } from "./eventgrid";
import { parseNcrontab } from "./ncrontab";
import { parseRoute } from "./routes";
import { applySettings, readLocalSettings, resolveSettingReferences } from "./settings";

export interface LocalHostOptions {
  /** HTTP port (default: local.settings.json Host.LocalHttpPort, else 7071); 0 picks a free port. */
  port?: number;
  /** local.settings.json to read (default: ./local.settings.json of the working directory; missing is fine). */
  settingsFile?: string;
  /** Keys accepted by function-level HTTP functions (default: local.settings.json FunctionKeys). */
  functionKeys?: Record<string, string>;
  /**
   * Refuse function- and admin-level calls without a key (default true). `aks-platform serve` turns it off on
   * this machine's loopback unless `--require-keys`, so a first `curl` works with no settings file.
   */
  requireKeys?: boolean;
  /** Key of the system webhooks (durabletask, eventgrid); a random one per run when omitted. */
  systemKey?: string;
  /** Timer triggers and durable timers run this many times faster than the wall clock (default 1). */
  timeScale?: number;
  /** Durable timer clock; defaults to the scaled clock of `timeScale`. */
  durableClock?: ClockOptions;
  /** Storage for the durable driver; default AzureWebJobsStorage, or a fresh Azurite when that is unset or dev storage. */
  storageConnectionString?: string;
  taskHub?: string;
  maxConcurrentActivities?: number;
  /** Load functions/ and orchestrations/ (default true); tests register fixture functions themselves instead. */
  loadApp?: boolean;
  /** Folder holding functions/ and orchestrations/ for loadApp. */
  appRoot?: string;
  /** Run timer triggers on their schedules (default true). */
  timers?: boolean;
  log?: FunctionLogger;
  /**
   * App settings as the platform sets them (override the environment; e.g. those infra/main.json deploys, see
   * deployed-settings.ts). Identity-based storage (`AzureWebJobsStorage__accountName`, no connection string) is
   * then what the durable driver and the app use, through the process's Azure context.
   */
  appSettings?: Record<string, string>;
  /** Vault host → local URL: Key Vault references in settings are resolved from there, as the platform does. */
  keyVaults?: Record<string, string>;
  /** Runs once everything listens, e.g. to start the sandbox ARM; the returned function runs on stop. */
  onStart?: (host: LocalHost) => Promise<(() => Promise<void>) | void> | (() => Promise<void>) | void;
}

export interface LocalHost {
  url: string;
  port: number;
  driver: DurableDriver;
  systemKey: string;
  /** The durableClient binding value client functions receive. */
  durableClient: DurableClientBinding;
  stop(): Promise<void>;
}

type Handler = (req: IncomingMessage, url: URL, body: Buffer) => Promise<Reply>;

interface Reply {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: unknown;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string | string[]> = { ...reply.headers };
  let body: Buffer | undefined;
  if (Buffer.isBuffer(reply.body)) body = reply.body;
  else if (typeof reply.body === "string") body = Buffer.from(reply.body);
  else if (reply.body !== undefined) {
    body = Buffer.from(JSON.stringify(reply.body));
    headers["Content-Type"] ??= "application/json; charset=utf-8";
  }
  res.writeHead(reply.status, headers);
  res.end(body);
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

function keyMatches(candidate: string | null | undefined, keys: readonly string[]): boolean {
  if (!candidate) return false;
  const given = Buffer.from(candidate);
  return keys.some((key) => {
    const expected = Buffer.from(key);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

function presentedKey(req: IncomingMessage, url: URL): string | null {
  const header = req.headers["x-functions-key"];
  return (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get("code");
}

function serializeCookie(cookie: Cookie): string {
  const parts = [`${cookie.name}=${encodeURIComponent(cookie.value)}`];
  if (cookie.domain) parts.push(`Domain=${cookie.domain}`);
  if (cookie.path) parts.push(`Path=${cookie.path}`);
  if (cookie.expires !== undefined) parts.push(`Expires=${new Date(cookie.expires).toUTCString()}`);
  if (cookie.maxAge !== undefined) parts.push(`Max-Age=${cookie.maxAge}`);
  if (cookie.secure) parts.push("Secure");
  if (cookie.httpOnly) parts.push("HttpOnly");
  if (cookie.sameSite) parts.push(`SameSite=${cookie.sameSite}`);
  return parts.join("; ");
}

/** Turns what an HTTP handler returned (HttpResponse, HttpResponseInit or nothing) into the reply. */
async function toReply(result: unknown): Promise<Reply> {
  if (result === undefined || result === null) return { status: 204 };
  if (typeof result !== "object") {
    // Same rule as @azure/functions' toRpcHttp.
    throw new Error(
      'The HTTP response must be an object with optional properties "body", "status", "headers", and "cookies".',
    );
  }
  const response = result instanceof HttpResponse ? result : new HttpResponse(result);
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  if (response.cookies.length > 0) headers["Set-Cookie"] = response.cookies.map(serializeCookie);
  return { status: response.status, headers, body: Buffer.from(await response.arrayBuffer()) };
}

/** A string option of a function's trigger binding (route, authLevel, schedule). */
function stringOption(fn: RegisteredFunction, name: string): string | undefined {
  const value = fn.trigger[name];
  return typeof value === "string" ? value : undefined;
}

const ADMIN_FUNCTIONS_PREFIX = "/admin/functions/";

/** The Timer object a timer trigger receives (camelCased, as the worker delivers it). */
function timerInfo(last: Date, next: Date, lastUpdated: Date): Timer {
  return {
    isPastDue: false,
    schedule: { adjustForDST: true },
    scheduleStatus: { last: last.toISOString(), next: next.toISOString(), lastUpdated: lastUpdated.toISOString() },
  };
}

const TIMER_WALL_LIMIT_MS = 2 ** 31 - 1;

/** Starts the local host; see LocalHostOptions. Resolves once it listens and the durable driver has resumed. */
export async function startLocalHost(options: LocalHostOptions = {}): Promise<LocalHost> {
  installFunctionsCore();
  const settingsFile = options.settingsFile ?? path.resolve("local.settings.json");
  const settings = readLocalSettings(settingsFile);
  const restoreEnv: Array<[string, string | undefined]> = [];
  const setEnv = (name: string, value: string) => {
    restoreEnv.push([name, process.env[name]]);
    process.env[name] = value;
  };
  for (const name of applySettings(settings.Values)) restoreEnv.push([name, undefined]);
  const log = options.log ?? stderrLogger;
  const functionKeys = Object.values(options.functionKeys ?? settings.FunctionKeys ?? {});
  const systemKey = options.systemKey ?? randomBytes(24).toString("base64url");
  const timeScale = options.timeScale ?? 1;
  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((err: unknown) => log("error", "host", String(err)));
    for (const [name, value] of restoreEnv.reverse()) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };

  try {
    for (const [name, value] of Object.entries(options.appSettings ?? {})) setEnv(name, value);
    // The local CA the stand-ins' certificates chain to is trusted like Azure's public CAs are.
    if (process.env.AKS_PLATFORM_ARM_CA_FILE) trustLocalCa(readFileSync(process.env.AKS_PLATFORM_ARM_CA_FILE, "utf8"));
    // An ARM-compatible endpoint of no known cloud: its metadata names the token audience (read once, here).
    if (process.env.AKS_PLATFORM_ARM_ENDPOINT) await prepareAzureContext();
    if (options.keyVaults) {
      const resolved = await resolveKeyVaultReferences(
        { ...process.env } as Record<string, string>,
        azureContext(),
        options.keyVaults,
        (m) => log("warning", "host", m),
      );
      for (const [name, value] of Object.entries(resolved)) if (process.env[name] !== value) setEnv(name, value);
    }
    if (options.loadApp !== false) await loadApp(options.appRoot ? { root: options.appRoot } : {});

    let connectionString: string | HostStorage =
      options.storageConnectionString ?? process.env.AzureWebJobsStorage ?? "";
    const identityBased = connectionString === "" && Boolean(process.env.AzureWebJobsStorage__accountName);
    if (identityBased) connectionString = azureContext().hostStorage(process.env);
    else if (connectionString === "" || /UseDevelopmentStorage=true/i.test(connectionString)) {
      // A temporary one: `serve` passes its state folder's Azurite as storageConnectionString.
      const azurite: AzuriteHandle = await startAzurite();
      cleanups.push(() => azurite.stop());
      connectionString = azurite.connectionString;
    }
    // The functions read their storage (notify outbox, registry of environments, reports) from this setting.
    if (typeof connectionString === "string" && process.env.AzureWebJobsStorage !== connectionString)
      setEnv("AzureWebJobsStorage", connectionString);

    if (options.durableClock === undefined && timeScale !== 1)
      // The ops page maps the workflows' fast clock back to the wall clock (times in real UTC).
      setEnv(WORKFLOW_CLOCK_SETTING, `${timeScale}@${new Date().toISOString()}`);
    const driver = new DurableDriver({
      connectionString,
      ...(options.taskHub ? { taskHub: options.taskHub } : {}),
      clock: options.durableClock ?? { kind: "scaled", factor: timeScale },
      ...(options.maxConcurrentActivities ? { maxConcurrentActivities: options.maxConcurrentActivities } : {}),
      log,
    });
    cleanups.push(() => driver.stop());

    // The real extension serves the SDK's RPC calls on a separate loopback port without keys.
    // Filled in once both servers listen (the URLs need their ports); no request arrives before that.
    const durable: { binding?: DurableClientBinding } = {};
    const rpc = await serveDurableRpc(driver, () => durable.binding, log);
    cleanups.push(() => close(rpc));

    const route: Handler = async (req, url, body) => {
      const method = (req.method ?? "GET").toUpperCase();
      const pathname = url.pathname;
      if (pathname.startsWith(WEBHOOK_PREFIX)) {
        if (!authorized(req, url, [systemKey, ...functionKeys])) return unauthorized("durabletask");
        return handleDurableApi(
          driver,
          durable.binding!,
          method,
          pathname.slice(WEBHOOK_PREFIX.length),
          url.searchParams,
          body,
        );
      }
      if (pathname === EVENT_GRID_PATH) return eventGrid(req, url, method, body);
      if (pathname.startsWith(ADMIN_FUNCTIONS_PREFIX)) return adminInvoke(req, url, method, body);
      if (pathname === "/api" || pathname.startsWith("/api/")) return httpFunction(req, url, method, body);
      return { status: 404, body: { error: `nothing is served at ${pathname}` } };
    };

    const authorized = (req: IncomingMessage, url: URL, keys: readonly string[]): boolean =>
      options.requireKeys === false || keyMatches(presentedKey(req, url), keys);

    const unauthorized = (what: string): Reply => ({
      status: 401,
      body: { error: `${what}: a valid key is required (x-functions-key header or code query parameter)` },
    });

    const invoke = async (fn: RegisteredFunction, trigger: unknown): Promise<unknown> => {
      const context = createInvocationContext(fn, log);
      for (const input of fn.extraInputs) {
        if (input.type === "durableClient" || input.type === "orchestrationClient")
          context.extraInputs.set(input.name, durable.binding);
      }
      return await fn.handler(trigger, context);
    };

    const eventGrid = async (req: IncomingMessage, url: URL, method: string, body: Buffer): Promise<Reply> => {
      if (!authorized(req, url, [systemKey, ...functionKeys])) return unauthorized("eventgrid");
      const name = url.searchParams.get("functionName") ?? "";
      const fn = getRegistry().find(name);
      if (!fn || fn.triggerType !== "eventGridTrigger") {
        return { status: 404, body: { error: `no Event Grid function named "${name}"` } };
      }
      if (method === "OPTIONS") {
        const origin = req.headers["webhook-request-origin"];
        return cloudEventsHandshake(Array.isArray(origin) ? origin[0] : origin);
      }
      if (method !== "POST") return { status: 405, headers: { Allow: "POST, OPTIONS" } };
      const eventType = req.headers["aeg-event-type"];
      return handleEventGridPost(
        { eventType: Array.isArray(eventType) ? eventType[0] : eventType, contentType: req.headers["content-type"] },
        body,
        async (event) => {
          try {
            await invoke(fn, event);
          } catch (err) {
            log("error", fn.name, err instanceof Error ? (err.stack ?? err.message) : String(err));
            throw err;
          }
        },
      );
    };

    // Core Tools' way to run a non-HTTP function now: POST /admin/functions/{name} with {"input": "..."}.
    const adminInvoke = (req: IncomingMessage, url: URL, method: string, body: Buffer): Reply => {
      if (!authorized(req, url, [systemKey, ...functionKeys])) return unauthorized("admin");
      if (method !== "POST") return { status: 405, headers: { Allow: "POST" } };
      const name = decodeURIComponent(url.pathname.slice(ADMIN_FUNCTIONS_PREFIX.length));
      const fn = getRegistry().find(name);
      if (!fn || fn.triggerType === "httpTrigger") {
        return { status: 404, body: { error: `no non-HTTP function named "${name}"` } };
      }
      let input: unknown;
      try {
        input = body.length > 0 ? (JSON.parse(body.toString("utf8")) as { input?: unknown }).input : undefined;
      } catch {
        return { status: 400, body: { error: 'the body must be JSON like {"input": "..."}' } };
      }
      const now = new Date();
      // Core Tools passes `input` as a string; JSON inputs (e.g. an Event Grid event) arrive parsed, as the worker does.
      const trigger = fn.triggerType === "timerTrigger" ? timerInfo(now, now, now) : decodeProcessedInput(input);
      invoke(fn, trigger).catch((err: unknown) => {
        log("error", fn.name, err instanceof Error ? (err.stack ?? err.message) : String(err));
      });
      return { status: 202 };
    };

    const httpFunction = async (req: IncomingMessage, url: URL, method: string, body: Buffer): Promise<Reply> => {
      const subpath = url.pathname.slice("/api".length);
      const matches = getRegistry()
        .byTrigger("httpTrigger")
        .map((fn) => ({ fn, params: parseRoute(stringOption(fn, "route") ?? fn.name).match(subpath) }))
        .filter((m): m is { fn: RegisteredFunction; params: Record<string, string> } => m.params !== undefined);
      if (matches.length === 0) return { status: 404, body: { error: `no function serves ${url.pathname}` } };
      const methodsOf = (fn: RegisteredFunction) =>
        ((fn.trigger.methods as string[] | undefined) ?? ["GET", "POST"]).map((m) => m.toUpperCase());
      const match = matches.find((m) => methodsOf(m.fn).includes(method));
      if (!match) {
        const allowed = [...new Set(matches.flatMap((m) => methodsOf(m.fn)))].join(", ");
        return {
          status: 405,
          headers: { Allow: allowed },
          body: { error: `${method} is not allowed on ${url.pathname}` },
        };
      }
      const authLevel = (stringOption(match.fn, "authLevel") ?? "anonymous").toLowerCase();
      if (authLevel !== "anonymous") {
        const keys = authLevel === "admin" ? [systemKey] : [systemKey, ...functionKeys];
        if (!authorized(req, url, keys)) return unauthorized(match.fn.name);
      }
      const request = new HttpRequest({
        method,
        url: url.href,
        headers: headerRecord(req),
        params: match.params,
        ...(body.length > 0 ? { body: { bytes: body } } : {}),
      });
      try {
        return await toReply(await invoke(match.fn, request));
      } catch (err) {
        log("error", match.fn.name, err instanceof Error ? (err.stack ?? err.message) : String(err));
        return { status: 500 };
      }
    };

    const port = options.port ?? settings.Host?.LocalHttpPort ?? 7071;
    const server = await listen(port, route, log);
    cleanups.push(() => close(server));
    const actualPort = (server.address() as AddressInfo).port;
    const url = `http://127.0.0.1:${actualPort}`;
    const binding = durableClientBinding(
      url,
      `http://127.0.0.1:${(rpc.address() as AddressInfo).port}`,
      driver.taskHub,
      systemKey,
    );
    durable.binding = binding;
    driver.useClientBinding(binding);
    // Without WEBSITE_HOSTNAME, df.getClient rewrites every management URL to http://localhost:7071.
    if (!process.env.WEBSITE_HOSTNAME) setEnv("WEBSITE_HOSTNAME", `127.0.0.1:${actualPort}`);

    await driver.start();
    if (options.timers !== false)
      cleanups.push(startTimers(getRegistry().byTrigger("timerTrigger"), timeScale, invoke, log));

    const host: LocalHost = { url, port: actualPort, driver, systemKey, durableClient: binding, stop: stopAll };
    const onStop = await options.onStart?.(host);
    if (onStop) cleanups.push(onStop);
    return host;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * The functions the host serves, one line each as `func start` lists them: HTTP functions with their methods,
 * URL and auth level, the others with their trigger (Event Grid ones with their webhook).
 */
export function describeFunctions(baseUrl: string): string[] {
  const all = getRegistry()
    .all()
    .filter((fn) => fn.triggerType !== "activityTrigger" && fn.triggerType !== "orchestrationTrigger");
  const http = all.filter((fn) => fn.triggerType === "httpTrigger");
  const others = all.filter((fn) => fn.triggerType !== "httpTrigger");
  return [
    ...http.map((fn) => {
      const methods = ((fn.trigger.methods as string[] | undefined) ?? ["GET", "POST"]).join(",").toUpperCase();
      const auth = stringOption(fn, "authLevel") ?? "anonymous";
      return `${fn.name}: [${methods}] ${baseUrl}/api/${stringOption(fn, "route") ?? fn.name} (${auth})`;
    }),
    ...others.map((fn) =>
      fn.triggerType === "eventGridTrigger"
        ? `${fn.name}: eventGridTrigger ${baseUrl}${EVENT_GRID_PATH}?functionName=${fn.name}`
        : `${fn.name}: ${fn.triggerType}${typeof fn.trigger.schedule === "string" ? ` ${fn.trigger.schedule}` : ""}`,
    ),
  ];
}

/**
 * The SDK's RPC endpoint for `driver` on a loopback port without keys, as the extension serves it (`rpcBaseUrl`);
 * `binding` answers once known (its URLs need the ports), nothing is served before.
 */
export function serveDurableRpc(
  driver: DurableDriver,
  binding: () => DurableClientBinding | undefined,
  log: FunctionLogger,
): Promise<Server> {
  return listen(
    0,
    async (req, url, body) => {
      const known = binding();
      if (!url.pathname.startsWith(RPC_PREFIX) || !known) return { status: 404 };
      return handleDurableApi(
        driver,
        known,
        req.method ?? "GET",
        url.pathname.slice(RPC_PREFIX.length),
        url.searchParams,
        body,
      );
    },
    log,
  );
}

/**
 * Gives the activities of a driver run without a host (the local runtime) the durable client, served by
 * serveDurableRpc; its management URLs name the RPC server (there is no host to name). Returns the stop.
 */
export async function serveActivityClient(driver: DurableDriver, log: FunctionLogger): Promise<() => Promise<void>> {
  const holder: { binding?: DurableClientBinding } = {};
  const rpc = await serveDurableRpc(driver, () => holder.binding, log);
  const url = `http://127.0.0.1:${(rpc.address() as AddressInfo).port}`;
  holder.binding = durableClientBinding(url, url, driver.taskHub, "");
  driver.useClientBinding(holder.binding);
  return () => close(rpc);
}

function listen(port: number, handler: Handler, log: FunctionLogger): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`);
    readBody(req)
      .then((body) => handler(req, url, body))
      .then(
        (reply) => send(res, reply),
        (err: unknown) => {
          log("error", "host", `${req.method} ${url.pathname}: ${err instanceof Error ? err.message : String(err)}`);
          send(res, { status: 500 });
        },
      );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Runs each timer trigger at its NCRONTAB occurrences on a clock `timeScale` times faster than real time. */
function startTimers(
  functions: RegisteredFunction[],
  timeScale: number,
  invoke: (fn: RegisteredFunction, trigger: unknown) => Promise<unknown>,
  log: FunctionLogger,
): () => Promise<void> {
  const clock = createClock({ kind: "scaled", factor: timeScale });
  const handles = new Set<NodeJS.Timeout>();
  let stopped = false;
  for (const fn of functions) {
    const schedule = parseNcrontab(
      resolveSettingReferences(stringOption(fn, "schedule") ?? "", `timer "${fn.name}" schedule`),
    );
    let last = clock.now();
    const fire = async (next: Date) => {
      const following = schedule.next(next);
      const timer = timerInfo(last, following, next);
      last = next;
      try {
        await invoke(fn, timer);
      } catch (err) {
        log("error", fn.name, err instanceof Error ? (err.stack ?? err.message) : String(err));
      }
    };
    const arm = (next: Date) => {
      if (stopped) return;
      const delay = clock.wallDelayUntil(next);
      const handle = setTimeout(
        () => {
          handles.delete(handle);
          if (clock.now() < next) return arm(next);
          arm(schedule.next(next));
          void fire(next);
        },
        Math.min(delay + 1, TIMER_WALL_LIMIT_MS),
      );
      handles.add(handle);
    };
    if (fn.trigger.runOnStartup === true) void fire(clock.now());
    arm(schedule.next(clock.now()));
  }
  return () => {
    stopped = true;
    for (const handle of handles) clearTimeout(handle);
    return Promise.resolve();
  };
}
