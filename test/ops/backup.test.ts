import { describe, expect, it } from "vitest";
import { decideBackupRetry } from "../../lib/ops";
import type { BackupRetryInput } from "../../lib/ops";

describe("decideBackupRetry", () => {
  it.each<[string, BackupRetryInput, boolean, string?]>([
    ["never retried", { now: "2026-11-20T02:45:00Z" }, true],
    ["retried yesterday", { now: "2026-11-20T02:45:00Z", lastAdhocRetryAt: "2026-11-19T23:59:59Z" }, true],
    [
      "retried earlier today",
      { now: "2026-11-20T22:00:00Z", lastAdhocRetryAt: "2026-11-20T00:00:01Z" },
      false,
      "2026-11-21T00:00:00.000Z",
    ],
    [
      "retried at midnight today",
      { now: "2026-11-20T00:00:00Z", lastAdhocRetryAt: "2026-11-20T00:00:00Z" },
      false,
      "2026-11-21T00:00:00.000Z",
    ],
    [
      "a retry record later than now (late delivery)",
      { now: "2026-11-20T23:00:00Z", lastAdhocRetryAt: "2026-11-21T00:30:00Z" },
      false,
      "2026-11-22T00:00:00.000Z",
    ],
    [
      "local evening is already the next UTC day",
      { now: new Date("2026-11-21T00:10:00+00:00"), lastAdhocRetryAt: new Date("2026-11-20T23:50:00+00:00") },
      true,
    ],
    ["resolved alert", { now: "2026-11-20T02:45:00Z", condition: "resolved" }, false],
    [
      "missing permission",
      {
        now: "2026-11-20T02:45:00Z",
        jobError: { code: "UserErrorExtensionMSIMissingPermissions", message: "The identity lacks permission" },
      },
      false,
    ],
    ["instance not found", { now: "2026-11-20T02:45:00Z", jobError: { code: "BackupInstanceNotFound" } }, false],
    [
      "transient error",
      { now: "2026-11-20T02:45:00Z", jobError: { code: "UserErrorSnapshotResourceGroupQuotaExceeded" } },
      true,
    ],
    ["invalid now", { now: "not a time" }, false],
  ])("%s", (_name, input, retry, nextAllowedAt) => {
    const decision = decideBackupRetry(input);
    expect(decision.retry).toBe(retry);
    expect(decision.reason.length).toBeGreaterThan(5);
    if (nextAllowedAt !== undefined) expect(decision.nextAllowedAt).toBe(nextAllowedAt);
  });

  it("allows at most one retry per UTC day across a day of failures", () => {
    let last: string | undefined;
    let retries = 0;
    for (let hour = 0; hour < 48; hour++) {
      const now = new Date(Date.UTC(2026, 10, 20, hour)).toISOString();
      const decision = decideBackupRetry({ now, ...(last !== undefined ? { lastAdhocRetryAt: last } : {}) });
      if (decision.retry) {
        retries++;
        last = now;
      }
    }
    expect(retries).toBe(2);
  });
});
