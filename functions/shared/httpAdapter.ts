import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import type { ApiRequest, ApiResponse } from "../../lib/api/http";

/** @azure/functions' request as the host-neutral ApiRequest that lib/api handlers take. */
export function toApiRequest(request: HttpRequest): ApiRequest {
  return {
    method: request.method.toUpperCase(),
    url: request.url,
    params: request.params,
    query: new URLSearchParams(request.query),
    headers: request.headers,
    text: () => request.text(),
  };
}

export function toHttpResponse(response: ApiResponse): HttpResponseInit {
  return {
    status: response.status,
    ...(response.headers ? { headers: response.headers } : {}),
    ...(response.jsonBody !== undefined ? { jsonBody: response.jsonBody } : {}),
  };
}
