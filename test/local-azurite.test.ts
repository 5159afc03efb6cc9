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
});
