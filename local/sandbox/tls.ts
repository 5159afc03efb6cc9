import { generateKeyPairSync, randomBytes } from "node:crypto";
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import forge from "node-forge";

/**
 * A local CA (created once per state dir, reused afterwards so NODE_EXTRA_CA_CERTS set in other processes
 * stays valid) and a server certificate for localhost/127.0.0.1/::1 signed by it. Keys come from Node's
 * native generator (fast); node-forge builds and signs the X.509 certificates.
 */

export interface SandboxTls {
  caPem: string;
  caPath: string;
  certPem: string;
  keyPem: string;
}

function rsaKeys(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
}

function newCertificate(publicKeyPem: string, years: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  // Positive serial: a leading 0x00..0x7f byte keeps the DER integer positive.
  cert.serialNumber = "01" + randomBytes(15).toString("hex");
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + years * 365 * 24 * 3600_000);
  return cert;
}

function createCa(): { certPem: string; keyPem: string } {
  const keys = rsaKeys();
  const cert = newCertificate(keys.publicKey, 10);
  const subject = [{ name: "commonName", value: "aks-platform sandbox local CA" }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keys.privateKey), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKey };
}

function createServerCert(caCertPem: string, caKeyPem: string): { certPem: string; keyPem: string } {
  const caCert = forge.pki.certificateFromPem(caCertPem);
  const keys = rsaKeys();
  const cert = newCertificate(keys.publicKey, 2);
  cert.setSubject([{ name: "commonName", value: "localhost" }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    {
      name: "subjectAltName",
      altNames: [
        { type: 2, value: "localhost" },
        { type: 7, ip: "127.0.0.1" },
        { type: 7, ip: "::1" },
      ],
    },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(caKeyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKey };
}

/**
 * The CA of `stateDir`, created by whichever process comes first. Test files and CLI commands start sandboxes in
 * parallel on a fresh checkout, so creation is atomic: the pair is written to private temporary files and linked
 * into place key first, then certificate (a link fails if the name exists), so a reader that sees `ca.pem` always
 * finds its key, and a process that loses the race uses the winner's pair instead of signing with its own.
 */
function ensureCa(stateDir: string): { caPath: string; caKeyPath: string } {
  const caPath = path.join(stateDir, "ca.pem");
  const caKeyPath = path.join(stateDir, "ca-key.pem");
  const deadline = Date.now() + 15_000;
  while (!existsSync(caPath)) {
    if (!existsSync(caKeyPath)) {
      const ca = createCa();
      const suffix = `.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
      writeFileSync(caKeyPath + suffix, ca.keyPem, { mode: 0o600 });
      chmodSync(caKeyPath + suffix, 0o600);
      writeFileSync(caPath + suffix, ca.certPem);
      try {
        linkSync(caKeyPath + suffix, caKeyPath);
        linkSync(caPath + suffix, caPath);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      } finally {
        rmSync(caKeyPath + suffix, { force: true });
        rmSync(caPath + suffix, { force: true });
      }
      continue;
    }
    // Another process linked its key and is about to link the certificate; a key left alone by a crash is stale.
    if (Date.now() > deadline) rmSync(caKeyPath, { force: true });
    else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  return { caPath, caKeyPath };
}

/** Loads (or creates at first start) the CA in `stateDir` and issues a fresh server certificate. */
export function ensureSandboxTls(stateDir: string): SandboxTls {
  mkdirSync(stateDir, { recursive: true });
  const { caPath, caKeyPath } = ensureCa(stateDir);
  const caPem = readFileSync(caPath, "utf8");
  const server = createServerCert(caPem, readFileSync(caKeyPath, "utf8"));
  return { caPem, caPath, certPem: server.certPem, keyPem: server.keyPem };
}
