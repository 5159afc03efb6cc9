import tls from "node:tls";

/**
 * Adds a local CA (the sandbox's) to this process's default trust, as a machine trusts Azure's public CAs: every
 * client — SDK pipelines, fetch — then reaches the local HTTPS stand-ins (sandbox ARM, Azurite, Key Vault) with
 * no per-client TLS option, just as the app's clients reach Azure. Idempotent.
 */
export function trustLocalCa(caPem: string): void {
  const current = tls.getCACertificates("default");
  if (current.includes(caPem)) return;
  tls.setDefaultCACertificates([...current, caPem]);
}
