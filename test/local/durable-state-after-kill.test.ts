import { BlobServiceClient } from "@azure/storage-blob";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { startAzurite } from "../../local/azurite";

// Durable state lives in Azurite, which keeps its metadata in memory and writes it to the data folder every 5 s and
// when it shuts down. A killed build (`up`, SIGKILL) takes its Azurite down with it: the writes of its last
// seconds must reach the folder the resumed build opens.

const writer = path.join(__dirname, "fixtures/azurite-writer.ts");
const location = mkdtempSync(path.join(tmpdir(), "azurite-kept-"));

afterAll(() => rmSync(location, { recursive: true, force: true }));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it("a write acknowledged just before the process that started Azurite is killed is there for the next process", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", writer, location], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stderr.on("data", (c: Buffer) => (output += c.toString()));
  const azuritePid = await new Promise<number>((resolve, reject) => {
    child.stdout.on("data", (c: Buffer) => {
      output += c.toString();
      const m = /azurite pid (\d+)/.exec(output);
      if (m) resolve(Number(m[1]));
    });
    child.on("close", (code) => reject(new Error(`the writer ended (${code}) before writing:\n${output}`)));
  });
  child.kill("SIGKILL");

  // Its Azurite ends with it (it must not stay on the folder), after saving.
  const deadline = Date.now() + 30_000;
  while (alive(azuritePid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(alive(azuritePid), `Azurite ${azuritePid} still runs 30 s after its parent was killed`).toBe(false);

  const next = await startAzurite({ location });
  try {
    const container = BlobServiceClient.fromConnectionString(next.connectionString).getContainerClient("kept");
    expect(await container.getBlobClient("last-write.txt").exists()).toBe(true);
  } finally {
    await next.stop();
  }
}, 240_000);
