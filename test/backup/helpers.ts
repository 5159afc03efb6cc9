import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Agent, fetch as undiciFetch } from "undici";
import { createArmConnection, DataProtectionClient, type ArmConnection } from "../../lib/azure";
import { RestoreClient, seedBackupState, type VaultRef } from "../../lib/backup";
import { defaultSpec, type PlatformSpec } from "../../lib/spec";
import { startSandboxArm, type SandboxArm, type SandboxOptions } from "../../local/sandbox";
import { ensureSandboxTls } from "../../local/sandbox/tls";

/**
 * A sandbox ARM seeded with the default spec's Data Protection state, plus an HTTPS pass-through proxy in front
 * of it that can rewrite one response: the sandbox models healthy protection only, so "protection stopped" and a
 * malformed body are produced by rewriting what the real sandbox answered.
 */

export interface Rewrite {
  /** Case-insensitive test on `METHOD path`. */
  match: RegExp;
  apply(body: unknown): unknown;
}

export interface BackupFixture {
  sandbox: SandboxArm;
  /** The sandbox's state folder (its CA); a further proxy can share it. */
  dir: string;
  spec: PlatformSpec;
  vault: VaultRef;
  /** Straight to the sandbox. */
  connection: ArmConnection;
  /** Through the rewriting proxy. */
  proxyUrl: string;
  proxyConnection: ArmConnection;
  rewrites: Rewrite[];
  clients(via?: "sandbox" | "proxy"): { dp: DataProtectionClient; restore: RestoreClient };
  stop(): Promise<void>;
}

function connect(url: string, sandbox: SandboxArm): ArmConnection {
  return createArmConnection({
    armEndpoint: url,
    token: sandbox.token,
    ca: sandbox.caPem,
    retryOptions: { retryDelayInMs: 20, maxRetryDelayInMs: 100 },
  });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Starts the proxy; `extra` may answer a request itself (returns undefined to pass it on). */
export async function startProxy(
  sandbox: SandboxArm,
  dir: string,
  rewrites: Rewrite[],
  extra?: (
    method: string,
    url: URL,
    body: unknown,
    base: string,
  ) => Promise<{ status: number; body?: unknown; headers?: Record<string, string> } | undefined>,
): Promise<{ url: string; close(): Promise<void> }> {
  const tls = ensureSandboxTls(dir);
  const agent = new Agent({ connect: { ca: sandbox.caPem } });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? "GET";
    const base = `https://${req.headers.host ?? "127.0.0.1"}`;
    const url = new URL(req.url ?? "/", base);
    const raw = await readBody(req);
    const own = await extra?.(
      method,
      url,
      raw.length ? (JSON.parse(raw.toString("utf8")) as unknown) : undefined,
      base,
    );
    if (own) {
      res.writeHead(own.status, {
        ...(own.body !== undefined ? { "content-type": "application/json" } : {}),
        ...(own.headers ?? {}),
      });
      res.end(own.body !== undefined ? JSON.stringify(own.body) : undefined);
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === "string" && k !== "host" && k !== "content-length") headers[k] = v;
    const upstream = await undiciFetch(`${sandbox.url}${req.url ?? "/"}`, {
      method,
      headers,
      ...(raw.length ? { body: raw } : {}),
      dispatcher: agent,
    });
    let text = (await upstream.text()).split(sandbox.url).join(base);
    const rule = rewrites.find((r) => r.match.test(`${method} ${url.pathname}`));
    if (rule && upstream.status === 200) text = JSON.stringify(rule.apply(JSON.parse(text)));
    const out: Record<string, string> = {};
    upstream.headers.forEach((v, k) => {
      if (!["content-length", "transfer-encoding", "connection"].includes(k)) out[k] = v.split(sandbox.url).join(base);
    });
    res.writeHead(upstream.status, out);
    res.end(text);
  };
  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "ProxyError", message: String(err) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await agent.close();
    },
  };
}

/**
 * Sandbox at 2026-11-20 02:30 UTC (or `startTime`), seeded, then `days` days of the daily 02:00 schedule run. The proxy shares the
 * sandbox's TLS directory so one CA covers both.
 */
