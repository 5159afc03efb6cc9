import type { ApiRequest } from "../../lib/api/http";
import { defaultSpec, type PlatformSpec } from "../../lib/spec";
import type { PlatformOptions } from "./platform";

/**
 * The seed platform an upgrade run can be started on in the sandbox: one stage per cluster, no soak, Kubernetes
 * upgrades waiting for approval, and the versions 1.33.2 (built) → 1.33.5 → 1.34.1 on offer.
 */
export function upgradablePlatform(name: string, timeScale: number): PlatformOptions {
  return {
    name,
    spec: {
      ...defaultSpec,
      upgrades: {
        stages: defaultSpec.clusters.map((c) => ({ name: c.name, clusters: [c.name], soakMinutes: 0 })),
        approval: { kubernetesMinor: true, kubernetesPatch: true, nodeImage: false, istioRevision: true },
        maxSurge: "50%",
        maxPendingPods: 0,
      },
    },
    timeScale,
    sandbox: { startTime: "2026-11-20T03:00:00Z", kubernetesVersions: ["1.33.2", "1.33.5", "1.34.1"] },
  };
}

/** A request to `/api/environments/{spec}/{path}` as the HTTP trigger hands it to lib/api. */
export function environmentRequest(
  spec: PlatformSpec,
  method: string,
  path: string,
  params: Record<string, string>,
  body?: unknown,
): ApiRequest {
  return {
    method,
    url: `http://localhost/api/environments/${spec.name}/${path}`,
    params,
    query: new URLSearchParams(),
    headers: new Headers(),
    text: () => Promise.resolve(body === undefined ? "" : JSON.stringify(body)),
  };
}
