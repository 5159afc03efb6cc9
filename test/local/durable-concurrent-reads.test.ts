import * as df from "durable-functions";
import type { OrchestrationContext } from "durable-functions";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { activitySignal } from "../../lib/activity-signal";
import { startAzurite, type AzuriteHandle } from "../../local/azurite";
import { DurableDriver } from "../../local/durable/driver";
import { InstanceStore } from "../../local/durable/store";

// Reads of an instance's state that race its writes, made deterministic: the driver and the store talk to the real
// Azurite through a forwarding proxy that holds chosen requests or responses, as a slow network or a loaded machine
// does. (The crash-and-resume test hung this way under a loaded suite: see durable-resume.test.ts.)

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Steps that wait to be released (or for their activity signal, when their driver stops) and who has started. */
let held = new Map<number, Deferred>();
let started = new Map<number, Deferred>();
const startedStep = (step: number) => started.get(step) ?? started.set(step, deferred()).get(step)!;

df.app.activity("crStep", {
  handler: async (step: number, context) => {
    startedStep(step).resolve();
    const gate = held.get(step);
    if (gate) {
      const signal = activitySignal(context);
      await Promise.race([gate.promise, new Promise((r) => signal.addEventListener("abort", r, { once: true }))]);
    }
    return step * 10;
  },
});

df.app.orchestration("crThreeSteps", function* (context: OrchestrationContext) {
  const results: number[] = [];
  for (let step = 0; step < 3; step++) results.push((yield context.df.callActivity("crStep", step)) as number);
  return results;
});

interface Exchange {
  method: string;
  path: string;
}

/** What the proxy does with a request: wait before forwarding it, and/or before answering with Azurite's response. */
interface Hold {
  request?: Promise<void>;
  response?: Promise<void>;
  answered?: () => void;
}

interface SlowProxy {
  /** Azurite's connection string with the blob endpoint through the proxy (tables stay direct). */
  connectionString: string;
  close(): Promise<void>;
}

async function slowBlobProxy(azurite: AzuriteHandle, policy: (exchange: Exchange) => Hold): Promise<SlowProxy> {
  const target = new URL(azurite.blobEndpoint);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const hold = policy({ method: req.method ?? "GET", path: req.url ?? "/" });
      void (async () => {
        await hold.request;
        const upstream = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>(
          (resolve, reject) => {
            const out = http.request(
              { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
              (answer) => {
                const body: Buffer[] = [];
                answer.on("data", (c: Buffer) => body.push(c));
                answer.on("end", () =>
                  resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(body) }),
                );
              },
            );
            out.on("error", reject);
            out.end(Buffer.concat(chunks));
          },
        );
        await hold.response;
        res.writeHead(upstream.status, upstream.headers);
        res.end(upstream.body, () => hold.answered?.());
      })().catch((err: unknown) => res.destroy(err as Error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const proxied = `http://127.0.0.1:${port}${target.pathname}`;
  return {
    connectionString: azurite.connectionString.replace(
      `BlobEndpoint=${azurite.blobEndpoint};`,
      `BlobEndpoint=${proxied};`,
    ),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const isRead = (x: Exchange, blob: string) =>
  (x.method === "GET" || x.method === "HEAD") && x.path.split("?")[0]!.endsWith(blob);

/** Runs `crThreeSteps` until step 0 runs, then stops that driver: storage holds the instance waiting on step 0. */
async function interruptedAtStepZero(azurite: AzuriteHandle, taskHub: string, instanceId: string): Promise<void> {
  held = new Map([[0, deferred()]]);
  started = new Map();
  const first = new DurableDriver({ connectionString: azurite.connectionString, taskHub });
  await first.startNew("crThreeSteps", { instanceId });
  await startedStep(0).promise;
  await first.stop();
  held = new Map();
  started = new Map();
}

describe("local durable driver: reads racing writes", () => {
  let azurite: AzuriteHandle;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    azurite = await startAzurite();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    for (const gate of held.values()) gate.resolve();
  });

  afterAll(async () => {
    await azurite?.stop();
  });

  it("a status read that returns after the resumed instance moved on does not put the older state back", async () => {
    const taskHub = "stalestatus";
    const instanceId = "stale-1";
    await interruptedAtStepZero(azurite, taskHub, instanceId);

    // The resumed driver's own first read is held until the status read has its (older) answer in hand; that
    // answer is delivered only once the resumed instance has saved newer state and waits on step 1.
    const resumeRead = deferred();
    const resumeReadArrived = deferred();
    const statusAnswerHeld = deferred();
    const statusAnswer = deferred();
    let reads = 0;
    let resumeReleased = false;
    const proxy = await slowBlobProxy(azurite, (x) => {
      if (!isRead(x, `/${instanceId}.json`)) return {};
      if (++reads === 1) {
        resumeReadArrived.resolve();
        return { request: resumeRead.promise };
      }
      // While the resumed driver's read waits, every read is the status read's (a GET, after a HEAD or alone).
      if (resumeReleased || x.method !== "GET") return {};
      statusAnswerHeld.resolve();
      return { response: statusAnswer.promise };
    });
    cleanups.push(() => proxy.close());
    held = new Map([[1, deferred()]]);
    const driver = new DurableDriver({ connectionString: proxy.connectionString, taskHub });
    cleanups.push(() => driver.stop());

    await driver.start();
    await resumeReadArrived.promise;
    const statusRead = driver.getStatus(instanceId);
    await statusAnswerHeld.promise;
    resumeReleased = true;
    resumeRead.resolve();
    await startedStep(1).promise;
    statusAnswer.resolve();
    expect((await statusRead)?.runtimeStatus).toBe("Running");

    held.get(1)!.resolve();
    const status = await driver.waitForCompletion(instanceId, { timeoutMs: 20_000 });
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toEqual([0, 10, 20]);
  });

  it("reading an instance while it is saved gives one whole version of it, never a torn document", async () => {
    const taskHub = "tornread";
    const instanceId = "torn-1";
    held = new Map([[0, deferred()]]);
    started = new Map();
    const driver = new DurableDriver({ connectionString: azurite.connectionString, taskHub });
    cleanups.push(() => driver.stop());
    await driver.startNew("crThreeSteps", { instanceId });
    await startedStep(0).promise;

    // Another process (e.g. `status` beside a running `up`) reads through a slow network: its first request is
    // answered at once, any further request of the same read waits until the driver has saved newer, longer state.
    const firstAnswered = deferred();
    const saved = deferred();
    let reads = 0;
    const proxy = await slowBlobProxy(azurite, (x) => {
      if (!isRead(x, `/${instanceId}.json`)) return {};
      return ++reads === 1 ? { answered: () => firstAnswered.resolve() } : { request: saved.promise };
    });
    cleanups.push(() => proxy.close());
    const read = new InstanceStore(proxy.connectionString, taskHub).load(instanceId);
    await firstAnswered.promise;

    // Step 0 finishes: the driver records it and schedules step 1 (saves of a longer document).
    const stepZero = held.get(0)!;
    held.set(1, deferred());
    stepZero.resolve();
    await startedStep(1).promise;
    saved.resolve();

    const doc = await read;
    expect(doc?.runtimeStatus).toBe("Running");
    expect(doc?.pending.map((work) => work.id)).toEqual([0]);
  });
});
