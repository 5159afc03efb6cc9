import { z } from "zod";
import type { ApiRequest } from "./http";

/**
 * The payload of the cancel event the cancel APIs raise (on a build's tree or a teardown): who asked and through
 * which request, so the workflow's result and its channel message can say it. It crosses the Durable boundary.
 */
export const cancelRequestSchema = z.object({
  /** The request that asked, e.g. `POST /api/environments/k8s-demo/provision/cancel`. */
  request: z.string().min(1),
  /**
   * The caller as App Service authentication names it (`X-MS-CLIENT-PRINCIPAL-NAME`, set only by App Service;
   * https://learn.microsoft.com/azure/app-service/configure-authentication-user-identities). Absent behind a
   * function key alone, which names nobody.
   */
  requestedBy: z.string().min(1).optional(),
});
export type CancelRequest = z.infer<typeof cancelRequestSchema>;

export function cancelRequestFrom(request: ApiRequest): CancelRequest {
  const by = request.headers.get("x-ms-client-principal-name")?.trim();
  return {
    request: `${request.method} ${new URL(request.url).pathname}`,
    ...(by ? { requestedBy: by } : {}),
  };
}

/** The payload of a heard cancel event, or nothing when it is not one (an older or hand-raised event). */
export function parseCancelRequest(payload: unknown): CancelRequest | undefined {
  const parsed = cancelRequestSchema.safeParse(payload);
  return parsed.success ? parsed.data : undefined;
}
