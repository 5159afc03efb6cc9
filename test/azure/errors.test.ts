import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ArmContractError,
  classifyArmError,
  createArmConnection,
  DataProtectionClient,
  ResourceGroupsAdapter,
  TransientArmError,
} from "../../lib/azure";
import { MALFORMED_RESPONSE } from "../../lib/azure/errors";
import { startFixture, type SandboxFixture } from "../sandbox/helpers";

// How lib/azure reports answers it cannot understand: the sandbox's `malformed` fault sends a 200 whose body is
// not JSON or not the documented shape, to the REST client and to a generated SDK client over real HTTPS.

let f: SandboxFixture;
let dp: DataProtectionClient;
let groups: ResourceGroupsAdapter;
const vault = { resourceGroup: "rg-backup", vault: "bv-test" };

beforeAll(async () => {
  f = await startFixture();
  dp = new DataProtectionClient(f.connection, f.sandbox.subscriptionId);
  groups = new ResourceGroupsAdapter(f.connection, f.sandbox.subscriptionId);
});
afterAll(async () => {
  await f.stop();
});

describe("malformed responses", () => {
  it("returns a non-JSON body as a MalformedResponse failure value, asked once and not retried", async () => {
    f.sandbox.counters.reset();
    f.sandbox.faults.add({ match: { path: "/backupJobs" }, effect: { kind: "malformed" }, times: 5 });
    try {
      const jobs = await dp.listBackupJobs(vault);
      expect(jobs).toEqual({
        ok: false,
        error: {
          kind: "failed",
          operation: "list backup jobs",
          target: "bv-test",
          status: 200,
          code: MALFORMED_RESPONSE,
          message: "list backup jobs bv-test: the 200 response body is not valid JSON",
          details: [],
          correlationId: expect.any(String),
          requestId: expect.any(String),
        },
      });
      expect(f.sandbox.counters.snapshot().reads).toBe(1);
    } finally {
      f.sandbox.faults.clear();
    }
  });

  it("returns JSON of the wrong shape as MalformedResponse, naming what did not fit", async () => {
    f.sandbox.faults.add({
      match: { method: "GET", path: "/backupJobs/" },
      effect: { kind: "malformed", json: { id: 7 } },
      times: 1,
    });
    const job = await dp.getJob(vault, "job-1");
    expect(job).toMatchObject({
      ok: false,
      error: {
        kind: "failed",
        code: MALFORMED_RESPONSE,
        message: expect.stringMatching(/^get backup job job-1: unexpected response at id: /),
      },
    });
  });

  it("reports a generated SDK client's parse error the same way", async () => {
    f.sandbox.faults.add({
      match: { method: "GET", path: "/resourcegroups/rg-any" },
      effect: { kind: "malformed", text: '{"id": "/subscriptions/' },
      times: 1,
    });
    const rg = await groups.get("rg-any");
    expect(rg).toMatchObject({
      ok: false,
      error: { kind: "failed", code: MALFORMED_RESPONSE, status: 200, target: "rg-any" },
    });
  });

  it("keeps a 5xx gateway page transient, and classifies a contract error without a response", async () => {
    f.sandbox.faults.add({
      match: { method: "GET", path: "/resourcegroups/rg-gw" },
      effect: { kind: "error", status: 503, code: "ServiceUnavailable" },
    });
    try {
      await expect(groups.get("rg-gw")).rejects.toBeInstanceOf(TransientArmError);
    } finally {
      f.sandbox.faults.clear();
    }
    expect(classifyArmError(new ArmContractError("list x: unexpected item at 0.id"), "list x", "v")).toEqual({
      kind: "failed",
      operation: "list x",
      target: "v",
      code: MALFORMED_RESPONSE,
      message: "list x: unexpected item at 0.id",
      details: [],
    });
  });

  it("reports a missing Azure login as an unauthorized failure naming the credential, never as transient", async () => {
    // The real DefaultAzureCredential on a machine with no login: no AZURE_* variables, no az/azd, no managed identity.
    const saved = { ...process.env };
    for (const name of Object.keys(process.env)) if (name.startsWith("AZURE_")) delete process.env[name];
    process.env.PATH = "/nonexistent";
    try {
      const azure = new ResourceGroupsAdapter(createArmConnection({}), "11111111-2222-4333-8444-555555555555");
      const result = await azure.get("rg-anything");
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.kind).toBe("unauthorized");
      expect(result.error.code).toMatch(/CredentialUnavailableError|AuthenticationError/);
    } finally {
      process.env = saved;
    }
  }, 60_000);

  it("refuses a malformed fault rule that gives both text and json", () => {
    expect(() => f.sandbox.faults.add({ match: {}, effect: { kind: "malformed", text: "x", json: {} } })).toThrow(
      /give text or json, not both/,
    );
  });
});
