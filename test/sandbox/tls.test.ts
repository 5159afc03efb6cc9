import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import forge from "node-forge";
import { afterEach, describe, expect, it } from "vitest";

const issuer = path.join(__dirname, "fixtures/tls-issuer.ts");
const run = promisify(execFile);
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("the sandbox's local CA", () => {
  it("is created once when several processes start on a fresh folder at the same moment", async () => {
    // Before: each process that found no CA wrote its own pair over the others', so a server certificate could be
    // signed by a key whose certificate another process then replaced (CERT_SIGNATURE_FAILURE in parallel tests).
    const dir = mkdtempSync(path.join(os.tmpdir(), "sandbox-ca-"));
    dirs.push(dir);
    const issued = await Promise.all(
      Array.from({ length: 6 }, () => run(process.execPath, ["--import", "tsx", issuer, dir])),
    );
    const ca = forge.pki.certificateFromPem(readFileSync(path.join(dir, "ca.pem"), "utf8"));
    for (const { stdout } of issued) {
      const server = forge.pki.certificateFromPem((JSON.parse(stdout) as { certPem: string }).certPem);
      expect(ca.verify(server)).toBe(true);
    }
    expect(readdirSync(dir).sort()).toEqual(["ca-key.pem", "ca.pem"]);
  }, 120_000);
});
