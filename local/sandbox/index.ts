import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { z } from "zod";
import { SimClock } from "./clock";
import { SandboxControl, routeControl } from "./control";
import { advance } from "./engine";
import { FaultRegistry } from "./faults";
import { ResourceEvents, type SandboxCaller } from "./events";
import { ArmHttpError, type Reply } from "./http";
import { key } from "./ids";
import { routeArm } from "./routes";
import {
  emptyData,
  loadData,
  saveData,
  findResource,
  resourceView,
  type SandboxContext,
  type SandboxSettings,
} from "./state";
import { Counters, DEFAULT_THROTTLE, Throttle } from "./throttle";
import { ensureSandboxTls } from "./tls";

export type { FaultRule, FaultRuleInput } from "./faults";
export type { CountersSnapshot, ThrottleModel } from "./throttle";
export type { ClusterSim, SimNode, SimPod, MeshRevision } from "./state";
export type { EmittedEvent, EventSubscription, SandboxCaller } from "./events";
export { OBJECT_ID_CLAIM, RESOURCE_EVENT_TYPES } from "./events";
export { DEFAULT_THROTTLE } from "./throttle";

/**
 * The sandbox ARM server: a local HTTPS stand-in for Azure Resource Manager that checks our use of the ARM
 * API (the real Azure SDK clients talk to it unchanged) and simulates timing, throttling and faults.
 * It is not a copy of Azure; see local/sandbox/README.md for what it does not model.
 */

const REPO_ROOT = path.resolve(__dirname, "../..");
export const DEFAULT_SANDBOX_DIR = path.join(REPO_ROOT, ".local", "sandbox");

const bucket = z.object({ burst: z.number().positive(), refillPerSecond: z.number().positive() });

export const sandboxOptionsSchema = z
  .object({
    /** 0 = a free port. */
    port: z.number().int().min(0).max(65535).default(0),
    host: z.enum(["127.0.0.1", "::1", "localhost"]).default("127.0.0.1"),
    /** Holds the local CA (ca.pem, ca-key.pem); `<repo>/.local/sandbox` by default. */
    stateDir: z.string().default(DEFAULT_SANDBOX_DIR),
    /** JSON file the simulated state persists to (loaded at start, saved as it changes); none = in memory. */
    stateFile: z.string().optional(),
    token: z.string().min(16).optional(),
    /** Object id of the app's own identity: the caller `token` stands for (a managed identity's principal id). */
    appObjectId: z.uuid().default("00000000-0000-4000-8000-0000000000a1"),
    /** A person with their own token (`az` signed in as them): writes with it are not the app's. */
    person: z
      .object({ token: z.string().min(16).optional(), objectId: z.uuid(), name: z.string().min(1) })
      .strict()
      .default({ objectId: "00000000-0000-4000-8000-0000000000b2", name: "operator@contoso.example" }),
    /** Simulated seconds per real second. */
    timeScale: z.number().positive().default(1),
    /** Simulated start time (ISO) for a fresh state; now by default. */
    startTime: z.iso.datetime().optional(),
    subscriptionId: z.uuid().default("00000000-0000-4000-8000-000000000001"),
    tenantId: z.uuid().default("00000000-0000-4000-8000-0000000000aa"),
    /** `false` disables throttling. */
    throttle: z.union([z.literal(false), z.object({ reads: bucket, writes: bucket })]).default(DEFAULT_THROTTLE),
    /** Per resource type latency (seconds), over lib/plan/latency defaults. */
    latencySeconds: z.record(z.string(), z.number().min(0)).default({}),
    pageSize: z.number().int().positive().default(50),
    zones: z.array(z.string()).min(1).default(["1", "2", "3"]),
    meshRevisions: z
      .array(
        z.object({
          revision: z.string(),
          upgrades: z.array(z.string()),
          compatibleWith: z.array(z.object({ name: z.string(), versions: z.array(z.string()) })),
        }),
      )
      .default([
        {
          revision: "asm-1-26",
          upgrades: ["asm-1-27"],
          compatibleWith: [{ name: "kubernetes", versions: ["1.31", "1.32", "1.33"] }],
        },
        {
          revision: "asm-1-27",
          upgrades: [],
          compatibleWith: [{ name: "kubernetes", versions: ["1.32", "1.33", "1.34"] }],
        },
      ]),
    karpenterNodePool: z.string().default("spot"),
    initialSpotNodes: z.number().int().min(0).default(2),
    podsPerSpotNode: z.number().int().positive().default(3),
    nodeProvisionSeconds: z.number().min(0).default(300),
    runCommandSeconds: z.number().min(0).default(20),
    backupSeconds: z.number().min(0).default(600),
    /** Simulated duration of a restore job. */
    restoreSeconds: z.number().min(0).default(600),
    backupHourUtc: z.number().int().min(0).max(23).default(2),
    backupRetentionDays: z.number().int().positive().default(7),
    kubernetesVersions: z
      .array(z.string().regex(/^\d+\.\d+\.\d+$/))
      .min(1)
      .default(["1.33.2", "1.33.5", "1.34.1"]),
    nodeImageVersions: z
      .array(z.string())
      .min(1)
      .default(["AKSUbuntu-2204gen2containerd-202611.02.0", "AKSUbuntu-2204gen2containerd-202611.23.0"]),
    /** Simulated durations of AKS upgrades (typical values: control plane ~10 min, ~5 min per surge batch). */
    controlPlaneUpgradeSeconds: z.number().min(0).default(600),
    nodeUpgradeSeconds: z.number().min(0).default(300),
    meshUpgradeSeconds: z.number().min(0).default(180),
  })
  .strict();

