import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local HTTP sink standing in for Teams / Slack webhooks (or any endpoint a test posts to): listens on a free
 * 127.0.0.1 port, records every request, and answers from scripted responses (status, headers such as
 * Retry-After, body, delay), per path or for any path, falling back to a default response.
 */

export interface SinkResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering (use it to provoke client timeouts). */
  delayMs?: number;
}

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: Date;
  /** The body parsed as JSON (throws when it is not JSON). */
  json(): unknown;
}

export interface Sink {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT`, e.g. for AKS_PLATFORM_NOTIFY_ALLOWED_HOSTS. */
  host: string;
  port: number;
  readonly requests: RecordedRequest[];
  /** Requests whose path starts with `pathPrefix`. */
  requestsTo(pathPrefix: string): RecordedRequest[];
  /**
   * Queues responses used in order, one per request; with `path`, only for requests whose path (without query)
   * equals it. When a queue is empty the default response answers.
   */
  script(responses: SinkResponse[], options?: { path?: string }): void;
  setDefault(response: SinkResponse): void;
  /** Resolves once at least `count` requests were recorded (rejects after `timeoutMs`). */
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Forgets recorded requests and scripted responses; the default goes back to the one given at start (200 `ok`). */
  reset(): void;
  close(): Promise<void>;
}

const DEFAULT: SinkResponse = { status: 200, body: "ok" };

export async function startSink(options: { defaultResponse?: SinkResponse } = {}): Promise<Sink> {
  const requests: RecordedRequest[] = [];
  const anyPath: SinkResponse[] = [];
  const byPath = new Map<string, SinkResponse[]>();
  let fallback: SinkResponse = options.defaultResponse ?? DEFAULT;
  const waiters: Array<() => void> = [];

  const next = (path: string): SinkResponse => {
    const own = byPath.get(path.split("?")[0] ?? path);
    return own?.shift() ?? anyPath.shift() ?? fallback;
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const path = req.url ?? "/";
      requests.push({
        method: req.method ?? "GET",
        path,
        headers: req.headers,
        body,
        receivedAt: new Date(),
        json: () => JSON.parse(body) as unknown,
      });
      for (const wake of waiters.splice(0)) wake();
      const response = next(path);
      if (response.delayMs) {
        const timer = setTimeout(() => answer(res, response), response.delayMs);
        res.on("close", () => clearTimeout(timer));
      } else {
        answer(res, response);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    port,
    requests,
    requestsTo: (prefix) => requests.filter((r) => r.path.startsWith(prefix)),
    script(responses, scriptOptions = {}) {
      if (scriptOptions.path === undefined) {
        anyPath.push(...responses);
      } else {
        const queue = byPath.get(scriptOptions.path) ?? [];
        queue.push(...responses);
        byPath.set(scriptOptions.path, queue);
      }
    },
    setDefault(response) {
      fallback = response;
    },
    async waitForRequests(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count) {
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(`sink: expected ${count} requests, got ${requests.length} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return [...requests];
    },
    reset() {
      requests.length = 0;
      anyPath.length = 0;
      byPath.clear();
      fallback = options.defaultResponse ?? DEFAULT;
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

function answer(res: ServerResponse, response: SinkResponse): void {
  if (res.destroyed) return;
  res.writeHead(response.status ?? 200, { "content-type": "text/plain; charset=utf-8", ...response.headers });
  res.end(response.body ?? "");
}
