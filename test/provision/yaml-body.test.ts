import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { handleProvision, type BuildInstances } from "../../lib/api/builds";
import type { ApiRequest } from "../../lib/api/http";
import type { BuildInput } from "../../lib/plan/progress";

/** The HTTP API takes a spec as YAML (Content-Type: application/yaml), as the CLI does. */

const example = readFileSync(path.resolve(__dirname, "../../examples/two-clusters.yaml"), "utf8");

function post(env: string, body: string, contentType: string): ApiRequest {
  return {
    method: "POST",
    url: `http://127.0.0.1/api/environments/${env}/provision`,
    params: { env },
    query: new URLSearchParams(),
    headers: { get: (name) => (name.toLowerCase() === "content-type" ? contentType : null) },
    text: () => Promise.resolve(body),
  };
}

/** Builds the way the durable client records them, in memory. */
function recordedInstances(): BuildInstances & { started: Map<string, BuildInput> } {
  const started = new Map<string, BuildInput>();
  return {
    started,
    get: (id) =>
      Promise.resolve(
        started.has(id) ? { instanceId: id, runtimeStatus: "Pending", input: started.get(id) } : undefined,
      ),
    start(id, input) {
      started.set(id, input);
      return Promise.resolve();
    },
    terminate: () => Promise.resolve(),
    raise: () => Promise.resolve(),
    managementUrls: () => ({}),
  };
}

describe("provision API with a YAML body", () => {
  it("starts a build of a YAML spec sent as application/yaml", async () => {
    const instances = recordedInstances();
    const response = await handleProvision(post("k8s-lab", example, "application/yaml; charset=utf-8"), instances);
    expect(response.status, JSON.stringify(response.jsonBody)).toBe(202);
    const [input] = [...instances.started.values()];
    expect(input?.spec.name).toBe("k8s-lab");
    expect(input?.spec.clusters.map((c) => c.name)).toEqual(["hub", "apps"]);
  });

  it("answers 400 with line and column for broken YAML, and hints at the YAML type for a YAML body sent as JSON", async () => {
    const broken = await handleProvision(post("k8s-lab", "name: k8s-lab\n  bad: [", "text/yaml"), recordedInstances());
    expect(broken.status).toBe(400);
    expect((broken.jsonBody as { error: string }).error).toMatch(/^body:\d+:\d+: invalid YAML/);

    const asJson = await handleProvision(post("k8s-lab", example, "application/json"), recordedInstances());
    expect(asJson.status).toBe(400);
    expect((asJson.jsonBody as { error: string }).error).toContain("Content-Type: application/yaml");
  });
});
