import type { BlobClient } from "@azure/storage-blob";

/**
 * A blob's whole text from one GET, or undefined when it does not exist. One response is one version of the
 * document; `downloadToBuffer` reads the length first and then that many bytes in ranges, so a save in between
 * yields a torn document (seen with the local durable store while `status` ran beside `up`).
 */
export async function readBlobText(blob: BlobClient, signal?: AbortSignal): Promise<string | undefined> {
  let response;
  try {
    response = await blob.download(undefined, undefined, { abortSignal: signal });
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of response.readableStreamBody ?? [])
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}