export async function startBackupFixture(
  options: SandboxOptions & { days?: number; endAt?: Date; extraInstances?: number } = {},
): Promise<BackupFixture> {
  const { days = 3, endAt, extraInstances, ...sandboxOptions } = options;
  const dir = mkdtempSync(path.join(tmpdir(), "backup-verify-"));
  const sandbox = await startSandboxArm({
    stateDir: dir,
    timeScale: 1000,
    startTime: "2026-11-20T02:30:00Z",
    ...sandboxOptions,
  });
  const connection = connect(sandbox.url, sandbox);
  const spec: PlatformSpec = { ...defaultSpec, subscriptionId: sandbox.subscriptionId };
  const vault = await seedBackupState(connection, spec, extraInstances !== undefined ? { extraInstances } : {});
  // Slow enough that the test controls the schedule, fast enough that Data Protection LROs (30 s) end in 0.5 s.
  sandbox.clock.setTimeScale(60);
  // `endAt` ends the schedule at a given time (e.g. the real now, which a durable orchestration judges by).
  const seconds = endAt !== undefined ? (endAt.getTime() - sandbox.clock.now().getTime()) / 1000 : days * 86_400;
  if (seconds > 0) sandbox.clock.advance(seconds);
  const rewrites: Rewrite[] = [];
  const proxy = await startProxy(sandbox, dir, rewrites);
  const proxyConnection = connect(proxy.url, sandbox);
  return {
    sandbox,
    dir,
    spec,
    vault,
    connection,
    proxyUrl: proxy.url,
    proxyConnection,
    rewrites,
    clients(via = "sandbox") {
      const c = via === "proxy" ? proxyConnection : connection;
      return {
        dp: new DataProtectionClient(c, sandbox.subscriptionId),
        restore: new RestoreClient(c, sandbox.subscriptionId),
      };
    },
    async stop() {
      await proxy.close();
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The parts of a restore request the stand-in checks and the tests read. */
export interface RestoreRequestBody {
  objectType?: unknown;
  recoveryPointId?: unknown;
  restoreTargetInfo?: { datasourceInfo?: { resourceID?: string } };
}

export interface RestoreStandIn {
  handler: NonNullable<Parameters<typeof startProxy>[3]>;
  /** Restore requests received, in order. */
  requests: Array<{ backupInstance: string; body: RestoreRequestBody }>;
  /** The next restore job ends Failed with this error. */
  failNext(error: { code: string; message: string }): void;
}

/**
 * `POST backupInstances/{bi}/restore` for the proxy: the sandbox does not model restores yet, so this stand-in
 * answers like Data Protection does (202 + Azure-AsyncOperation naming a job, then the job under backupJobs) and
 * checks the request against the sandbox's real recovery points. Everything else reaches the sandbox.
 */
export function restoreStandIn(sandbox: SandboxArm, restoreSeconds = 600): RestoreStandIn {
  const requests: RestoreStandIn["requests"] = [];
  const jobs = new Map<string, { id: string; startMs: number; failure?: { code: string; message: string } }>();
  let failure: { code: string; message: string } | undefined;
  const agent = new Agent({ connect: { ca: sandbox.caPem } });
  const handler: RestoreStandIn["handler"] = async (method, url, body, base) => {
    const restore = /^(.*\/backupVaults\/[^/]+)\/backupInstances\/([^/]+)\/restore$/i.exec(url.pathname);
    if (method === "POST" && restore) {
      const request = (body ?? {}) as RestoreRequestBody;
      const points = await undiciFetch(
        `${sandbox.url}${restore[1]!}/backupInstances/${restore[2]!}/recoveryPoints?api-version=${url.searchParams.get("api-version") ?? ""}`,
        {
          headers: { authorization: `Bearer ${sandbox.token}` },
          dispatcher: agent,
        },
      );
      const known = ((await points.json()) as { value?: Array<{ name: string }> }).value ?? [];
      if (
        request.objectType !== "AzureBackupRecoveryPointBasedRestoreRequest" ||
        !known.some((p) => p.name === request.recoveryPointId)
      ) {
        return {
          status: 400,
          body: {
            error: {
              code: "UserErrorInvalidRecoveryPoint",
              message: `recovery point '${String(request.recoveryPointId)}' is not valid for this backup instance`,
            },
          },
        };
      }
      requests.push({ backupInstance: restore[2]!, body: request });
      const name = `restore-${requests.length}`;
      jobs.set(name, {
        id: `${restore[1]!}/backupJobs/${name}`,
        startMs: sandbox.clock.now().getTime(),
        ...(failure ? { failure } : {}),
      });
      failure = undefined;
      const op = `/subscriptions/${sandbox.subscriptionId}/providers/Microsoft.DataProtection/locations/koreacentral/operationStatuses/${name}`;
      return {
        status: 202,
        headers: { "azure-asyncoperation": `${base}${op}?api-version=2026-06-01`, "retry-after": "1" },
      };
    }
    const op = /\/operationStatuses\/(restore-\d+)$/i.exec(url.pathname);
    if (method === "GET" && op && jobs.has(op[1]!))
      return {
        status: 200,
        body: {
          name: op[1],
          status: "Succeeded",
          properties: { objectType: "OperationJobExtendedInfo", jobId: op[1] },
        },
      };
    const job = /\/backupJobs\/(restore-\d+)$/i.exec(url.pathname);
    if (method === "GET" && job && jobs.has(job[1]!)) {
      const j = jobs.get(job[1]!)!;
      const done = sandbox.clock.now().getTime() >= j.startMs + restoreSeconds * 1000;
      return {
        status: 200,
        body: {
          id: j.id,
          name: job[1],
          properties: {
            operation: "Restore",
            operationCategory: "Restore",
            status: !done ? "InProgress" : j.failure ? "Failed" : "Completed",
            startTime: new Date(j.startMs).toISOString(),
            ...(done ? { endTime: new Date(j.startMs + restoreSeconds * 1000).toISOString() } : {}),
            ...(done && j.failure ? { errorDetails: [j.failure] } : {}),
          },
        },
      };
    }
    return undefined;
  };
  return {
    handler,
    requests,
    failNext(error) {
      failure = error;
    },
  };
}