export type SandboxOptions = z.input<typeof sandboxOptionsSchema>;

/** A caller the sandbox knows: its bearer token and the object id its writes carry. */
export interface SandboxIdentity {
  token: string;
  objectId: string;
  name: string;
}

export interface SandboxArm {
  /** `https://127.0.0.1:<port>`: the ARM endpoint to give createArmConnection / --arm-endpoint. */
  url: string;
  port: number;
  caPem: string;
  /** CA file for NODE_EXTRA_CA_CERTS in other processes. */
  caPath: string;
  token: string;
  subscriptionId: string;
  tenantId: string;
  /** The app's identity (`token`) and a person's, for writes made outside the app. */
  identities: { app: SandboxIdentity; person: SandboxIdentity };
  /** The subscription's Resources events: register an endpoint (the local host's Event Grid webhook). */
  events: {
    subscribe: ResourceEvents["subscribe"];
    unsubscribe: ResourceEvents["unsubscribe"];
    history: ResourceEvents["history"];
    settled: ResourceEvents["settled"];
  };
  state: {
    resources(): unknown[];
    resource(id: string): unknown;
    clusters: SandboxControl["clusters"];
    cluster: SandboxControl["cluster"];
    evict: SandboxControl["evict"];
    setSpotCapacity: SandboxControl["setSpotCapacity"];
    injectBackupFailures: SandboxControl["injectBackupFailures"];
    setProtection: SandboxControl["setProtection"];
    /** Upgrade faults of a cluster: a drain blocked by a PDB, a node that does not come back, an unhealthy Istio canary. */
    setUpgradeFaults: SandboxControl["setUpgradeFaults"];
    /** The recovery points a backup instance (full id) holds, kept or not, including those of a deleted instance. */
    recoveryPoints(backupInstanceId: string): { name: string; time: string }[];
    /** Writes the state file now (also done automatically as state changes). */
    save(): void;
  };
  faults: {
    add: SandboxControl["addFault"];
    remove: SandboxControl["removeFault"];
    clear: SandboxControl["clearFaults"];
    list: SandboxControl["faults"];
  };
  clock: { now(): Date; advance(seconds: number): Date; setTimeScale(timeScale: number): void };
  counters: { snapshot: SandboxControl["counters"]; reset: SandboxControl["resetCounters"] };
  close(): Promise<void>;
}

/** What a misbehaving gateway in front of ARM might send with a 200. */
const MALFORMED_DEFAULT_TEXT = "<html><body><h1>Service temporarily unavailable</h1></body></html>";

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, method: string, reply: Reply, ids: Record<string, string>): void {
  const headers: Record<string, string> = { ...ids, ...(reply.headers ?? {}) };
  const text = reply.raw ?? (reply.body !== undefined ? JSON.stringify(reply.body) : undefined);
  const hasBody = text !== undefined && method !== "HEAD" && reply.status !== 204;
  if (hasBody) headers["content-type"] = "application/json; charset=utf-8";
  res.writeHead(reply.status, headers);
  res.end(hasBody ? text : undefined);
}

function errorReply(err: ArmHttpError): Reply {
  return { status: err.status, body: err.toBody(), headers: err.headers };
}

