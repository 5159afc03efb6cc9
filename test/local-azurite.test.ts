import { spawn } from "node:child_process";
import path from "node:path";
import { BlobServiceClient } from "@azure/storage-blob";
import { describe, expect, it } from "vitest";
import { startAzurite } from "../local/azurite";

describe("startAzurite", () => {
  it("starts on free loopback ports and serves blobs through the real SDK", async () => {
    const azurite = await startAzurite();
    try {
      const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("probe");
      await container.create();
      await container.getBlockBlobClient("hello.txt").upload("hi", 2);
      const body = await container.getBlobClient("hello.txt").downloadToBuffer();
      expect(body.toString()).toBe("hi");
      expect(new URL(azurite.blobEndpoint).hostname).toBe("127.0.0.1");
    } finally {
      await azurite.stop();
    }
  });

  it("ends when the process that started it is killed, so a resumed run never shares its data folder", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(__dirname, "fixtures/azurite/start-and-wait.ts")],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const pid = await new Promise<number>((resolve) => {
      let out = "";
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        if (out.includes("\n")) resolve(Number(out.trim()));
      });
    });
    // Asks the process table, not the server: a request would make an orphan write to its dead parent's pipe
    // and crash, hiding the bug.
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive()).toBe(true);
    child.kill("SIGKILL");
    let stillUp = true;
    for (let i = 0; i < 100 && stillUp; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stillUp = alive();
    }
    expect(stillUp).toBe(false);
  });
});
