/**
 * Durable Functions stores an orchestration's custom status as UTF-16 JSON text and caps it at 16 KB: "The custom
 * status payload is limited to 16 KB of UTF-16 JSON text. If you need a larger payload, use external storage and store
 * a reference" (learn.microsoft.com/azure/durable-task/common/durable-task-custom-orchestration-status). For
 * out-of-process apps (JavaScript among them) the extension fails the orchestration when the status is larger
 * (Azure/azure-functions-durable-extension pull request 3113, which resolved issue 2918's instances stuck in Running).
 */
export const CUSTOM_STATUS_LIMIT_BYTES = 16 * 1024;

/** The size Azure measures: the status's JSON text in UTF-16, two bytes per code unit. */
export function customStatusBytes(status: unknown): number {
  return (JSON.stringify(status ?? null) ?? "null").length * 2;
}