export async function startSandboxArm(options: SandboxOptions = {}): Promise<SandboxArm> {
  const parsed = sandboxOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid sandbox option ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
  }
  const o = parsed.data;
  const tls = ensureSandboxTls(o.stateDir);
  const token = o.token ?? randomBytes(24).toString("base64url");
  const identities = {
    app: { token, objectId: o.appObjectId, name: "aks-platform" },
    person: { token: o.person.token ?? randomBytes(24).toString("base64url"), ...o.person },
  };
  if (identities.person.token === token) throw new Error("invalid sandbox option person.token: it is the app's token");
  const callers = new Map(Object.values(identities).map((i) => [`Bearer ${i.token}`, i]));
  const loaded = o.stateFile !== undefined ? loadData(o.stateFile) : undefined;
  const startMs = loaded?.simNow ?? (o.startTime !== undefined ? Date.parse(o.startTime) : Date.now());
  const settings: SandboxSettings = {
    subscriptionId: o.subscriptionId,
    tenantId: o.tenantId,
    latencyOverrides: o.latencySeconds,
    meshRevisions: o.meshRevisions,
    pageSize: o.pageSize,
    zones: o.zones,
    karpenterNodePool: o.karpenterNodePool,
    initialSpotNodes: o.initialSpotNodes,
    podsPerSpotNode: o.podsPerSpotNode,
    nodeProvisionSeconds: o.nodeProvisionSeconds,
    runCommandSeconds: o.runCommandSeconds,
    backupSeconds: o.backupSeconds,
    restoreSeconds: o.restoreSeconds,
    backupHourUtc: o.backupHourUtc,
    backupRetentionDays: o.backupRetentionDays,
    kubernetesVersions: o.kubernetesVersions,
    nodeImageVersions: o.nodeImageVersions,
    controlPlaneUpgradeSeconds: o.controlPlaneUpgradeSeconds,
    nodeUpgradeSeconds: o.nodeUpgradeSeconds,
    meshUpgradeSeconds: o.meshUpgradeSeconds,
  };
  const ctx: SandboxContext = {
    data: loaded ?? emptyData(startMs),
    clock: new SimClock(startMs, o.timeScale),
    faults: new FaultRegistry(),
    counters: new Counters(),
    settings,
    events: new ResourceEvents({ subscriptionId: settings.subscriptionId, tenantId: settings.tenantId }),
    appCaller: { objectId: identities.app.objectId, name: identities.app.name },
  };
  const throttle = new Throttle(o.throttle);

  let saveTimer: NodeJS.Timeout | undefined;
  const save = () => {
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = undefined;
    if (o.stateFile === undefined) return;
    ctx.data.simNow = ctx.clock.now();
    saveData(o.stateFile, ctx.data);
  };
  const scheduleSave = () => {
    if (o.stateFile === undefined || saveTimer) return;
    saveTimer = setTimeout(save, 200);
    saveTimer.unref();
  };
  const control = new SandboxControl(ctx, scheduleSave);
  const info = { subscriptionId: settings.subscriptionId, tenantId: settings.tenantId };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? "GET").toUpperCase();
    const incomingCorrelation = req.headers["x-ms-correlation-request-id"];
    const correlationId =
      typeof incomingCorrelation === "string" && incomingCorrelation ? incomingCorrelation : randomUUID();
    const ids = { "x-ms-request-id": randomUUID(), "x-ms-correlation-request-id": correlationId };
    const base = `https://${req.headers.host ?? `127.0.0.1`}`;
    // Concatenate rather than resolve: a request path starting with "//" would otherwise read as a host.
    const url = new URL(`${base}${req.url ?? "/"}`);
    let reply: Reply;
    try {
      const text = await readBody(req);
      let body: unknown;
      try {
        body = text ? (JSON.parse(text) as unknown) : undefined;
      } catch {
        throw new ArmHttpError(400, "InvalidRequestContent", "The request content is not valid JSON.");
      }
      const auth = req.headers.authorization;
      if (!auth)
        throw new ArmHttpError(
          401,
          "AuthenticationFailed",
          "Authentication failed. The 'Authorization' header is missing.",
        );
      const caller = callers.get(auth);
      if (!caller) throw new ArmHttpError(401, "InvalidAuthenticationToken", "The access token is invalid.");
      if (url.pathname.startsWith("/_sandbox/")) {
        reply = routeControl(control, method, url.pathname, body, info);
      } else {
        ctx.counters.requestStarted();
        try {
          const latency = ctx.faults.requestLatencyMs(method, url.pathname);
          if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
          reply = handleArm(method, url, base, body, correlationId, {
            objectId: caller.objectId,
            name: caller.name,
          });
        } finally {
          ctx.counters.requestEnded();
        }
      }
    } catch (err) {
      if (err instanceof ArmHttpError) {
        if (err.status === 409 && !url.pathname.startsWith("/_sandbox/")) ctx.counters.conflicts += 1;
        reply = errorReply(err);
      } else
        reply = {
          status: 500,
          body: { error: { code: "InternalServerError", message: err instanceof Error ? err.message : String(err) } },
        };
    }
    send(res, method, reply, ids);
    scheduleSave();
  };

  const handleArm = (
    method: string,
    url: URL,
    base: string,
    body: unknown,
    correlationId: string,
    caller: SandboxCaller,
  ): Reply => {
    if (!url.searchParams.get("api-version")) {
      throw new ArmHttpError(
        400,
        "MissingApiVersionParameter",
        "The api-version query parameter (?api-version=) is required for all requests.",
      );
    }
    const kind = method === "GET" || method === "HEAD" ? "read" : "write";
    if (kind === "read") ctx.counters.reads += 1;
    else ctx.counters.writes += 1;
    const fault = ctx.faults.takeRequestFault(method, url.pathname);
    if (fault?.kind === "throttle") {
      ctx.counters.throttled += 1;
      throw new ArmHttpError(429, "TooManyRequests", "Injected throttling: retry after the Retry-After interval.", [], {
        "retry-after": String(fault.retryAfterSeconds),
      });
    }
    if (fault?.kind === "error")
      throw new ArmHttpError(fault.status, fault.code, fault.message ?? `Injected ${fault.status} ${fault.code}.`);
    if (fault?.kind === "malformed")
      return fault.json !== undefined
        ? { status: fault.status, body: fault.json }
        : { status: fault.status, raw: fault.text ?? MALFORMED_DEFAULT_TEXT };
    const wait = throttle.take(kind);
    if (wait > 0) {
      ctx.counters.throttled += 1;
      throw new ArmHttpError(
        429,
        "SubscriptionRequestsThrottled",
        `Number of '${kind}' requests for subscription '${ctx.settings.subscriptionId}' exceeded. Please try again after '${wait}' seconds.`,
        [],
        {
          "retry-after": String(wait),
        },
      );
    }
    advance(ctx);
    // ARM tolerates doubled slashes (SDKs build `/{+resourceId}` from ids that start with a slash).
    return routeArm(ctx, {
      method,
      path: url.pathname.replace(/\/{2,}/g, "/"),
      url,
      base,
      body,
      correlationId,
      caller,
    });
  };

  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = o.host === "::1" ? "[::1]" : o.host;

  return {
    url: `https://${host}:${port}`,
    port,
    caPem: tls.caPem,
    caPath: tls.caPath,
    token,
    subscriptionId: settings.subscriptionId,
    tenantId: settings.tenantId,
    identities,
    events: {
      subscribe: (input) => ctx.events.subscribe(input),
      unsubscribe: (id) => ctx.events.unsubscribe(id),
      history: () => ctx.events.history(),
      settled: () => ctx.events.settled(),
    },
    state: {
      resources: () => control.resources(),
      resource: (id) => {
        advance(ctx);
        const r = findResource(ctx, id);
        return r ? resourceView(r) : undefined;
      },
      clusters: () => control.clusters(),
      cluster: (name) => control.cluster(name),
      evict: (cluster, select) => control.evict(cluster, select),
      setSpotCapacity: (cluster, capacity) => control.setSpotCapacity(cluster, capacity),
      setUpgradeFaults: (cluster, faults) => control.setUpgradeFaults(cluster, faults),
      injectBackupFailures: (input) => control.injectBackupFailures(input),
      setProtection: (input) => control.setProtection(input),
      recoveryPoints: (id) => {
        advance(ctx);
        return (ctx.data.backup.recoveryPoints[key(id)] ?? []).map((p) => ({
          name: p.name,
          time: new Date(p.recoveryPointTime).toISOString(),
        }));
      },
      save,
    },
    faults: {
      add: (rule) => control.addFault(rule),
      remove: (id) => control.removeFault(id),
      clear: () => control.clearFaults(),
      list: () => control.faults(),
    },
    clock: {
      now: () => control.now(),
      advance: (seconds) => control.advanceClock(seconds),
      setTimeScale: (timeScale) => control.setTimeScale(timeScale),
    },
    counters: { snapshot: () => control.counters(), reset: () => control.resetCounters() },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      save();
    },
  };
}
