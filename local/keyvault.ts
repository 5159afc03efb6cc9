// A local stand-in for the Key Vault secrets REST API over HTTPS: what the app reads (TLS secrets) and what the
// platform resolves Key Vault references in app settings from. It answers as Key Vault does for what is used here:
// 401 with a Bearer challenge unless the token's audience is the vault's, 404 SecretNotFound, the secret bundle.
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ensureSandboxTls } from "./sandbox/tls";

export interface LocalSecret {
  value: string;
  /** Unix seconds, as Key Vault's `attributes.exp`. */
  exp?: number;
}

export interface KeyVaultStandIn {
  /** `https://127.0.0.1:<port>`: the vault URL to use instead of `https://<vault>.vault.azure.net`. */
  url: string;
  /** Sets (a new version of) a secret. */
  set(name: string, secret: LocalSecret | string): void;
  /** Requests as `GET <path> <audience>` (the token's `aud`, never the token). */
  requests: string[];
  close(): Promise<void>;
}

/** The claims of a JWT bearer token (unverified: the local issuer does not sign), or undefined. */
function bearerAudience(authorization: string | undefined): string | undefined {
  const token = /^Bearer (\S+)$/.exec(authorization ?? "")?.[1];
  const payload = token?.split(".")[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { aud?: unknown; exp?: unknown };
    if (typeof claims.exp === "number" && claims.exp * 1000 < Date.now()) return undefined;
    return typeof claims.aud === "string" ? claims.aud.replace(/\/+$/, "") : undefined;
  } catch {
    return undefined;
  }
}

export async function startKeyVaultStandIn(options: {
  /** Folder holding the local CA (the sandbox's state dir: one CA the process trusts). */
  tlsDir: string;
  secrets?: Record<string, LocalSecret | string>;
  /** The cloud's Key Vault audience (public cloud by default). */
  audience?: string;
}): Promise<KeyVaultStandIn> {
  const audience = options.audience ?? "https://vault.azure.net";
  const versions = new Map<string, Array<LocalSecret & { version: string; updated: number }>>();
  const set = (name: string, secret: LocalSecret | string) => {
    const entry = typeof secret === "string" ? { value: secret } : secret;
    const list = versions.get(name) ?? [];
    list.push({ ...entry, version: randomBytes(16).toString("hex"), updated: Math.floor(Date.now() / 1000) });
    versions.set(name, list);
  };
  for (const [name, secret] of Object.entries(options.secrets ?? {})) set(name, secret);
  const requests: string[] = [];
  const tls = ensureSandboxTls(options.tlsDir);
  let url = "";
  const json = (res: ServerResponse, status: number, body: unknown, headers = {}) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
    res.end(JSON.stringify(body));
  };
  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    const at = new URL(req.url ?? "/", url);
    const aud = bearerAudience(req.headers.authorization);
    requests.push(`${req.method} ${at.pathname} ${aud ?? "(no token)"}`);
    if (aud !== audience) {
      // Key Vault's challenge names the resource the token must be for.
      return json(
        res,
        401,
        { error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." } },
        {
          "www-authenticate": `Bearer authorization="https://login.microsoftonline.com/common", resource="${audience}"`,
        },
      );
    }
    const m = /^\/secrets\/([0-9A-Za-z-]+)(?:\/([0-9a-f]*))?\/?$/.exec(at.pathname);
    if (req.method !== "GET" || !m || !at.searchParams.get("api-version"))
      return json(res, 400, {
        error: { code: "BadParameter", message: `unsupported request ${req.method} ${at.pathname}` },
      });
    const list = versions.get(m[1]!) ?? [];
    const found = m[2] ? list.find((v) => v.version === m[2]) : list.at(-1);
    if (!found)
      return json(res, 404, {
        error: { code: "SecretNotFound", message: `A secret with (name/id) ${m[1]} was not found in this key vault.` },
      });
    return json(res, 200, {
      value: found.value,
      id: `${url}/secrets/${m[1]}/${found.version}`,
      attributes: { enabled: true, updated: found.updated, ...(found.exp !== undefined ? { exp: found.exp } : {}) },
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    set,
    requests,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
